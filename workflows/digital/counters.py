"""Digital-skills counters (ADR 15): citizens of a ward holding basic digital skills in a year, moved in the
transaction that verifies or revokes what makes them holders.

A citizen holds basic digital skills in year y when at least one of their attainments is verified, counts (its
framework's rule said so when it was recorded) and covers y (first_year ≤ y ≤ last_year). A citizen is counted once
per year whatever number of attainments cover it, in the ward they live in now. workflows.states calls `moved` after
any attainment changes state: one statement reads the covering attainments of the citizens concerned, the years each
citizen gained or lost give the deltas, and one upsert applies them; the holder counters' breakdowns (ADR 20) move in
the same way. A citizen's change of residence calls `citizen_changed`. `check` recounts from the attainments and names
every difference; `rebuild` recounts everything.
"""

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, func, literal, select, union_all
from sqlmodel import Session, col

from .. import holder_counters, recount
from ..db import IN_CHUNK
from ..holder_counters import Change, Holder
from ..models import Citizen, DigitalAttainment, DigitalCounter
from ..vocabulary import AttainmentState

KEY = ("ward_code", "year")
VERIFIED = AttainmentState.VERIFIED.value
INDICATOR = holder_counters.DIGITAL


@dataclass(frozen=True)
class Difference:
    """A counter that disagrees with the attainments: `counted` from the base tables, `stored` in the counter."""

    ward_code: str
    year: int
    counted: int
    stored: int


def _years(first: int, last: int) -> range:
    return range(first, last + 1)


Covering = tuple[str, int, int, date]  # attainment id, first year, last year, achieved on


def _held(covering: Iterable[Covering]) -> dict[int, int]:
    """{year: month (YYYYMM) from which the citizen holds the skills that year} for the attainments covering them:
    the earliest achievement, and January for one achieved in an earlier year."""
    held: dict[int, int] = {}
    for _, first, last, achieved in covering:
        for year in _years(first, last):
            since = year * 100 + 1 if achieved.year < year else holder_counters.month_of(achieved)
            held[year] = min(held.get(year, since), since)
    return held


def _lock(session: Session, citizens: Sequence[str]) -> None:
    """Lock the citizens' rows (in key order) on PostgreSQL.

    Two transactions changing attainments of one citizen at once would each miss the other's change: with the
    citizen's row locked first, the read that follows, a statement of its own, sees the other's committed result.
    FOR NO KEY UPDATE: rows that merely refer to the citizen (a new application, an activity) are not held up by it.
    (SQLite has one writer at a time.)
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    for start in range(0, len(citizens), IN_CHUNK):
        session.execute(select(col(Citizen.id)).where(col(Citizen.id).in_(citizens[start:start + IN_CHUNK]))
                        .order_by(col(Citizen.id)).with_for_update(key_share=True))


def _read(session: Session, citizens: Sequence[str]) -> tuple[dict[str, Holder], dict[str, list[Covering]]]:
    """The citizens as the breakdowns see them, and the attainments that make them holders now."""
    who: dict[str, Holder] = {}
    covering: dict[str, list[Covering]] = {c: [] for c in citizens}
    for start in range(0, len(citizens), IN_CHUNK):
        part = citizens[start:start + IN_CHUNK]
        who.update((cid, Holder(ward, group, sex, born.year, hamlet)) for cid, ward, group, sex, born, hamlet in
                   session.execute(select(col(Citizen.id), col(Citizen.ward_code), col(Citizen.target_group),
                                          col(Citizen.sex), col(Citizen.date_of_birth), col(Citizen.hamlet))
                                   .where(col(Citizen.id).in_(part))))
        rows = session.execute(
            select(col(DigitalAttainment.citizen_id), col(DigitalAttainment.id), col(DigitalAttainment.first_year),
                   col(DigitalAttainment.last_year), col(DigitalAttainment.achieved_on))
            .where(col(DigitalAttainment.citizen_id).in_(part), col(DigitalAttainment.state) == VERIFIED,
                   col(DigitalAttainment.counts).is_(True)))
        for citizen_id, attainment_id, first, last, achieved in rows:
            covering[citizen_id].append((attainment_id, first, last, achieved))
    return who, covering


def _apply(session: Session, moves: Iterable[tuple[Holder, dict[int, int], Holder, dict[int, int]]]) -> None:
    """Move both counters from each (holder before, years held before) to (holder after, years held after)."""
    deltas: Counter[tuple[str, int]] = Counter()
    changes: list[Change] = []
    for before, held_before, after, held_after in moves:
        for year in held_before.keys() | held_after.keys():
            was, now_ = held_before.get(year), held_after.get(year)
            if before == after and was == now_:
                continue
            if was is not None:
                deltas[(before.ward_code, year)] -= 1
                changes.append(Change(INDICATOR, year, before, was, -1))
            if now_ is not None:
                deltas[(after.ward_code, year)] += 1
                changes.append(Change(INDICATOR, year, after, now_, 1))
    recount.add(session, DigitalCounter, KEY, "holders", deltas.items())
    holder_counters.add(session, changes)


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
    _lock(session, citizens)
    who, now_covering = _read(session, citizens)
    was_covering: dict[str, list[Covering]] = {c: [] for c in citizens}
    for a, old in changed.values():
        if old == VERIFIED:
            was_covering[a.citizen_id].append((a.id, a.first_year, a.last_year, a.achieved_on))
    _apply(session, ((who[c], _held([r for r in covering if r[0] not in changed] + was_covering[c]),
                      who[c], _held(covering)) for c, covering in now_covering.items()))


def citizen_changed(session: Session, citizen: Citizen, before: Holder) -> None:
    """Move a citizen's holdings from how they were (`before`: their ward, group or tổ dân phố/thôn) to how the
    citizen is now. Call after the change is flushed, with the citizen's row locked."""
    who, covering = _read(session, [citizen.id])
    held = _held(covering[citizen.id])
    _apply(session, [(before, held, who[citizen.id], held)])


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

