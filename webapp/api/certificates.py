"""Certificates: details, the PDF, revocation, and public verification."""

from flask import Response, jsonify
from flask.typing import ResponseReturnValue

from certificates import StorageKeyMissing
from workflows import issuance
from workflows.errors import Conflict, NotFound
from workflows.models import Certificate

from ..auth import bearer_actor
from ..database import db
from ..runtime import runtime
from . import bp
from .io import json_body


def certificate_json(cert: Certificate) -> dict[str, object]:
    """The certificate as the API contract describes it."""
    snap = cert.snapshot
    return {"code": cert.code, "status": cert.status, "holder_name": snap.get("holder_name"),
            "ward_code": cert.ward_code, "year": cert.year, "decision_number": snap.get("decision_number"),
            "issued_on": issuance.issued_on(cert), "sha256": cert.sha256,
            "register_number": cert.register_number, "signature": cert.signature, "key_id": cert.key_id,
            "pdf_url": f"/api/v1/certificates/{cert.code}/pdf", "verify_url": runtime().verify_url(cert.code),
            "revoked_reason": cert.revoke_reason}


def pdf_response(cert: Certificate) -> Response:
    """The stored PDF, or 409 while it is still being produced."""
    if cert.storage_key is None or cert.status not in ("issued", "revoked", "superseded"):
        raise Conflict("not_issued_yet")
    try:
        data = runtime().storage.get(cert.storage_key)
    except StorageKeyMissing as exc:
        raise NotFound() from exc
    return Response(data, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="giay-cong-nhan-{cert.code}.pdf"',
        "Cache-Control": "private, no-store"})


@bp.get("/certificates/<code>")
def show_certificate(code: str) -> ResponseReturnValue:
    """Details for the holder, the ward's staff or an admin."""
    return jsonify(certificate_json(issuance.certificate_for(db(), bearer_actor(), code)))


@bp.get("/certificates/<code>/pdf")
def pdf(code: str) -> Response:
    """The PDF once issued."""
    return pdf_response(issuance.certificate_for(db(), bearer_actor(), code))


@bp.post("/certificates/<code>/revoke")
def revoke(code: str) -> ResponseReturnValue:
    """Revoke with a reason (ward chair of its ward, or admin)."""
    session = db()
    cert = issuance.revoke(session, bearer_actor(), code, json_body().get("reason"))
    session.commit()
    return jsonify(certificate_json(cert))


@bp.get("/verify/<code>")
def verify(code: str) -> ResponseReturnValue:
    """Public: is this code a valid certificate?"""
    result = issuance.verify(db(), code)
    body = {k: v for k, v in result.__dict__.items() if v is not None or k in ("valid", "status")}
    return jsonify(body)
