"""The plan's unit-level indicators (DOMAIN §1): figures entered per ward or for the city, year and reporting period,
with a source note, shown beside the computed ones against their own milestones.

A figure is never rewritten: a correction is a new row in force, and the one it replaces keeps its row with when and
by which it was replaced; each entry is audited. The city's figure for an indicator is the one entered for the city
as a whole when there is one, otherwise the ratio of sums of the wards that reported (never a mean of their rates),
from the latest period of the year that has figures.
"""

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from .actors import Actor
from .clock import now
from .errors import Conflict, Forbidden, Invalid
from .inputs import UnitFigureInput
from .models import AuditEvent, Target, UnitFigure, Ward
from .rollup import TargetView, judge
from .vocabulary import Entity, Event, ReportPeriod, Role, UnitIndicator


@dataclass(frozen=True)
class UnitLine:
    """One indicator's figure for the city or a ward, and the milestone it is judged against."""

    indicator: UnitIndicator
    achieved: int | None
    total: int | None
    period: str | None
    sources: tuple[str, ...]
    wards_reporting: int | None  # None: entered for the city as a whole (or for the ward itself)
    target: TargetView | None

    @property
    def rate(self) -> float | None:
        return self.achieved / self.total if self.total and self.achieved is not None else None


def enter(session: Session, actor: Actor, cmd: UnitFigureInput) -> tuple[UnitFigure, bool]:
    """Put a figure in force (replacing the one for the same indicator, year, period and ward); returns it and whether
    anything changed. City administrators and the system only."""
    if actor.role not in (Role.CITY_ADMIN, Role.SYSTEM):
        raise Forbidden("role_not_allowed")
    if cmd.ward_code is not None:
        ward = session.get(Ward, cmd.ward_code)
        if ward is None or not ward.active:
            raise Invalid(fields={"ward_code": "unknown_ward"})
    if cmd.achieved > cmd.total:
        raise Invalid(fields={"achieved": "more_than_total"})
    current = session.exec(select(UnitFigure).where(
        UnitFigure.indicator == cmd.indicator, UnitFigure.year == cmd.year, UnitFigure.period == cmd.period,
        col(UnitFigure.ward_code).is_(None) if cmd.ward_code is None else UnitFigure.ward_code == cmd.ward_code,
        col(UnitFigure.superseded_at).is_(None))).first()
    if current is not None and (current.achieved, current.total, current.source_note) == (
            cmd.achieved, cmd.total, cmd.source_note):
        return current, False
    moment = now()
    figure = UnitFigure(indicator=cmd.indicator.value, year=cmd.year, period=cmd.period.value,
                        ward_code=cmd.ward_code, achieved=cmd.achieved, total=cmd.total, source_note=cmd.source_note,
                        entered_by=actor.user_id, entered_at=moment)
    try:
        with session.begin_nested():  # two people entering the same figure at once: the second one is told
            if current is not None:
                current.superseded_at, current.superseded_by = moment, figure.id
                session.flush()  # out of the unique index of figures in force before the new one enters it
            session.add(figure)
            session.flush()
    except IntegrityError:
        raise Conflict("figure_changed") from None
    session.add(AuditEvent(at=moment, actor_id=actor.user_id, actor_role=actor.role.value,
                           entity_type=Entity.UNIT_FIGURE.value, entity_id=figure.id, event=Event.CREATE.value,
                           detail={"indicator": cmd.indicator.value, "year": cmd.year, "period": cmd.period.value,
                                   "ward_code": cmd.ward_code, "achieved": cmd.achieved, "total": cmd.total,
                                   "replaces": current.id if current is not None else None}))
    session.flush()
    return figure, True


def lines(session: Session, year: int, ward_code: str | None = None,
          milestones: list[Target] | None = None) -> list[UnitLine]:
    """Every unit-level indicator's figure of the year for the city (ward_code None) or one ward, with its
    milestone: one query, and one more unless the milestones in force are given (a roll-up has read them)."""
    city = col(UnitFigure.ward_code).is_(None)
    stmt = (sa.select(col(UnitFigure.indicator), col(UnitFigure.period), city.label("city"),
                      col(UnitFigure.source_note),
                      func.sum(UnitFigure.achieved), func.sum(UnitFigure.total), func.count())
            .where(col(UnitFigure.year) == year, col(UnitFigure.superseded_at).is_(None))
            .group_by(col(UnitFigure.indicator), col(UnitFigure.period), city, col(UnitFigure.source_note)))
    if ward_code is not None:
        stmt = stmt.where(col(UnitFigure.ward_code) == ward_code)
    # Sums per indicator, period, whether for the city, and source: a few dozen rows however many wards report.
    sums = [(ind, period, bool(whole), note, int(a), int(t), int(n))
            for ind, period, whole, note, a, t, n in session.execute(stmt)]
    if milestones is None:
        milestones = list(session.exec(select(Target).where(
            col(Target.indicator).in_(UnitIndicator.values()), col(Target.superseded_at).is_(None))
            .order_by(col(Target.year))))
    found = []
    for indicator in UnitIndicator:
        mine = [r for r in sums if r[0] == indicator]
        periods = {r[1] for r in mine}
        period = next((p.value for p in (ReportPeriod.YEAR_END, ReportPeriod.MID_YEAR) if p in periods), None)
        chosen = [r for r in mine if r[1] == period]
        whole_city = [r for r in chosen if r[2]]
        used = whole_city or chosen
        target = judge([t for t in milestones if t.indicator == indicator], year)
        if not used:
            found.append(UnitLine(indicator, None, None, None, (), None, target))
            continue
        reporting = None if whole_city or ward_code is not None else sum(r[6] for r in used)
        found.append(UnitLine(indicator, sum(r[4] for r in used), sum(r[5] for r in used), period,
                              tuple(sorted({r[3] for r in used})), reporting, target))
    return found


def history(session: Session, limit: int = 50) -> list[UnitFigure]:
    """The figures entered most recently, in force or replaced."""
    return list(session.exec(select(UnitFigure).order_by(col(UnitFigure.entered_at).desc()).limit(limit)))
