"""A citizen's application: open, read, log activities, self-assess, submit."""

from flask import jsonify, request
from flask.typing import ResponseReturnValue

from workflows import applications as apps
from workflows.access import visible_application
from workflows.inputs import ActivityInput, ApplicationInput, SelfAssessmentInput, parse

from ..auth import bearer_actor
from ..database import db
from ..dispatch import commit
from ..evidence import application_folder, checked_evidence, save_evidence
from ..serializers import activity_json, application_json
from . import bp
from .io import json_body


@bp.post("/applications")
def open_application() -> ResponseReturnValue:
    """Open the caller's application for a year."""
    session = db()
    actor = bearer_actor()
    app = apps.open_application(session, actor, parse(ApplicationInput, json_body()))
    commit(session)
    return jsonify(application_json(session, app)), 201


@bp.get("/applications/<application_id>")
def get_application(application_id: str) -> ResponseReturnValue:
    """Read an application (owner, its ward's staff, admin)."""
    session = db()
    app = visible_application(session, bearer_actor(), application_id)
    return jsonify(application_json(session, app))


@bp.post("/applications/<application_id>/activities")
def add_activity(application_id: str) -> ResponseReturnValue:
    """Log an activity with an optional evidence file (multipart) or as JSON."""
    actor = bearer_actor()
    session = db()
    visible_application(session, actor, application_id)
    if request.mimetype == "application/json":
        data, evidence = json_body(), None
    else:
        data = request.form.to_dict()
        if "indicator_codes" in request.form:
            data["indicator_codes"] = ",".join(request.form.getlist("indicator_codes"))
        evidence = checked_evidence(request.files.get("evidence"), application_folder(application_id))
    activity = apps.add_activity(session, actor, application_id, parse(ActivityInput, data),
                                 evidence[0] if evidence else None)
    if evidence:
        save_evidence(*evidence)  # only once the activity is valid, so a refused form leaves no file behind
    commit(session)
    return jsonify(activity_json(activity)), 201


@bp.put("/applications/<application_id>/self-assessment")
def self_assessment(application_id: str) -> ResponseReturnValue:
    """Record self-scores."""
    session = db()
    actor = bearer_actor()
    app = apps.set_self_assessment(session, actor, application_id, parse(SelfAssessmentInput, json_body()))
    commit(session)
    return jsonify(application_json(session, app))


@bp.post("/applications/<application_id>/submit")
def submit(application_id: str) -> ResponseReturnValue:
    """Submit for review."""
    session = db()
    app = apps.submit(session, bearer_actor(), application_id)
    commit(session)
    return jsonify(application_json(session, app))
