"""Application counters (ADR 12): applications per ward, year and state, moved in the transaction that moves them.

workflows.states calls `move` whenever an application is born (+1 in its initial state) or changes state (−1 in
the old, +1 in the new), in the same transaction, so a rollback takes the counters back with the application. The
reviewer's queue reads its counts per state here instead of counting the ward's applications on every page.
`check` recounts from the applications and names every difference; `rebuild` recounts everything (after a bulk
load, or to repair). Same shape as workflows.rollup_counters.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from . import recount
from .models import Application, ApplicationCounter

KEY = ("ward_code", "year", "state")


@dataclass(frozen=True)
class Difference:
    """A counter that disagrees with the applications: `counted` from the base table, `stored` in the counter."""

    ward_code: str
    year: int
    state: str
    counted: int
    stored: int  # 0 when the counter row is missing


def move(session: Session, changes: Iterable[tuple[str, int, str, int]]) -> None:
    """Add each (ward_code, year, state, delta) to its counter: one statement for them all, in the session's
    transaction (workflows.recount.add)."""
    recount.add(session, ApplicationCounter, KEY, "applications",
                (((ward, year, str(state)), delta) for ward, year, state, delta in changes))


def by_state(session: Session, ward_code: str, year: int | None = None) -> dict[str, int]:
    """The stored number of a ward's applications in each state (of one year, or of all years)."""
    stmt = (select(col(ApplicationCounter.state), func.sum(col(ApplicationCounter.applications)))
            .where(col(ApplicationCounter.ward_code) == ward_code).group_by(col(ApplicationCounter.state)))
    if year is not None:
        stmt = stmt.where(col(ApplicationCounter.year) == year)
    return {state: int(n) for state, n in session.execute(stmt)}


def of_year_by_state(session: Session, year: int) -> dict[str, dict[str, int]]:
    """The stored number of each ward's applications of the year, per state (one statement over the counters)."""
    stmt = (select(col(ApplicationCounter.ward_code), col(ApplicationCounter.state),
                   col(ApplicationCounter.applications)).where(col(ApplicationCounter.year) == year))
    found: dict[str, dict[str, int]] = {}
    for ward, state, n in session.execute(stmt):
        states = found.setdefault(ward, {})
        states[state] = states.get(state, 0) + int(n)
    return found


def rows(session: Session) -> int:
    """How many counter rows there are."""
    return recount.rows(session, ApplicationCounter)


def _recount() -> Any:
    """Applications per ward, year and state: one GROUP BY."""
    return (select(col(Application.ward_code), col(Application.year), col(Application.state),
                   func.count().label("applications"))
            .group_by(col(Application.ward_code), col(Application.year), col(Application.state)))


def check(session: Session) -> list[Difference]:
    """Recount from the applications and compare with every counter; return each difference (none: they agree)."""
    stored = select(col(ApplicationCounter.ward_code), col(ApplicationCounter.year), col(ApplicationCounter.state),
                    col(ApplicationCounter.applications))
    return [Difference(ward, int(year), k, int(n), int(s))
            for ward, year, k, n, s in recount.differences(session, _recount(), stored)]


def rebuild(session: Session) -> int:
    """Replace every counter by a recount from the applications; return the number of rows."""
    return recount.replace(session, ApplicationCounter, [*KEY, "applications"], _recount())
