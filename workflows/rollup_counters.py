"""Roll-up counters (ADR 10): live certificates per ward, year and title, moved in the transaction that moves them.

A certificate is live while its live_key is set. Whatever sets or clears a live_key calls `add_live` in the same
transaction, so a rollback takes the counter back with the certificates; it also moves the holder counters'
breakdowns of the title (workflows.holder_counters). `check` recounts from the base
table and names every difference; `rebuild` recounts everything (after a bulk load, or to repair).
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from . import holder_counters, recount
from .db import IN_CHUNK
from .models import Application, Certificate, Citizen, Decision, RollupCounter

KEY = ("ward_code", "year", "title_type")


@dataclass(frozen=True)
class Difference:
    """A counter that disagrees with the certificates: `counted` from the base table, `stored` in the counter."""

    ward_code: str
    year: int
    title_type: str
    counted: int
    stored: int  # 0 when the counter row is missing


def add(session: Session, ward_code: str, year: int, title_type: str, delta: int) -> None:
    """Move one counter by delta in the session's transaction, and nothing else (repairs and tests; a change of
    certificates goes through `add_live`, which also moves the holder counters)."""
    recount.add(session, RollupCounter, KEY, "live", [((ward_code, year, title_type), delta)])


def add_live(session: Session, certificates: Iterable[Certificate], sign: int = 1) -> None:
    """Count (sign=1) or uncount (sign=-1) the live ones among certificates, before their live_key is cleared: one
    statement for their counters, one to read their holders and one for the holder counters (safe against
    concurrent writers: workflows.recount.add)."""
    live = [c for c in certificates if c.live_key is not None]
    if not live:
        return
    recount.add(session, RollupCounter, KEY, "live", (((c.ward_code, c.year, c.title_type), sign) for c in live))
    holder_counters.add(session, _holder_changes(session, [c.id for c in live], sign))


def add_decided(session: Session, certificates: Sequence[Certificate], applications: Mapping[str, Application],
                citizens: Mapping[str, Citizen], decision: Decision) -> None:
    """Count the live certificates a decision just wrote, from the rows the decision already holds (no read)."""
    live = [c for c in certificates if c.live_key is not None]
    recount.add(session, RollupCounter, KEY, "live", (((c.ward_code, c.year, c.title_type), 1) for c in live))
    month = holder_counters.month_of(decision.signed_on)
    holder_counters.add(session, [
        holder_counters.Change(c.title_type, c.year, holder_counters.Holder(
            c.ward_code, applications[c.application_id].target_group, citizens[c.citizen_id].sex,
            citizens[c.citizen_id].date_of_birth.year, applications[c.application_id].hamlet), month, 1)
        for c in live])


def _holder_changes(session: Session, ids: list[str], sign: int) -> list[holder_counters.Change]:
    """Who holds each certificate, as the title's breakdowns see them (read in chunks of IN_CHUNK ids)."""
    changes: list[holder_counters.Change] = []
    for start in range(0, len(ids), IN_CHUNK):
        rows = session.execute(
            select(col(Certificate.title_type), col(Certificate.year), col(Certificate.ward_code),
                   col(Application.target_group), col(Application.hamlet), col(Citizen.sex),
                   col(Citizen.date_of_birth), col(Decision.signed_on))
            .join(Application, col(Application.id) == col(Certificate.application_id))
            .join(Citizen, col(Citizen.id) == col(Certificate.citizen_id))
            .join(Decision, col(Decision.id) == col(Certificate.decision_id))
            .where(col(Certificate.id).in_(ids[start:start + IN_CHUNK])))
        changes.extend(holder_counters.Change(title, year, holder_counters.Holder(ward, group, sex, born.year, hamlet),
                                              holder_counters.month_of(signed_on), sign)
                       for title, year, ward, group, hamlet, sex, born, signed_on in rows)
    return changes


def live_by_ward(session: Session, year: int, title_type: str) -> dict[str, int]:
    """The stored count of live certificates of each ward for a year and title (wards without a row: absent)."""
    rows = session.execute(select(col(RollupCounter.ward_code), col(RollupCounter.live)).where(
        col(RollupCounter.year) == year, col(RollupCounter.title_type) == title_type))
    return {code: int(live) for code, live in rows}


def rows(session: Session) -> int:
    """How many counter rows there are."""
    return recount.rows(session, RollupCounter)


def _recount() -> Any:
    """Live certificates per ward, year and title: one GROUP BY over the partial index of live rows."""
    return (select(col(Certificate.ward_code), col(Certificate.year), col(Certificate.title_type),
                   func.count().label("live"))
            .where(col(Certificate.live_key).is_not(None))
            .group_by(col(Certificate.ward_code), col(Certificate.year), col(Certificate.title_type)))


def check(session: Session) -> list[Difference]:
    """Recount from the certificates and compare with every counter; return each difference (none: they agree)."""
    stored = select(col(RollupCounter.ward_code), col(RollupCounter.year), col(RollupCounter.title_type),
                    col(RollupCounter.live))
    return [Difference(ward, int(year), k, int(n), int(s))
            for ward, year, k, n, s in recount.differences(session, _recount(), stored)]


def rebuild(session: Session) -> int:
    """Replace every counter by a recount from the certificates (after a bulk load); return the number of rows."""
    return recount.replace(session, RollupCounter, [*KEY, "live"], _recount())
