"""Digital skills: the frameworks, a citizen's records, and imports from training platforms (city admins)."""

from flask import jsonify, request, url_for
from flask.typing import ResponseReturnValue

from workflows.digital import attainments, attempts, frameworks, imports, items, verification
from workflows.digital.attempts import public_items
from workflows.errors import NotFound
from workflows.inputs import (
    AssessmentInput,
    AttainmentReviewInput,
    CertificateInput,
    DigitalSelfAssessmentInput,
    parse,
)
from workflows.models import DigitalAttainment, DigitalTestAttempt
from workflows.review_queue import Cursor

from ..auth import bearer_actor
from ..database import db
from ..dispatch import commit
from ..evidence import attainment_evidence_response, checked_evidence, digital_folder, save_evidence
from ..uploads import flag, read_file
from . import bp
from .io import json_body


def framework_json(f: frameworks.Framework) -> dict[str, object]:
    """A framework version as the API lists it."""
    return {"id": f.id, "name": f.name["vi"], "version": f.version, "publisher": f.publisher, "source": f.source,
            "levels": f.levels, "areas": [{"code": a.code, "name": a.name["vi"]} for a in f.areas],
            "basic_rule": None if f.basic is None else {
                "overall_min": f.basic.overall_min, "area_min": f.basic.area_min, "min_level": f.basic.min_level,
                "valid_years": f.basic.valid_years}}


def attainment_json(a: DigitalAttainment) -> dict[str, object]:
    """A record of digital skills as its holder (and the ward's staff) see it."""
    return {"id": a.id, "kind": a.kind, "state": a.state, "version": a.version, "framework": a.framework_id,
            "level": a.level, "achieved_on": a.achieved_on.isoformat(), "source": a.source, "course": a.course,
            "counts": a.counts, "valid_from_year": a.first_year, "valid_to_year": a.last_year, "reason": a.reason,
            "areas": a.areas,
            "file_url": url_for("api.attainment_file", attainment_id=a.id) if a.evidence_key else None}


@bp.get("/digital/frameworks")
def list_frameworks() -> ResponseReturnValue:
    """Every published framework version (public)."""
    return jsonify({"items": [framework_json(f) for f in frameworks.published().values()]})


@bp.get("/me/digital")
def my_digital() -> ResponseReturnValue:
    """The caller's records of digital skills."""
    return jsonify({"items": [attainment_json(a) for a in attainments.of_citizen(db(), bearer_actor())]})


@bp.post("/digital/imports")
def import_completions() -> ResponseReturnValue:
    """Import completions from a training platform (CSV); all or nothing; a dry run writes nothing."""
    actor = bearer_actor()
    imports.authorise(actor)
    data, _name = read_file()
    dry_run = flag("dry_run")
    session = db()
    report = imports.import_completions(session, actor, imports.parse(data), request.form.get("source", ""),
                                        dry_run=dry_run)
    if dry_run:
        session.rollback()
    else:
        commit(session)
    return jsonify(report.as_json())


def attempt_json(attempt: DigitalTestAttempt, resumed: bool = False) -> dict[str, object]:
    """An open attempt as the citizen sees it: the form (never a key) and the answers saved so far."""
    bank = items.get(attempt.bank_id)
    return {"id": attempt.id, "items": public_items(bank, attempt.item_ids), "answers": attempt.answers,
            "expires_at": attempt.expires_at.isoformat(), "resumed": resumed}


def result_json(result: attempts.Result) -> dict[str, object]:
    """A submitted attempt's outcome, per area, with what to learn next."""
    earned = result.attempt.attainment_id
    return {"passed": result.passed, "score": round(result.score.overall, 4), "correct": result.score.correct,
            "total": result.score.total, "areas": {k: round(v, 4) for k, v in result.score.by_area.items()},
            "advice": {k: v.get("vi", "") for k, v in result.advice.items()},
            "attainment": None if earned is None else {"id": earned, "state": "verified"}}


@bp.post("/digital/tests")
def start_test() -> ResponseReturnValue:
    """Start the built-in basic test, or resume the open attempt."""
    session = db()
    attempt, resumed = attempts.start(session, bearer_actor())
    commit(session)
    return jsonify(attempt_json(attempt, resumed)), 200 if resumed else 201


@bp.post("/digital/tests/<attempt_id>/submit")
def submit_test(attempt_id: str) -> ResponseReturnValue:
    """Submit answers; the score at once; a pass is a verified attainment."""
    session = db()
    body = json_body()
    result = attempts.submit(session, bearer_actor(), attempt_id, body.get("answers", {}))
    commit(session)
    return jsonify(result_json(result))


@bp.post("/me/digital/certificates")
def send_certificate() -> ResponseReturnValue:
    """A citizen sends a course certificate (multipart: course, issuer, achieved_on, file `evidence`): pending."""
    actor = bearer_actor()
    if actor.citizen_id is None:
        raise NotFound()
    data = {k: request.form.get(k) for k in ("course", "issuer", "achieved_on")}
    checked = checked_evidence(request.files.get("evidence"), digital_folder(actor.citizen_id))
    session = db()
    record = verification.submit_certificate(session, actor, parse(CertificateInput, data),
                                             checked[0].key if checked else None)
    if checked:
        save_evidence(*checked)
    commit(session)
    return jsonify(attainment_json(record)), 201


@bp.post("/me/digital/self-assessments")
def self_assess() -> ResponseReturnValue:
    """A citizen rates themselves in every area of the basic framework: kept, never counted."""
    session = db()
    record = attainments.record_self_assessment(session, bearer_actor(),
                                                parse(DigitalSelfAssessmentInput, json_body()))
    commit(session)
    return jsonify(attainment_json(record)), 201


@bp.post("/digital/assessments")
def record_assessment() -> ResponseReturnValue:
    """Ward reviewers and learning-centre staff record a supervised assessment of a citizen of their ward."""
    session = db()
    record = verification.record_assessment(session, bearer_actor(), parse(AssessmentInput, json_body()))
    commit(session)
    return jsonify(attainment_json(record)), 201


@bp.get("/review/digital")
def digital_queue() -> ResponseReturnValue:
    """The ward's records waiting for verification, oldest first; `after` is the previous page's `next`."""
    token = request.args.get("after", "")
    after = Cursor.parse(token, "after") if token else None
    found = verification.pending(db(), bearer_actor(), after=after)
    return jsonify({"items": [{
        "id": r.id, "kind": r.kind.value, "version": r.version, "citizen_name": r.citizen_name,
        "cccd_masked": r.cccd_masked, "course": r.course, "source": r.source, "level": r.level,
        "achieved_on": r.achieved_on.isoformat(), "received_at": r.created_at.isoformat()} for r in found.rows],
        "total": found.total, "next": found.after.token() if found.after else None})


@bp.post("/digital/attainments/<attainment_id>/review")
def review_attainment(attainment_id: str) -> ResponseReturnValue:
    """Verify at a level, or do not accept with a reason (ward reviewer)."""
    session = db()
    record = verification.review(session, bearer_actor(), attainment_id,
                                 parse(AttainmentReviewInput, json_body()))
    commit(session)
    return jsonify(attainment_json(record))


@bp.get("/digital/attainments/<attainment_id>/file")
def attainment_file(attainment_id: str) -> ResponseReturnValue:
    """The certificate file, for its holder, the ward's officials and administrators."""
    return attainment_evidence_response(db(), bearer_actor(), attainment_id)
