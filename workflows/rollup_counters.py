"""Roll-up counters (ADR 10): live certificates per ward, year and title, moved in the transaction that moves them.

A certificate is live while its live_key is set. Whatever sets or clears a live_key calls `add` (or `add_live`) in
the same transaction, so a rollback takes the counter back with the certificates. `check` recounts from the base
table and names every difference; `rebuild` recounts everything (after a bulk load, or to repair).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from . import recount
from .models import Certificate, RollupCounter

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
    """Move one counter by delta in the session's transaction: one statement, safe against concurrent writers
    (workflows.recount.add)."""
    recount.add(session, RollupCounter, KEY, "live", [((ward_code, year, title_type), delta)])


def add_live(session: Session, certificates: Iterable[Certificate], sign: int = 1) -> None:
    """Count (sign=1) or uncount (sign=-1) the live ones among certificates: one statement for all their counters."""
    recount.add(session, RollupCounter, KEY, "live",
                (((c.ward_code, c.year, c.title_type), sign) for c in certificates if c.live_key is not None))


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
