"""Component schemas of the OpenAPI document: one per request and response body, named as the code shapes them."""

from typing import Any

from workflows.actors import ROLES as LOGIN_ROLES
from workflows.bulk_review import OUTCOMES
from workflows.inputs import REVIEW_EVENTS
from workflows.vocabulary import (
    ActivityKind,
    ApplicationState,
    AttainmentKind,
    AttainmentState,
    CertificateStatus,
    Sex,
    TargetGroup,
    TitleType,
    VerificationStatus,
)

Schema = dict[str, Any]

# Every enum of the document comes from the one vocabulary (a test compares them).
APPLICATION_STATES = ApplicationState.values()
CERTIFICATE_STATUSES = CertificateStatus.values()
ROLES = [r.value for r in LOGIN_ROLES]
TARGET_GROUPS = TargetGroup.values()
ACTIVITY_KINDS = ActivityKind.values()
REVIEW_ACTIONS = [e.value for e in REVIEW_EVENTS]


def ref(name: str) -> Schema:
    """A reference to a component schema."""
    return {"$ref": f"#/components/schemas/{name}"}


def obj(props: dict[str, Schema], required: list[str] | None = None, **extra: Any) -> Schema:
    """An object; every property is required unless a list says otherwise."""
    return {"type": "object", "properties": props, "required": list(props) if required is None else required,
            **extra}


def t(kind: str, **extra: Any) -> Schema:
    """A plain typed schema."""
    return {"type": kind, **extra}


def null(schema: Schema) -> Schema:
    """The schema or null."""
    if "type" in schema and isinstance(schema["type"], str):
        return {**schema, "type": [schema["type"], "null"]}
    return {"anyOf": [schema, {"type": "null"}]}


def array(items: Schema) -> Schema:
    """A list of items."""
    return {"type": "array", "items": items}


STR, INT, BOOL = t("string"), t("integer"), t("boolean")
GROUP_TEXTS = {"residents": STR, "workers": STR, "staff": STR, "students": STR}  # QĐ 324's four target groups
ID = t("string", description="Opaque id (never the CCCD).")
DATE, DATETIME = t("string", format="date"), t("string", format="date-time")
WARD = t("string", pattern=r"^\d{5}$", examples=["00004"])
CODE = t("string", description="Certificate code as printed on the certificate.")
RATE = null(t("number", description="A fraction (0.5 = 50%); null when the population is unknown."))
SCORES = t("object", propertyNames={"pattern": r"^[IVX]+\.\d+$"},
           additionalProperties=t("integer", minimum=0, maximum=10), examples=[{"I.1": 9, "III.2": 8}])
MESSAGES = t("object", additionalProperties=STR)
ACTIVITY_FIELDS: dict[str, Schema] = {
    "title": t("string", maxLength=300), "kind": t("string", enum=ACTIVITY_KINDS),
    "hours": t("integer", minimum=1, maximum=2000), "started_on": DATE, "ended_on": DATE,
    "provider": t("string", maxLength=200),
}
ROLLUP_LINE = obj({"code": STR, "name": STR, "population": null(INT), "cdht": INT, "cdht_rate": RATE,
                   "cdht_target": null(t("number")),
                   "digital": t("integer", description="Citizens holding basic digital skills in the year."),
                   "digital_population": null(t("integer", description="The digital target's denominator.")),
                   "digital_rate": RATE,
                   "digital_target": null(t("number")),
                   "applications": t("integer", description="Applications of the year sent for review."),
                   "recognised_applications": t("integer", description="Of those, recognised by a decision."),
                   "pass_rate": null(t("number", description="Recognised over sent (not coverage)."))})

DIGITAL_RECORD = obj({
    "id": STR, "kind": t("string", enum=AttainmentKind.values()), "state": t("string", enum=AttainmentState.values()),
    "version": INT, "framework": STR, "level": null(INT), "achieved_on": DATE, "source": STR, "course": null(STR),
    "counts": BOOL, "valid_from_year": INT, "valid_to_year": INT, "reason": null(STR),
    "areas": t("object", description="Per area: a self-assessment's levels, or a test's shares right."),
    "file_url": null(t("string", description="Where the certificate file is served, when one was sent."))})
PRIVACY_REQUEST = obj({"id": ID, "kind": t("string", enum=["correction", "deletion"]), "field": null(STR),
                       "text": STR, "filed_at": DATETIME,
                       "due_on": {**DATE, "description": "Two working days after filing (Hà Nội)."},
                       "state": t("string", enum=["open", "done", "refused"]), "outcome": null(STR),
                       "closed_at": null(DATETIME)})

SCHEMAS: dict[str, Schema] = {
    "Error": obj({"error": obj({
        "code": t("string", description="Stable machine-readable code, e.g. `invalid`, `stale_version`."),
        "message": t("string", description="In the request's language (Vietnamese by default, `Accept-Language: en`)."),
        "fields": {**MESSAGES, "description": "Field name → translated message."},
        "field_codes": {**MESSAGES, "description": "Field name → machine-readable error code."},
        "columns": {**MESSAGES,
                    "description": "For a file's bad rows: `row.N` → the column at fault; empty otherwise."}},
        required=["code", "message", "fields", "field_codes"])}),
    "TokenRequest": obj({"username": t("string", maxLength=64, description="A citizen's username is the CCCD."),
                         "password": t("string", maxLength=128),
                         "otp": t("string", maxLength=32, description=(
                             "Staff with two-step sign-in: the 6-digit code of their authenticator app, or one of "
                             "their recovery codes (ADR 39). Without it: 401 `otp_required`; wrong or used: 401 "
                             "`otp_invalid`; staff who must enrol first: 401 `otp_enrolment_required`."))},
                        required=["username", "password"]),
    "Token": obj({"token": STR, "expires_at": DATETIME, "role": t("string", enum=ROLES)}),
    "PasswordChange": obj({"current_password": t("string", maxLength=128),
                           "password": t("string", maxLength=128, description=(
                               "At least 10 characters; not a common word, not the person's identity number, date "
                               "of birth or name; not the current one."))},
                          required=["current_password", "password"]),
    "CitizenRegistration": obj({
        "cccd": t("string", maxLength=20), "full_name": t("string", maxLength=200), "date_of_birth": DATE,
        "sex": t("string", enum=Sex.values()), "ward_code": WARD, "target_group": t("string", enum=TARGET_GROUPS),
        "password": t("string", maxLength=128), "email": t("string", maxLength=254), "phone": t("string", maxLength=20),
        "hamlet": t("string", maxLength=100),
        "consent": t("boolean", const=True)},
        required=["cccd", "full_name", "date_of_birth", "sex", "ward_code", "target_group", "password", "consent"]),
    "Citizen": obj({"id": ID, "cccd_masked": STR, "full_name": STR, "ward_code": WARD, "date_of_birth": null(DATE),
                    "sex": t("string", enum=Sex.values()), "target_group": t("string", enum=TARGET_GROUPS)}),
    "Me": obj({"id": null(ID), "role": t("string", enum=ROLES), "ward_code": null(WARD),
               "citizen": {**null(ref("Citizen")), "description": "Present for citizens only."}},
              required=["id", "role", "ward_code"]),
    "ApplicationCreate": obj({"year": t("integer", examples=[2026])}),
    "Evidence": obj({"name": STR, "content_type": t("string", enum=["application/pdf", "image/jpeg", "image/png"]),
                     "sha256": STR}),
    "Activity": obj({"id": ID, **ACTIVITY_FIELDS, "ended_on": null(DATE), "provider": null(STR),
                     "indicator_codes": array(STR), "evidence": null(ref("Evidence"))}),
    "ActivityInput": obj({**ACTIVITY_FIELDS, "indicator_codes": array(STR)},
                         required=["title", "kind", "hours", "started_on"]),
    "ActivityUpload": obj({**ACTIVITY_FIELDS,
                           "indicator_codes": t("string", description="Comma-separated, or the field repeated."),
                           "evidence": t("string", format="binary",
                                         description="PDF, JPEG or PNG (checked by content), at most 10 MiB.")},
                          required=["title", "kind", "hours", "started_on"]),
    "CertificateRef": obj({"code": CODE, "status": t("string", enum=CERTIFICATE_STATUSES),
                           "verify_url": t("string", format="uri"), "pdf_url": STR}),
    "Application": obj({
        "id": ID, "year": INT, "state": t("string", enum=APPLICATION_STATES), "version": INT,
        "title_type": t("string", enum=TitleType.values()), "target_group": t("string", enum=TARGET_GROUPS),
        "citizen": obj({"id": ID, "full_name": STR, "cccd_masked": STR}), "ward_code": WARD,
        "activities": array(ref("Activity")), "self_scores": SCORES, "reviewer_scores": SCORES, "total": null(INT),
        "review_comment": null(STR), "submitted_at": null(DATETIME), "certificate": null(ref("CertificateRef"))}),
    "SelfAssessment": obj({"scores": SCORES}),
    "ReviewQueue": obj({"items": array(obj({
        "id": ID, "state": t("string", enum=APPLICATION_STATES), "version": INT, "citizen_name": STR,
        "target_group": t("string", enum=TARGET_GROUPS), "submitted_at": null(DATETIME), "total": null(INT),
        "hamlet": null(t("string", description="Tổ dân phố / thôn.")),
        "assignee": null(t("string", description="The name of the reviewer holding it; null when nobody does.")),
        "passes": t("boolean", description="The pass rule holds on its scores (the reviewer's once reviewed)."),
        "has_evidence": t("boolean", description="Some activity has an evidence file.")})),
        "total": INT, "total_exact": t("boolean", description=(
            "False when a filtered view counted up to its cap (10,000) and stopped: `total` is then a lower bound.")),
        "page": INT, "page_size": INT,
        "next_cursor": null(t("string", description=(
            "Pass as `cursor` for the page after this one; null on the last page. A cursor page starts after the "
            "last row returned, so rows that leave the list meanwhile do not make the client skip any.")))}),
    "CriteriaSets": obj({"items": array(obj({
        "id": ID, "code": STR, "name": STR, "title_type": STR,
        "version": t("string", description="The version's code, e.g. QD-324-KHVN-2023."), "source_document": STR,
        "valid_from": t("integer", description="The first year it applies to."), "min_score": INT, "max_score": INT,
        "pass_total": t("integer", description="The pass rule: the total at least this..."),
        "pass_each": t("integer", description="...and no indicator below this."),
        "competences": array(obj({"code": STR, "name": STR, "name_en": STR, "indicators": array(obj({
            "code": STR, "max": INT,
            "text": obj(GROUP_TEXTS, description="The Vietnamese wording for each target group."),
            "text_en": obj(GROUP_TEXTS, description="The English wording for each target group.")}))}))}))}),
    "BulkReview": obj({"action": t("string", enum=["approve"]), "items": array(obj({
        "id": ID, "version": t("integer", description="The version the reviewer saw.")}))}),
    "BulkResults": obj({"results": array(obj({"id": ID, "outcome": t("string", enum=list(OUTCOMES))}))}),
    "Assign": obj({"application_ids": array(ID), "assignee": null(t(
        "string", description="A reviewer of the ward (their user id); null gives the applications back."))}),
    "Assigned": obj({"assigned": t("integer", description="Applications that changed hands.")}),
    "Review": obj({"action": t("string", enum=REVIEW_ACTIONS), "scores": SCORES,
                   "comment": t("string", maxLength=2000, description="Required when returning or rejecting."),
                   "version": t("integer", description="The version read; a stale one answers 409."),
                   "confirm_self_scores": t("boolean", description=(
                       "Approving without scoring every indicator: true confirms the citizen's own scores for "
                       "the indicators left blank (otherwise 422 `confirm_self_scores`)."))},
                  required=["action", "version"]),
    "DecisionCreate": obj({"year": t("integer", minimum=2024, maximum=2100), "number": t("string", maxLength=40),
                           "signed_on": DATE, "signer_name": t("string", maxLength=200),
                           "application_ids": t("array", items=ID, minItems=1, uniqueItems=True)}),
    "DecisionCreated": obj({"id": ID, "number": STR, "year": INT, "certificates": array(obj({
        "application_id": ID, "code": CODE, "status": t("string", enum=CERTIFICATE_STATUSES)}))}),
    "Decision": obj({"id": ID, "ward_code": WARD, "year": INT, "number": STR, "signed_on": null(DATE),
                     "signer_name": STR, "total": INT, "issued": INT, "failed": INT,
                     "queued": t("integer", description="Queued or rendering."),
                     "superseded": t("integer", description="Replaced by a corrected reissue; not in `total`."),
                     "document_status": null(t("string", enum=["queued", "issued"],
                                               description="The decision document (ADR 30); null before it existed.")),
                     "document_sha256": null(STR)}),
    "Requeued": obj({"requeued": t("integer", description="Failed certificates queued again.")}),
    "Certificate": obj({
        "code": CODE, "status": t("string", enum=CERTIFICATE_STATUSES), "holder_name": null(STR), "ward_code": WARD,
        "year": INT, "decision_number": null(STR), "issued_on": null(DATE), "sha256": null(STR),
        "register_number": null(STR), "signature": null(STR), "key_id": null(STR), "pdf_url": STR,
        "verify_url": t("string", format="uri"), "revoked_reason": null(STR)}),
    "Revocation": obj({"reason": t("string", minLength=1, maxLength=500)}),
    "Reissue": obj({
        "full_name": t("string", minLength=2, maxLength=200, description="The corrected name (NFC); left out: as "
                       "the citizen's record has it."),
        "date_of_birth": t("string", format="date", description="The corrected date (YYYY-MM-DD), which the CCCD "
                           "must agree with; left out: as the record has it."),
        "reason": t("string", minLength=1, maxLength=500)}, required=["reason"]),
    "Reissued": obj({"code": CODE, "status": t("string", enum=CERTIFICATE_STATUSES),
                     "supersedes": t("string", description="The code of the certificate superseded."),
                     "register_number": STR, "verify_url": t("string", format="uri")}),
    "Verification": obj({
        "valid": BOOL, "status": t("string", enum=VerificationStatus.values()),
        "title": STR, "year": INT, "ward_name": STR, "holder_name": STR, "issued_on": DATE, "decision_number": STR,
        "reason": t("string", description="Why it was revoked."),
        "superseded_by": obj({"code": STR, "verify_url": t("string", format="uri")},
                             description="A superseded certificate: the newest certificate of its chain of reissues.")},
        required=["valid", "status"], description="Facts that are unknown are left out."),
    "RollupLine": ROLLUP_LINE,
    "Target": obj({"milestone_year": INT, "value": t("number"), "expected_by_now": t("number"), "source": STR}),
    "Rollup": obj({"year": INT, "targets": obj({"cdht": null(ref("Target")), "digital": null(ref("Target"))}),
                   "city": ref("RollupLine"), "wards": array(ref("RollupLine")), "wards_without_population": INT}),
    "DigitalFrameworks": obj({"items": array(obj({
        "id": STR, "name": STR, "version": STR, "publisher": STR, "source": STR, "levels": INT,
        "areas": array(obj({"code": STR, "name": STR})),
        "basic_rule": null(obj({"overall_min": t("number"), "area_min": t("number"), "min_level": INT,
                                "valid_years": INT}))}))}),
    "DigitalRecord": DIGITAL_RECORD,
    "DigitalRecords": obj({"items": array(DIGITAL_RECORD)}),
    "DigitalCertificate": obj({
        "course": t("string", maxLength=300), "issuer": t("string", maxLength=200), "achieved_on": DATE,
        "evidence": t("string", format="binary", description="PDF, JPG or PNG, 10 MB at most.")},
        required=["course", "issuer", "achieved_on", "evidence"]),
    "DigitalSelfAssessment": obj({"areas": t("object", additionalProperties=t("integer", minimum=0, maximum=8),
                                              description="Area code → level (0: not yet level 1).")},
                                 required=["areas"]),
    "DigitalAssessment": obj({
        "cccd": t("string", pattern="^[0-9]{12}$"), "achieved_on": DATE,
        "level": t("integer", minimum=0, maximum=8, description="0: level 1 not reached."),
        "centre": t("string", maxLength=200),
        "reference": null(t("string", maxLength=100, description="The paper's number: recorded once per centre."))},
        required=["cccd", "achieved_on", "level", "centre"]),
    "DigitalReview": obj({
        "action": t("string", enum=["verify", "decline"]), "version": INT,
        "level": null(t("integer", minimum=0, maximum=8)), "reason": null(t("string", maxLength=1000))},
        required=["action", "version"]),
    "DigitalQueue": obj({"total": INT, "next": null(STR), "items": array(obj({
        "id": STR, "kind": t("string", enum=AttainmentKind.values()), "version": INT, "citizen_name": STR,
        "cccd_masked": STR, "course": null(STR), "source": STR, "level": null(INT), "achieved_on": DATE,
        "received_at": t("string", format="date-time")}))}),
    "DigitalImport": obj({"file": t("string", format="binary",
                                    description="CSV, UTF-8, header `cccd,completed_on,external_id,course`; dates "
                                                "as YYYY-MM-DD or DD/MM/YYYY."),
                          "source": t("string", maxLength=200, description='e.g. "Bình dân học vụ số"'),
                          "dry_run": t("boolean", description="Check and report; write nothing.")},
                         required=["file", "source"]),
    "DigitalTest": obj({"id": STR, "expires_at": t("string", format="date-time"), "resumed": BOOL,
                        "answers": t("object", additionalProperties=INT),
                        "items": array(obj({"id": STR, "area": STR, "competence": STR, "text": STR,
                                            "choices": array(STR)}))}),
    "DigitalTestSubmit": obj({"answers": t("object", additionalProperties=t("integer", minimum=0),
                                           description="Item id → the index of the choice.")}),
    "DigitalTestResult": obj({"passed": BOOL, "score": t("number"), "correct": INT, "total": INT,
                              "areas": t("object", additionalProperties=t("number")),
                              "advice": t("object", additionalProperties=STR),
                              "attainment": null(obj({"id": STR, "state": STR}))}),
    "DigitalImportReport": obj({"rows": INT, "imported": INT, "skipped_existing": INT, "unknown_cccd": INT,
                                "unknown_rows": array(INT), "dry_run": BOOL}),
    "PopulationImport": obj({"file": t("string", format="binary",
                                       description="CSV, UTF-8, header `ward_code,year,mode,population`."),
                             "source": t("string", maxLength=200), "dry_run": t("boolean")},
                            required=["file", "source"]),
    "PopulationImportReport": obj({"rows": INT, "imported": INT, "replaced": INT, "unchanged": INT,
                                   "import_id": null(STR), "dry_run": BOOL}),
    "AssistedRegistration": obj({
        "cccd": t("string", maxLength=20), "full_name": t("string", maxLength=200), "date_of_birth": DATE,
        "sex": t("string", enum=Sex.values()), "target_group": t("string", enum=TARGET_GROUPS),
        "ward_code": {**WARD, "description": "The caller's own ward (the default); any other is 403."},
        "email": t("string", maxLength=254), "phone": t("string", maxLength=20), "hamlet": t("string", maxLength=100),
        "consent_paper": t("boolean", const=True, description="The citizen signed the paper consent form."),
        "consent_reference": t("string", maxLength=100, description="The paper form's number, if any.")},
        required=["cccd", "full_name", "date_of_birth", "sex", "target_group", "consent_paper"]),
    "AssistedRegistered": obj({
        "id": ID, "cccd_masked": STR, "full_name": STR, "ward_code": WARD, "date_of_birth": null(DATE),
        "sex": t("string", enum=Sex.values()), "target_group": t("string", enum=TARGET_GROUPS),
        "consent_channel": t("string", enum=["online", "paper"]), "consent_reference": null(STR),
        "activation_code": t("string", description="One-time code to hand to the citizen; shown in this answer only."),
        "activation_expires_at": DATETIME}),
    "ActivationCodeRequest": obj({"cccd": t("string", maxLength=20)}),
    "Activation": obj({"cccd": t("string", maxLength=20), "code": t("string", maxLength=40),
                       "password": t("string", minLength=8, maxLength=128)}),
    "CitizenImport": obj({"file": t("string", format="binary", description=(
        "CSV, UTF-8, header `cccd,full_name,date_of_birth,sex,target_group,hamlet,phone,email,consent_reference`; "
        "dates YYYY-MM-DD or DD/MM/YYYY; sex `nam`/`nữ` or `male`/`female`; the target group by code or label.")),
        "dry_run": t("boolean", description="Check and report; write nothing.")}, required=["file"]),
    "CitizenImportReport": obj({
        "rows": INT, "created": INT, "existing": t("integer", description="Registered in the ward already, same "
                                                                           "details: left as they are."),
        "dry_run": BOOL, "import_id": null(STR), "activation_expires_at": null(DATETIME),
        "codes": array(obj({"cccd_masked": STR, "full_name": STR, "activation_code": STR}))}),
    "PublishedKeys": obj({"keys": array(obj({
        "kid": t("string", pattern="^[0-9a-f]{16}$",
                 description="First 16 hex digits of SHA-256 of the raw public key; named in every signed payload."),
        "alg": t("string", const="Ed25519"),
        "public_key": t("string", pattern="^[A-Za-z0-9_-]{43}$", description="The raw 32 bytes, base64url."),
        "status": t("string", enum=["active", "retired"], description=(
            "`active` signs new certificates; `retired` signs no more, and what it signed still verifies."))}))}),
    "PersonalData": obj({
        "format": t("string", const="cdht-personal-data-1"), "exported_at": DATETIME, "controller": STR,
        "account": t("object"), "profile": t("object"),
        **{k: array(t("object")) for k in ("consents", "applications", "certificates", "digital_skills",
                                            "digital_tests", "privacy_requests", "audit_events")}},
        description="Everything held about the citizen (ADR 41). Columns as stored, less internal bookkeeping; an "
                    "account other than the citizen's own is `{\"role\", \"ward_code\"}`, theirs is `\"you\"`."),
    "PrivacyRequestInput": obj({
        "kind": t("string", enum=["correction", "deletion"]),
        "field": t("string", enum=["full_name", "date_of_birth", "sex", "ward_code", "hamlet", "target_group", "email",
                                   "phone", "cccd", "other"], description="Required for a correction."),
        "text": t("string", maxLength=2000)}, required=["kind", "text"]),
    "PrivacyRequest": PRIVACY_REQUEST,
    "PrivacyRequests": obj({"items": array(PRIVACY_REQUEST)}),
    "WardPrivacyRequests": obj({"items": array({"allOf": [PRIVACY_REQUEST, obj({
        "citizen_name": STR, "cccd_masked": STR, "overdue": BOOL})]})}),
    "PrivacyRequestClose": obj({
        "outcome": t("string", enum=["done", "refused"]),
        "text": t("string", maxLength=2000, description="What was done, or why it is refused (required to refuse); "
                                                        "the citizen reads it.")}, required=["outcome"]),
    "Health": obj({"status": t("string", const="ok")}),
    "Readiness": obj({"status": t("string", enum=["ready", "not_ready"]),
                      "checks": t("object", additionalProperties=STR,
                                  description="database, broker, storage: `ok` or the failure's name.")}),
}
