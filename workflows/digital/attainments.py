"""A citizen's records of digital skills: recording one, and listing what a citizen holds.

Whether an attainment counts towards "has basic digital skills" is decided once, when it is recorded, by the rule
of the framework version it is recorded under (ADR 15): a later version changes nothing already recorded.
"""

from collections.abc import Mapping
from datetime import date

from sqlmodel import Session, col, select

from ..actors import Actor
from ..clock import today
from ..errors import Invalid, NotFound
from ..inputs import DigitalSelfAssessmentInput
from ..models import Citizen, DigitalAttainment
from ..vocabulary import AttainmentKind, AttainmentState, Role
from . import frameworks

SELF_SOURCE = "self"  # a self-assessment's source: the citizen themselves


def counts(framework: frameworks.Framework, kind: AttainmentKind, *, level: int | None = None,
           scores: tuple[float, Mapping[str, float]] | None = None) -> bool:
    """Whether an attainment of this kind meets the framework's basic rule (never a self-assessment)."""
    rule = framework.basic
    if rule is None or kind == AttainmentKind.SELF_ASSESSMENT:
        return False
    if kind == AttainmentKind.IMPORT:
        return True  # an official completion of the basic course
    if kind == AttainmentKind.TEST:
        return scores is not None and rule.passes(*scores)
    return level is not None and level >= rule.min_level


def record(
    session: Session, actor: Actor, citizen: Citizen, kind: AttainmentKind, achieved_on: date, source: str, *,
    framework_id: str = frameworks.BASIC_FRAMEWORK, level: int | None = None,
    areas: Mapping[str, float] | None = None, scores: tuple[float, Mapping[str, float]] | None = None,
    course: str | None = None, evidence_key: str | None = None, external_id: str | None = None,
) -> DigitalAttainment:
    """Record a new attainment, pending verification, audited as born; the caller verifies it where it may."""
    from ..states import record_creation  # the state table imports this package's counters

    framework = frameworks.get(framework_id)
    first, last = framework.basic.years(achieved_on) if framework.basic else (achieved_on.year, achieved_on.year)
    attainment = DigitalAttainment(
        citizen_id=citizen.id, ward_code=citizen.ward_code, kind=kind.value, framework_id=framework.id, level=level,
        areas=dict(areas or {}), counts=counts(framework, kind, level=level, scores=scores), achieved_on=achieved_on,
        first_year=first, last_year=last, source=source, course=course, evidence_key=evidence_key,
        external_id=external_id, state=AttainmentState.PENDING.value, recorded_by=actor.user_id)
    session.add(attainment)
    session.flush()
    record_creation(session, attainment, actor, {"kind": kind.value, "framework": framework.id})
    return attainment


def record_self_assessment(session: Session, actor: Actor, cmd: DigitalSelfAssessmentInput) -> DigitalAttainment:
    """A citizen's own view of their level in every area of the basic framework: kept and shown, never counted and
    never verified (it stays pending; the reviewer's list leaves it out)."""
    if actor.role != Role.CITIZEN or actor.citizen_id is None:
        raise NotFound()
    framework = frameworks.get(frameworks.BASIC_FRAMEWORK)
    codes = [a.code for a in framework.areas]
    errors = {f"areas.{code}": "required" for code in codes if code not in cmd.areas}
    errors |= {f"areas.{code}": "unknown_area" for code in cmd.areas if code not in codes}
    errors |= {f"areas.{code}": "out_of_range" for code, level in cmd.areas.items() if level > framework.levels}
    if errors:
        raise Invalid(fields=errors)
    citizen = session.get(Citizen, actor.citizen_id)
    if citizen is None:
        raise NotFound()
    return record(session, actor, citizen, AttainmentKind.SELF_ASSESSMENT, today(), SELF_SOURCE,
                  framework_id=framework.id, areas={code: cmd.areas[code] for code in codes},
                  level=min(cmd.areas.values()))


def latest_self_assessment(session: Session, citizen_id: str) -> DigitalAttainment | None:
    """The citizen's newest self-assessment (what the form shows again), or None."""
    a = DigitalAttainment
    return session.exec(select(a).where(a.citizen_id == citizen_id, a.kind == AttainmentKind.SELF_ASSESSMENT)
                        .order_by(col(a.created_at).desc(), col(a.id).desc()).limit(1)).first()


def covers(attainment: DigitalAttainment, year: int) -> bool:
    """Whether this record makes its citizen hold basic digital skills in the year (the rule the counters and
    `holding` apply in SQL)."""
    return (attainment.counts and attainment.state == AttainmentState.VERIFIED
            and attainment.first_year <= year <= attainment.last_year)


def holding(session: Session, citizen_id: str, year: int) -> DigitalAttainment | None:
    """The citizen's newest verified attainment that makes them hold basic digital skills in the year, or None: what
    the self-assessment offers for the digital-skills indicator and what the reviewer sees beside it."""
    a = DigitalAttainment
    return session.exec(select(a).where(
        a.citizen_id == citizen_id, a.state == AttainmentState.VERIFIED, col(a.counts).is_(True),
        a.first_year <= year, a.last_year >= year).order_by(col(a.achieved_on).desc(), col(a.id)).limit(1)).first()


def of_citizen(session: Session, actor: Actor) -> list[DigitalAttainment]:
    """The caller's own attainments, newest first (NotFound for a caller without a citizen profile)."""
    if actor.citizen_id is None:
        raise NotFound()
    return list(session.exec(select(DigitalAttainment).where(DigitalAttainment.citizen_id == actor.citizen_id)
                             .order_by(col(DigitalAttainment.achieved_on).desc(), col(DigitalAttainment.id))))
