"""The ward reviewer's records of digital skills to verify: course certificates sent by citizens and assessments
recorded by a learning centre, their own list beside the applications (ADR 17)."""

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from workflows import cccd as cccd_rules
from workflows.actors import Actor
from workflows.digital import frameworks, verification
from workflows.errors import Conflict, Invalid, NotFound
from workflows.inputs import ATTAINMENT_REVIEW_EVENTS, AttainmentReviewInput, parse
from workflows.models import Citizen, User
from workflows.review_queue import Cursor
from workflows.states import allowed_events
from workflows.vocabulary import AttainmentState

from ..database import db
from ..dispatch import commit
from ..evidence import attainment_evidence_response
from ..i18n import message
from .access import require_role
from .assessments import RECORDERS
from .formats import LEVEL_BANDS, error_messages, label
from .reviewer import STAFF, bp

REVIEW_ORDER = ("action", "level", "reason", "version")
REVIEW_IDS = {"action": "action-verify", "version": "action-verify"}
REVIEW_LABELS = {"action-verify": _l("Outcome"), "level": _l("Level on the certificate"), "reason": _l("Reason")}


@bp.get("/digital")
@require_role(*STAFF)
def digital(actor: Actor) -> object:
    """The ward's records waiting for verification, oldest first, 25 a page."""
    token = request.args.get("after", "")
    try:
        after = Cursor.parse(token, "after") if token else None
    except Invalid:
        raise NotFound() from None
    found = verification.pending(db(), actor, after=after)
    return render_template("pages/reviewer/digital.html", found=found, first=after is None,
                           can_record=actor.role in RECORDERS)


@bp.route("/digital/<attainment_id>", methods=["GET", "POST"])
@require_role(*STAFF)
def digital_record(actor: Actor, attainment_id: str) -> object:
    """One record: who, what, the file; verify at a level or do not accept, with a reason."""
    s = db()
    record = verification.visible(s, actor, attainment_id)  # another ward's record: 404
    codes: dict[str, str] = {}
    banner = None
    form = request.form
    if request.method == "POST":
        raw = {k: form.get(k) for k in ("action", "version", "level", "reason")}
        try:
            verification.review(s, actor, record.id, parse(AttainmentReviewInput, raw))
            commit(s)
            flash(gettext("Saved: %(outcome)s.", outcome=label(record.state, AttainmentState)))
            following = verification.next_to_verify(s, actor)
            if following:
                return redirect(url_for(".digital_record", attainment_id=following))
            return redirect(url_for(".digital"))
        except Invalid as exc:
            s.rollback()
            codes = dict(exc.fields) or {"action": exc.code}
        except Conflict as exc:  # a second click, or another reviewer first
            s.rollback()
            params: dict[str, Any] = dict(exc.params)
            banner = message("record_changed" if exc.code in ("stale_version", "invalid_transition") else exc.code,
                             **params)
            record = verification.visible(s, actor, attainment_id)
    citizen = s.get(Citizen, record.citizen_id)
    recorder = s.get(User, record.recorded_by) if record.recorded_by else None
    errors = error_messages(codes, REVIEW_ORDER, REVIEW_IDS)
    posted = request.method == "POST" and not banner
    framework = frameworks.get(record.framework_id)
    return render_template(
        "pages/reviewer/digital_record.html", record=record, citizen=citizen, recorder=recorder,
        cccd_masked=cccd_rules.mask(citizen.cccd) if citizen else "", errors=errors, labels=REVIEW_LABELS,
        events=[e for e in allowed_events(record, actor) if e in ATTAINMENT_REVIEW_EVENTS], framework=framework,
        bands=LEVEL_BANDS, banner=banner,
        values={k: form.get(k, "") for k in ("level", "action", "reason")} if posted else {
            "level": str(record.level or ""), "action": "", "reason": ""},
    ), 422 if errors else 409 if banner else 200


@bp.get("/digital/<attainment_id>/file")
@require_role(*STAFF)
def digital_file(actor: Actor, attainment_id: str) -> object:
    """Open the certificate a citizen of the ward sent."""
    return attainment_evidence_response(db(), actor, attainment_id)
