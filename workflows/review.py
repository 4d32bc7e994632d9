"""Ward review: approve / return / reject an application of one's own ward."""

from sqlmodel import Session, select

from .access import visible_application
from .actors import Actor
from .applications import assessment, check_scores, criteria_set_of, indicators_of
from .clock import now
from .errors import Invalid
from .inputs import ReviewInput
from .models import Activity, Application
from .states import apply_event, authorise, require_role
from .vocabulary import Entity, Event


def may_review(session: Session, actor: Actor, application_id: str) -> Application:
    """The application, if the actor may see it (else 404) and has a role the table lets review (else 403).

    Callers check this before reading the verdict, so a citizen or a chair learns nothing about its fields.
    """
    app = visible_application(session, actor, application_id)
    require_role(actor, Entity.APPLICATION, Event.APPROVE)
    return app


def review(session: Session, actor: Actor, application_id: str, data: ReviewInput) -> Application:
    """Apply a reviewer's verdict; proposing needs the pass rule met by scores the reviewer gave or confirmed."""
    app = visible_application(session, actor, application_id)
    authorise(app, data.action, actor)  # who and when first: a citizen or a chair learns nothing about fields
    errors: dict[str, str] = {}
    text = data.comment or ""
    # Notes for the citizen, each about one activity (by its id) or one indicator (by its code).
    notes = {ident: note for ident, note in data.notes.items() if note}
    if notes:
        logged = set(session.exec(select(Activity.id).where(Activity.application_id == app.id)))
        indicators = {i.code for i in indicators_of(session, app)}
        errors |= {f"notes.{ident}": "unknown_activity" for ident in notes if ident not in logged | indicators}
    if data.action in (Event.RETURN, Event.REJECT) and not text and not notes:
        errors["comment"] = "comment_required"
    entered = check_scores(session, app, data.scores) if data.scores else {}
    # The citizen's own scores count only when the reviewer explicitly confirms them.
    ward_scores = {**app.self_scores, **entered} if data.confirm_self_scores else entered
    result = assessment(session, app, ward_scores)
    if data.action == Event.APPROVE and result.missing and not data.confirm_self_scores:
        errors["confirm_self_scores"] = "confirm_self_scores"
    if errors:
        raise Invalid(fields=errors)
    if data.action == Event.APPROVE and not result.passed:
        cset = criteria_set_of(session, app)
        raise Invalid(
            "pass_rule_failed",
            fields={f"scores.{c}": "below_minimum" for c in result.below_minimum}
            | {f"scores.{c}": "required" for c in result.missing}
            | ({"scores": "total_below_pass"} if not result.below_minimum and not result.missing else {}),
            total=result.total, pass_total=cset.pass_total, pass_each=cset.pass_min_indicator,
        )
    # The verdict and its scores in the same UPDATE as the state change (one write, fenced by the version read).
    apply_event(session, app, data.action, actor, expected_version=data.version,
                detail={"comment": text, "total": result.total, "confirmed_self_scores": data.confirm_self_scores,
                        "scores": ward_scores} | ({"notes": notes} if notes else {}),
                also={"reviewer_scores": ward_scores, "total": result.total, "review_comment": text or None,
                      "review_notes": notes or None,
                      "reviewed_by": actor.user_id, "reviewed_at": now()}
                | ({} if data.action == Event.RETURN else {"passes": result.passed}))  # returned: the citizen's own
    return app
