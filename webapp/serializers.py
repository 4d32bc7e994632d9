"""JSON shapes of domain objects, shared by the API and the pages (which never import each other)."""

from datetime import date, datetime
from typing import Any

from sqlmodel import Session, col, select

from workflows import applications as apps
from workflows import issuance
from workflows.cccd import mask
from workflows.models import Activity, Application, Certificate, Citizen, PrivacyRequest
from workflows.registration import Receipt

from .runtime import runtime


def iso(value: date | datetime | None) -> str | None:
    """ISO 8601 or null."""
    return value.isoformat() if value else None


def citizen_json(citizen: Citizen) -> dict[str, Any]:
    """A citizen's public profile: never the full CCCD."""
    return {"id": citizen.id, "cccd_masked": mask(citizen.cccd), "full_name": citizen.full_name,
            "ward_code": citizen.ward_code, "date_of_birth": iso(citizen.date_of_birth), "sex": citizen.sex,
            "target_group": citizen.target_group}


def receipt_json(receipt: Receipt) -> dict[str, Any]:
    """The answer to a self-registration, built from what was sent: the same whether the number was new or not."""
    person = receipt.person
    return {"id": receipt.id, "cccd_masked": mask(person.cccd), "full_name": person.full_name,
            "ward_code": receipt.ward_code, "date_of_birth": iso(person.date_of_birth), "sex": person.sex,
            "target_group": person.target_group}


def registered_json(citizen: Citizen, code: str, expires_at: datetime) -> dict[str, Any]:
    """A citizen registered by ward staff, with the activation code to hand to them (in this answer only)."""
    return citizen_json(citizen) | {"consent_channel": citizen.consent_channel,
                                    "consent_reference": citizen.consent_reference,
                                    "activation_code": code, "activation_expires_at": iso(expires_at)}


def activity_json(a: Activity) -> dict[str, Any]:
    """One logged activity."""
    return {"id": a.id, "title": a.title, "kind": a.kind, "hours": a.hours, "started_on": iso(a.started_on),
            "ended_on": iso(a.ended_on), "provider": a.provider, "indicator_codes": a.indicator_codes,
            "evidence": {"name": a.evidence_name, "content_type": a.evidence_type, "sha256": a.evidence_sha256}
            if a.evidence_key else None}


def certificate_ref(cert: Certificate) -> dict[str, Any]:
    """The short form embedded in an application."""
    return {"code": cert.code, "status": cert.status, "verify_url": runtime().verify_url(cert.code),
            "pdf_url": f"/api/v1/certificates/{cert.code}/pdf"}


def application_json(session: Session, app: Application) -> dict[str, Any]:
    """The full application as the API contract describes it."""
    # The applicant and the application's newest certificate (if any) in one statement.
    newest = (select(Certificate.id).where(Certificate.application_id == app.id)
              .order_by(col(Certificate.queued_at).desc()).limit(1).scalar_subquery())
    found = session.exec(select(Citizen, Certificate).outerjoin(Certificate, col(Certificate.id) == newest)
                         .where(Citizen.id == app.citizen_id)).first()
    assert found is not None
    citizen, cert = found
    return {
        "id": app.id, "year": app.year, "state": app.state, "version": app.version,
        "title_type": app.title_type, "target_group": app.target_group,
        "citizen": {"id": citizen.id, "full_name": citizen.full_name, "cccd_masked": mask(citizen.cccd)},
        "ward_code": app.ward_code,
        "activities": [activity_json(a) for a in apps.activities_of(session, app)],
        "self_scores": app.self_scores, "reviewer_scores": app.reviewer_scores, "total": app.total,
        "review_comment": app.review_comment, "submitted_at": iso(app.submitted_at),
        "certificate": certificate_ref(cert) if cert else None,
    }


def certificate_json(cert: Certificate) -> dict[str, object]:
    """The certificate as the API contract describes it."""
    snap = cert.snapshot
    return {"code": cert.code, "status": cert.status, "holder_name": snap.get("holder_name"),
            "ward_code": cert.ward_code, "year": cert.year, "decision_number": snap.get("decision_number"),
            "issued_on": issuance.issued_on(cert), "sha256": cert.sha256,
            "register_number": cert.register_number, "signature": cert.signature, "key_id": cert.key_id,
            "pdf_url": f"/api/v1/certificates/{cert.code}/pdf", "verify_url": runtime().verify_url(cert.code),
            "revoked_reason": cert.revoke_reason}


def privacy_request_json(r: PrivacyRequest) -> dict[str, Any]:
    """A request about personal data as its citizen and their ward's staff see it (ADR 41)."""
    return {"id": r.id, "kind": r.kind, "field": r.field, "text": r.text, "filed_at": iso(r.filed_at),
            "due_on": iso(r.due_on), "state": r.state, "outcome": r.outcome, "closed_at": iso(r.closed_at)}

