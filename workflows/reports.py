"""Reports on Plan 52 (mid-year, year-end): the roll-up's figures frozen as they were sent.

A frozen report never changes: later recognitions, revocations, imports of population figures or new targets move
the live figures only. Sending corrected figures for the same period freezes a new revision beside the first, with
its own date; and a report shows what has changed in the live figures since it was frozen, ward by ward, so that
nothing is rewritten silently.
"""

from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import func
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from . import monitoring, rollup, unit_figures
from .actors import Actor
from .errors import Forbidden, NotFound
from .models import AuditEvent, ReportSnapshot
from .vocabulary import Entity, Event, ReportPeriod, Role

COMPARED = ("population", "cdht", "digital_population", "digital")  # the counts a change is told in


@dataclass(frozen=True)
class Change:
    """A figure of one line (the city, or a ward) that differs now from what the report sent."""

    code: str
    name: str
    figure: str
    sent: int | None
    now: int | None


def freeze(session: Session, actor: Actor, year: int, period: ReportPeriod, note: str = "") -> ReportSnapshot:
    """Freeze the year's live figures as the period's report (its next revision); audited."""
    if actor.role not in (Role.CITY_ADMIN, Role.SYSTEM):
        raise Forbidden("role_not_allowed")
    result = rollup.rollup(session, actor, year)
    figures = rollup.as_data(result)
    modes = rollup.modes_of(result.targets)
    figures["breakdowns"] = monitoring.as_data(session, year, modes, rollup.left_out(result))
    figures["unit_figures"] = [
        {"indicator": str(u.indicator), "achieved": u.achieved, "total": u.total, "rate": u.rate, "period": u.period,
         "sources": list(u.sources), "wards_reporting": u.wards_reporting,
         "target": None if u.target is None else {"milestone_year": u.target.milestone_year, "value": u.target.value,
                                                  "expected_by_now": u.target.expected_by_now}}
        for u in unit_figures.lines(session, year, milestones=result.milestones)]
    latest = session.exec(select(func.max(ReportSnapshot.revision)).where(
        ReportSnapshot.year == year, ReportSnapshot.period == period.value)).one()
    snapshot = ReportSnapshot(year=year, period=period.value, revision=(latest or 0) + 1,
                              note=" ".join(note.split())[:500], figures=figures, frozen_by=actor.user_id)
    session.add(snapshot)
    session.add(AuditEvent(at=snapshot.frozen_at, actor_id=actor.user_id, actor_role=actor.role.value,
                           entity_type=Entity.REPORT.value, entity_id=snapshot.id, event=Event.FREEZE.value,
                           detail={"year": year, "period": period.value, "revision": snapshot.revision}))
    session.flush()
    return snapshot


def of_year(session: Session, year: int) -> list[ReportSnapshot]:
    """The year's frozen reports, by period and revision (their figures left unread)."""
    return list(session.exec(select(ReportSnapshot).options(defer(cast(Any, ReportSnapshot.figures)))
                             .where(ReportSnapshot.year == year)
                             .order_by(col(ReportSnapshot.period), col(ReportSnapshot.revision))))


def get(session: Session, actor: Actor, snapshot_id: str) -> ReportSnapshot:
    """One frozen report (city administrators)."""
    if actor.role not in (Role.CITY_ADMIN, Role.SYSTEM):
        raise NotFound()
    found = session.get(ReportSnapshot, snapshot_id)
    if found is None:
        raise NotFound()
    return found


def changes_since(snapshot: ReportSnapshot, live: dict[str, Any]) -> list[Change]:
    """Every count that differs between the report and the live figures (`rollup.as_data`), city line first."""
    sent = {line["code"]: line for line in [snapshot.figures["city"], *snapshot.figures["wards"]]}
    return [Change(line["code"], line["name"], figure, sent.get(line["code"], {}).get(figure), line[figure])
            for line in [live["city"], *live["wards"]] for figure in COMPARED
            if sent.get(line["code"], {}).get(figure) != line[figure]]

