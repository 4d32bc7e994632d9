"""A citizen's rights over their personal data (ADR 41): download it all, file a request to correct or delete;
the ward's staff list their ward's open requests and answer them."""

from flask import jsonify
from flask.typing import ResponseReturnValue

from workflows import privacy

from ..auth import bearer_actor
from ..database import db
from ..dispatch import commit
from ..downloads import personal_data_response
from ..serializers import privacy_request_json
from . import bp
from .io import json_body


@bp.get("/me/data")
def my_data() -> ResponseReturnValue:
    """Everything the system holds about the calling citizen, as one JSON file (the export is audited)."""
    return personal_data_response(bearer_actor())


@bp.get("/me/privacy-requests")
def my_privacy_requests() -> ResponseReturnValue:
    """The calling citizen's requests, newest first."""
    return jsonify({"items": [privacy_request_json(r) for r in privacy.my_requests(db(), bearer_actor())]})


@bp.post("/me/privacy-requests")
def file_privacy_request() -> ResponseReturnValue:
    """File a request to correct or delete; due two working days later."""
    session = db()
    request = privacy.file_request(session, bearer_actor(), json_body())
    commit(session)
    return jsonify(privacy_request_json(request)), 201


@bp.get("/ward/privacy-requests")
def ward_privacy_requests() -> ResponseReturnValue:
    """The open requests of the caller's ward, the nearest deadline first."""
    listed = privacy.ward_requests(db(), bearer_actor())
    return jsonify({"items": [privacy_request_json(x.request) | {"citizen_name": x.full_name,
                                                                 "cccd_masked": x.cccd_masked, "overdue": x.overdue}
                              for x in listed]})


@bp.post("/ward/privacy-requests/<request_id>/close")
def close_privacy_request(request_id: str) -> ResponseReturnValue:
    """Answer a request of the caller's ward: done (a deletion erases the profile) or refused with a reason."""
    session = db()
    request = privacy.close_request(session, bearer_actor(), request_id, json_body())
    commit(session)
    return jsonify(privacy_request_json(request))
