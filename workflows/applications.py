"""A citizen's year: open the application, log activities, self-assess, submit."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from . import application_counters, campaigns, criteria, names
from .access import visible_application
from .actors import Actor
from .clock import now, today
from .errors import Conflict, Invalid, NotFound
from .inputs import ActivityInput, ApplicationInput, Scores, SelfAssessmentInput
from .models import Activity, Application, Citizen, CriteriaSet
from .references import new_reference
from .states import EDITABLE_STATES, apply_event, initial_state, record_change, record_creation
from .vocabulary import ApplicationState, Entity, Event, TitleType


def _citizen(session: Session, actor: Actor) -> Citizen:
    if actor.citizen_id is None:
        raise NotFound()
    citizen = session.get(Citizen, actor.citizen_id)
    if citizen is None:
        raise NotFound()
    return citizen


def open_application(session: Session, actor: Actor, data: ApplicationInput) -> Application:
    """Open the citizen's application for a year (one per title and year)."""
    number = data.year
    if number > today().year:  # nothing can be learned yet in a year that has not begun (Hà Nội's calendar)
        raise Invalid(fields={"year": "year_not_started"}, year=number)
    citizen = _citizen(session, actor)
    cset = criteria.current_set(session, TitleType.CDHT, number)
    if cset is None:
        raise Invalid("no_criteria_for_year", fields={"year": "no_criteria_for_year"})
    exists = session.exec(
        select(Application.id).where(
            Application.citizen_id == citizen.id, Application.year == number,
            Application.title_type == TitleType.CDHT,
        )
    ).first()
    if exists:
        raise Conflict("application_exists", fields={"year": "application_exists"})
    campaigns.require_registration_open(session, citizen.ward_code, number)
    app = Application(
        citizen_id=citizen.id, ward_code=citizen.ward_code, criteria_set_id=cset.id, title_type=cset.title_type,
        year=number, target_group=citizen.target_group, hamlet=citizen.hamlet, hamlet_code=citizen.hamlet_code,
        state=initial_state(Entity.APPLICATION), name_folded=citizen.name_folded,
        name_sort=names.sort_key(citizen.name_folded), reference=_free_reference(session),
    )
    session.add(app)
    session.flush()
    record_creation(session, app, actor)
    return app


def _free_reference(session: Session) -> str:
    """A reference no application holds (a clash is rare: 1.1e11 of them; the unique index has the last word)."""
    while True:
        reference = new_reference()
        if not session.exec(select(Application.id).where(Application.reference == reference)).first():
            return reference


def _editable_own(session: Session, actor: Actor, application_id: str) -> Application:
    app = visible_application(session, actor, application_id)
    if actor.citizen_id != app.citizen_id:
        raise NotFound()
    if app.state not in EDITABLE_STATES:
        raise Conflict("not_editable", state=app.state)
    # Lock the row while it is still editable: an edit racing a submit or a review either lands before it
    # or is refused, never written into an application that has moved on.
    touched = session.execute(
        update(Application).where(col(Application.id) == app.id, col(Application.state).in_(EDITABLE_STATES))
        .values(updated_at=now())
    )
    if touched.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("not_editable")
    campaigns.require_self_assessment_open(session, app.ward_code, app.year)
    return app


@dataclass(frozen=True)
class Evidence:
    """An evidence file already checked by content and stored write-once."""

    key: str
    name: str
    content_type: str
    sha256: str


def _check_activity(session: Session, app: Application, data: ActivityInput) -> None:
    """Invalid unless the activity's indicators are the set's and its dates fall in the application's year."""
    errors: dict[str, str] = {}
    started_on, ended_on = data.started_on, data.ended_on
    known = criteria.indicator_codes(session, criteria_set_of(session, app))
    if any(code not in known for code in data.indicator_codes):
        errors["indicator_codes"] = "unknown_indicator"
    if started_on.year != app.year and not (ended_on and ended_on.year == app.year):
        errors["started_on"] = "outside_year"
    if ended_on and ended_on < started_on:
        errors["ended_on"] = "before_start"
    if errors:
        raise Invalid(fields=errors)


def _fill(activity: Activity, data: ActivityInput, evidence: Evidence | None) -> None:
    activity.title, activity.kind, activity.hours = data.title, data.kind, data.hours
    activity.started_on, activity.ended_on, activity.provider = data.started_on, data.ended_on, data.provider
    activity.indicator_codes = list(data.indicator_codes)
    activity.started_day_known, activity.ended_day_known = data.started_day_known, data.ended_day_known
    if evidence is not None:  # a new file replaces the old one (kept in storage, named by its hash in the audit)
        activity.evidence_key, activity.evidence_name = evidence.key, evidence.name
        activity.evidence_type, activity.evidence_sha256 = evidence.content_type, evidence.sha256


def add_activity(
    session: Session, actor: Actor, application_id: str, data: ActivityInput, evidence: Evidence | None = None
) -> Activity:
    """Log a learning activity on a draft or returned application."""
    app = _editable_own(session, actor, application_id)
    _check_activity(session, app, data)
    activity = Activity(application_id=app.id, title="", kind="", hours=0, started_on=data.started_on)
    _fill(activity, data, evidence)
    session.add(activity)
    session.flush()
    record_change(session, actor, Entity.APPLICATION, app.id,
                  {"activity": activity.id, "change": "activity_added", "evidence_sha256": activity.evidence_sha256})
    return activity


def activity_of(session: Session, app: Application, activity_id: str) -> Activity:
    """An activity of this application (another's, or none: NotFound)."""
    activity = session.get(Activity, activity_id)
    if activity is None or activity.application_id != app.id:
        raise NotFound()
    return activity


ACTIVITY_FIELDS = ("title", "kind", "hours", "started_on", "ended_on", "provider", "indicator_codes")


def update_activity(
    session: Session, actor: Actor, application_id: str, activity_id: str, data: ActivityInput,
    evidence: Evidence | None = None, *, remove_evidence: bool = False,
) -> Activity:
    """Change a logged activity while the application is editable; a new file replaces its evidence, or the
    evidence is taken off. The audit names the fields changed and the files by their hash."""
    app = _editable_own(session, actor, application_id)
    activity = activity_of(session, app, activity_id)
    _check_activity(session, app, data)
    before = {name: getattr(activity, name) for name in ACTIVITY_FIELDS}
    old_sha = activity.evidence_sha256
    _fill(activity, data, evidence)
    if remove_evidence and evidence is None:
        activity.evidence_key = activity.evidence_name = activity.evidence_type = activity.evidence_sha256 = None
    changed = [name for name in ACTIVITY_FIELDS if getattr(activity, name) != before[name]]
    session.add(activity)
    session.flush()
    detail: dict[str, Any] = {"activity": activity.id, "change": "activity_edited", "fields": changed}
    if activity.evidence_sha256 != old_sha:
        detail |= {"evidence_sha256": activity.evidence_sha256, "replaced_sha256": old_sha}
    record_change(session, actor, Entity.APPLICATION, app.id, detail)
    return activity


def delete_activity(session: Session, actor: Actor, application_id: str, activity_id: str) -> None:
    """Take a logged activity off an editable application (its evidence file stays in storage, named in the
    audit by its hash)."""
    app = _editable_own(session, actor, application_id)
    activity = activity_of(session, app, activity_id)
    record_change(session, actor, Entity.APPLICATION, app.id,
                  {"activity": activity.id, "change": "activity_deleted", "title": activity.title,
                   "evidence_sha256": activity.evidence_sha256})
    session.delete(activity)
    session.flush()


def criteria_set_of(session: Session, app: Application) -> CriteriaSet:
    """The criteria set the application is pinned to (the version it was opened under, for good)."""
    return criteria.published(session, app.criteria_set_id).cset


def indicators_of(session: Session, app: Application) -> list[criteria.Worded]:
    """The indicators the application is scored on, in printed order, worded for the citizen's target group (the
    residents' wording where the group has none), with their criterion's name."""
    return list(criteria.published(session, app.criteria_set_id).worded(app.target_group))


def max_total(session: Session, app: Application) -> int:
    """The highest total the application's criteria set allows (100 under QĐ 324/QĐ-KHVN)."""
    return criteria.published(session, app.criteria_set_id).max_total


def check_scores(session: Session, app: Application, scores: Scores) -> dict[str, int]:
    """Check typed {code: score} against the application's criteria set (known codes, the set's range)."""
    cset = criteria_set_of(session, app)
    errors = criteria.check_scores(cset, criteria.indicator_codes(session, cset), scores)
    if errors:
        raise Invalid(fields=errors, min_score=cset.min_score, max_score=cset.max_score)
    return dict(scores)


def set_self_assessment(session: Session, actor: Actor, application_id: str, data: SelfAssessmentInput) -> Application:
    """Record the citizen's own scores (all or some indicators; submit needs all)."""
    app = _editable_own(session, actor, application_id)
    scores = check_scores(session, app, data.scores)
    before = dict(app.self_scores)
    changed = {code: value for code, value in scores.items() if before.get(code) != value}
    app.self_scores = {**before, **scores}
    app.updated_at = now()
    session.add(app)
    if changed:  # who scored what, from what (saving the same scores again is no change)
        record_change(session, actor, Entity.APPLICATION, app.id, {
            "change": "self_scores", "scores": changed, "before": {c: before[c] for c in changed if c in before}})
    session.flush()
    return app


def assessment(session: Session, app: Application, scores: Mapping[str, int]) -> criteria.Assessment:
    """Apply the application's criteria set to some scores."""
    cset = criteria_set_of(session, app)
    return criteria.assess(cset, criteria.indicator_codes(session, cset), scores)


def submit(session: Session, actor: Actor, application_id: str) -> Application:
    """Submit for ward review; every indicator must be self-scored and one activity logged."""
    app = visible_application(session, actor, application_id)
    errors: dict[str, str] = {}
    result = assessment(session, app, app.self_scores)
    if result.missing:
        errors["self_scores"] = "incomplete_scores"
    evidence = list(session.exec(select(Activity.evidence_key).where(Activity.application_id == app.id)))
    if not evidence:
        errors["activities"] = "no_activity"
    own_draft = app.state in EDITABLE_STATES and actor.citizen_id == app.citizen_id  # others: the table's answer
    if own_draft:  # outside the period, completing the application would not help: say so first
        campaigns.require_self_assessment_open(session, app.ward_code, app.year)
    if errors and own_draft:
        raise Invalid("incomplete", fields=errors)
    apply_event(session, app, Event.SUBMIT, actor)
    app.submitted_at = now()
    app.total = result.total
    app.passes, app.has_evidence = result.passed, any(evidence)  # what the queue filters by (ADR 26)
    session.add(app)
    session.flush()
    return app


def activities_of(session: Session, app: Application) -> list[Activity]:
    """Return an application's activities, oldest first."""
    return list(
        session.exec(select(Activity).where(Activity.application_id == app.id).order_by(col(Activity.created_at)))
    )


def my_applications(session: Session, actor: Actor) -> list[Application]:
    """Return the citizen's applications, newest year first."""
    if actor.citizen_id is None:
        return []
    stmt = select(Application).where(Application.citizen_id == actor.citizen_id).order_by(
        col(Application.year).desc()
    )
    return list(session.exec(stmt))


def remove_drafts(session: Session, citizen_id: str) -> int:
    """Delete a citizen's drafts (which no official saw) with their activities, the counters following; how many.
    For an erasure (workflows.privacy) and an account given back to its owner (workflows.reclaim)."""
    drafts = session.exec(select(Application).where(col(Application.citizen_id) == citizen_id,
                                                    col(Application.state) == ApplicationState.DRAFT.value)).all()
    if not drafts:
        return 0
    ids = [d.id for d in drafts]
    session.execute(delete(Activity).where(col(Activity.application_id).in_(ids)))
    session.execute(delete(Application).where(col(Application.id).in_(ids)))
    application_counters.move(session, [(d.ward_code, d.year, d.state, -1) for d in drafts])
    return len(ids)
