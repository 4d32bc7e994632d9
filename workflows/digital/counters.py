"""Digital-skills counters (ADR 15): citizens of a ward holding basic digital skills in a year, moved in the
transaction that verifies or revokes what makes them holders.

A citizen holds basic digital skills in year y when at least one of their attainments is verified, counts (its
framework's rule said so when it was recorded) and covers y (first_year ≤ y ≤ last_year). A citizen is counted once
per year whatever number of attainments cover it, in the ward they live in now. workflows.states calls `moved` after
any attainment changes state: one statement reads the covering attainments of the citizens concerned, the years each
citizen gained or lost give the deltas, and one upsert applies them. `check` recounts from the attainments and names
every difference; `rebuild` recounts everything.
"""

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, literal, select, union_all
from sqlmodel import Session, col

from .. import recount
from ..db import IN_CHUNK
from ..models import Citizen, DigitalAttainment, DigitalCounter
from ..vocabulary import AttainmentState

KEY = ("ward_code", "year")
VERIFIED = AttainmentState.VERIFIED.value


@dataclass(frozen=True)
class Difference:
    """A counter that disagrees with the attainments: `counted` from the base tables, `stored` in the counter."""

    ward_code: str
    year: int
    counted: int
    stored: int


def _years(first: int, last: int) -> range:
    return range(first, last + 1)


def moved(session: Session, attainments: Sequence[DigitalAttainment], previous: Sequence[str]) -> None:
    """Move the counters for attainments whose state just changed from `previous` (same order) to their current one.

    Call after the change is written (flushed or executed): the covering attainments read now are the new picture;
    the old one is the same with these attainments in their previous state.
    """
    changed = {a.id: (a, old) for a, old in zip(attainments, previous, strict=True)
               if a.counts and (old == VERIFIED) != (a.state == VERIFIED)}
    if not changed:
        return
    citizens = sorted({a.citizen_id for a, _ in changed.values()})
    if session.get_bind().dialect.name == "postgresql":
        # Two transactions changing attainments of one citizen at once would each miss the other's change: the
        # citizen's row is locked first (in key order), so the read below, a statement of its own, sees the other's
        # committed result. FOR NO KEY UPDATE: rows that merely refer to the citizen (a new application, an
        # activity) are not held up by it. (SQLite has one writer at a time.)
        for start in range(0, len(citizens), IN_CHUNK):
            session.execute(select(col(Citizen.id)).where(col(Citizen.id).in_(citizens[start:start + IN_CHUNK]))
                            .order_by(col(Citizen.id)).with_for_update(key_share=True))
    ward: dict[str, str] = {}
    now_covering: dict[str, list[tuple[str, int, int]]] = {c: [] for c in citizens}
    for start in range(0, len(citizens), IN_CHUNK):
        part = citizens[start:start + IN_CHUNK]
        ward.update((citizen_id, code) for citizen_id, code in session.execute(
            select(col(Citizen.id), col(Citizen.ward_code)).where(col(Citizen.id).in_(part))))
        rows = session.execute(
            select(col(DigitalAttainment.citizen_id), col(DigitalAttainment.id), col(DigitalAttainment.first_year),
                   col(DigitalAttainment.last_year))
            .where(col(DigitalAttainment.citizen_id).in_(part), col(DigitalAttainment.state) == VERIFIED,
                   col(DigitalAttainment.counts).is_(True)))
        for citizen_id, attainment_id, first, last in rows:
            now_covering[citizen_id].append((attainment_id, first, last))
    was_covering: dict[str, list[tuple[str, int, int]]] = {c: [] for c in citizens}
    for a, old in changed.values():
        if old == VERIFIED:
            was_covering[a.citizen_id].append((a.id, a.first_year, a.last_year))
    deltas: Counter[tuple[str, int]] = Counter()
    for citizen_id, covering in now_covering.items():
        after = {y for _, first, last in covering for y in _years(first, last)}
        before_rows = [(i, f, la) for i, f, la in covering if i not in changed] + was_covering[citizen_id]
        before = {y for _, first, last in before_rows for y in _years(first, last)}
        for year in after - before:
            deltas[(ward[citizen_id], year)] += 1
        for year in before - after:
            deltas[(ward[citizen_id], year)] -= 1
    recount.add(session, DigitalCounter, KEY, "holders", deltas.items())


def holders_by_ward(session: Session, year: int) -> dict[str, int]:
    """The stored number of holders of each ward in a year (wards without a row: absent)."""
    rows = session.execute(select(col(DigitalCounter.ward_code), col(DigitalCounter.holders))
                           .where(col(DigitalCounter.year) == year))
    return {code: int(n) for code, n in rows}


def rows(session: Session) -> int:
    """How many counter rows there are."""
    return recount.rows(session, DigitalCounter)


def _recount(session: Session) -> Any:
    """Holders per ward and year from the attainments: each covering attainment joined to the years it covers."""
    bounds = session.execute(select(func.min(DigitalAttainment.first_year), func.max(DigitalAttainment.last_year))
                             .where(col(DigitalAttainment.state) == VERIFIED,
                                    col(DigitalAttainment.counts).is_(True))).one()
    first, last = (bounds[0], bounds[1]) if bounds[0] is not None else (0, -1)
    years = union_all(*[select(literal(y).label("year")) for y in _years(first, last)] or
                      [select(literal(0).label("year")).where(literal(False))]).subquery()
    return (select(col(Citizen.ward_code), years.c.year,
                   func.count(func.distinct(DigitalAttainment.citizen_id)).label("holders"))
            .select_from(DigitalAttainment)
            .join(Citizen, col(Citizen.id) == col(DigitalAttainment.citizen_id))
            .join(years, and_(years.c.year >= col(DigitalAttainment.first_year),
                              years.c.year <= col(DigitalAttainment.last_year)))
            .where(col(DigitalAttainment.state) == VERIFIED, col(DigitalAttainment.counts).is_(True))
            .group_by(col(Citizen.ward_code), years.c.year))


def check(session: Session) -> list[Difference]:
    """Recount from the attainments and compare with every counter; return each difference (none: they agree)."""
    stored = select(col(DigitalCounter.ward_code), col(DigitalCounter.year), col(DigitalCounter.holders))
    return [Difference(ward, int(year), int(n), int(s))
            for ward, year, n, s in recount.differences(session, _recount(session), stored)]


def rebuild(session: Session) -> int:
    """Replace every counter by a recount from the attainments; return the number of rows."""
    return recount.replace(session, DigitalCounter, [*KEY, "holders"], _recount(session))


def recounted(session: Session) -> dict[tuple[str, int], int]:
    """The recount itself, as {(ward, year): holders} (tests compare it with the counters)."""
    return {(ward, int(year)): int(n) for ward, year, n in session.execute(_recount(session))}

