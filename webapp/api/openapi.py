"""GET /api/openapi.json: the hand-written OpenAPI 3.1 document of the JSON API (contract in docs/api.md)."""

from typing import Any

from flask import Blueprint, Response, jsonify

from workflows.review_queue import QUEUE_STATES
from workflows.vocabulary import TargetGroup

from .openapi_schemas import SCHEMAS, Schema, ref

bp = Blueprint("openapi", __name__)

ERRORS = {  # status -> (component name, description)
    "400": ("BadRequest", ("The body is not one JSON object nested at most 32 levels deep (`bad_json`), or the "
                           "request's path, query, form or body carries characters no text may hold, NUL or a lone "
                           "surrogate (`invalid_characters`, any operation).")),
    "401": ("Unauthorized", "No valid bearer token, or wrong username or password."),
    "403": ("Forbidden", "The caller's role may not do this."),
    "404": ("NotFound", "No such object, or one of another ward or another citizen."),
    "409": ("Conflict", "The object's state or version does not allow this, or it already exists."),
    "413": ("TooLarge", "The request body is larger than 12 MiB."),
    "415": ("UnsupportedMedia", "The body's media type is not supported."),
    "422": ("Invalid", "One or more fields are invalid; `fields` names each."),
    "429": ("RateLimited", "Too many attempts; retry later."),
    "503": ("Unavailable", ("The database cannot be reached (`unavailable`, with `Retry-After: 30`): nothing was "
                            "recorded; send it again.")),
}
PUBLIC: list[dict[str, list[str]]] = []  # `security: []`: no token needed


def content(schema: Schema, media: str = "application/json") -> dict[str, Any]:
    """A content map with one media type."""
    return {media: {"schema": schema}}


def ok(name: str, description: str = "OK") -> dict[str, Any]:
    """A JSON response carrying a component schema."""
    return {"description": description, "content": content(ref(name))}


def html(description: str) -> dict[str, Any]:
    """An HTML page."""
    return {"description": description, "content": content({"type": "string"}, "text/html")}


# Outside /api/ an error is a page: characters no text may hold (NUL, a lone surrogate) in the path or the query;
# the database unreachable (for the pages that read it).
PAGE_400 = {"400": html("HTML page: the request carries characters that are not allowed")}
PAGE_503 = {"503": html("HTML page: the service is briefly unavailable (`Retry-After: 30`)")}


def body(name: str, media: str = "application/json") -> dict[str, Any]:
    """A required request body."""
    return {"required": True, "content": content(ref(name), media)}


def path_param(name: str, description: str) -> dict[str, Any]:
    """A string path parameter."""
    return {"name": name, "in": "path", "required": True, "description": description, "schema": {"type": "string"}}


def query(name: str, schema: Schema, description: str) -> dict[str, Any]:
    """An optional query parameter."""
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


APP_ID = path_param("application_id", "The application's id.")
CODE = path_param("code", "The certificate code.")


def op(op_id: str, tag: str, summary: str, success: dict[str, dict[str, Any]], errors: str = "",
       always: str = "400 503", **extra: Any) -> dict[str, Any]:
    """One operation: its success answers plus the shared error responses named by status ("401 404"), and those
    any API operation may give (`always`): 400 for characters refused before a view runs, 503 while the database
    cannot be reached. The operations outside /api/ answer errors as pages: they name theirs in `success`."""
    responses = dict(success)
    for status in (*always.split(), *errors.split()):
        responses.setdefault(status, {"$ref": f"#/components/responses/{ERRORS[status][0]}"})
    secured = extra.get("security") is not PUBLIC
    if secured and "401" not in responses:
        responses["401"] = {"$ref": "#/components/responses/Unauthorized"}
    return {"operationId": op_id, "tags": [tag], "summary": summary, **extra,
            "responses": dict(sorted(responses.items()))}


PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/auth/token": {"post": op(
        "createToken", "auth", "Exchange a username and password for a bearer token",
        {"200": ok("Token")}, "400 401 413 422 429", security=PUBLIC, requestBody=body("TokenRequest"),
        description="A citizen's username is the CCCD. Tokens expire and can be revoked. Staff with two-step "
                    "sign-in add `otp` (ADR 39)."),
        "delete": op("revokeToken", "auth", "Revoke the bearer token sent with this request",
                     {"204": {"description": "Revoked"}})},
    "/api/v1/me": {"get": op("getMe", "auth", "The caller's profile and role", {"200": ok("Me")})},
    "/api/v1/me/password": {"put": op(
        "changePassword", "auth", "Change the caller's password",
        {"204": {"description": "Changed: every token of the account is revoked"}}, "400 413 422 429",
        requestBody=body("PasswordChange"),
        description="`current_password_wrong` (422) counts against the account's limit (429 past it). Every session "
                    "and API token of the account ends, the one of this request too: ask for a new token.")},
    "/api/v1/citizens": {"post": op(
        "registerCitizen", "citizens", "Self-registration of a citizen", {"201": ok("Citizen", "Registered")},
        "400 409 413 422 429", security=PUBLIC, requestBody=body("CitizenRegistration"),
        description="409 when the CCCD is already registered; 422 names each invalid field; 429 past the "
                    "registrations allowed from one address.")},
    "/api/v1/applications": {"post": op(
        "openApplication", "applications", "Open the caller's application for a year",
        {"201": ok("Application", "Opened in state `draft`")}, "400 404 409 413 422",
        requestBody=body("ApplicationCreate"), description="Citizens only; 409 if one exists for that year, "
                                                  "`registration_closed` outside the year's registration period, "
                                                  "`year_closed` once the year is closed.")},
    "/api/v1/applications/{application_id}": {"get": op(
        "getApplication", "applications", "Read an application (owner, its ward's staff, admin)",
        {"200": ok("Application")}, "404", parameters=[APP_ID])},
    "/api/v1/applications/{application_id}/activities": {"post": op(
        "addActivity", "applications", "Log a learning activity, optionally with an evidence file",
        {"201": ok("Activity", "Logged")}, "400 404 409 413 422", parameters=[APP_ID],
        requestBody={"required": True, "content": {
            "multipart/form-data": {"schema": ref("ActivityUpload"), "encoding": {
                "evidence": {"contentType": "application/pdf, image/jpeg, image/png"}}},
            "application/json": {"schema": ref("ActivityInput")}}},
        description="Owner only, while the application is `draft` or `returned` (409 otherwise) and in the year's "
                    "self-assessment period (409 `self_assessment_closed` or `year_closed`). "
                    "An evidence file of the wrong type, empty, damaged or too large answers 422 on `evidence`.")},
    "/api/v1/applications/{application_id}/self-assessment": {"put": op(
        "setSelfAssessment", "applications", "Record the citizen's own scores (merged into earlier ones)",
        {"200": ok("Application")}, "400 404 409 413 422", parameters=[APP_ID], requestBody=body("SelfAssessment"))},
    "/api/v1/applications/{application_id}/submit": {"post": op(
        "submitApplication", "applications", "Submit for ward review",
        {"200": ok("Application", "Now `submitted`")}, "404 409 422", parameters=[APP_ID],
        description="422 (`incomplete`) when an indicator is unscored or no activity is logged; 409 "
                    "`self_assessment_closed` outside the year's self-assessment period, `year_closed` once the "
                    "year is closed.")},
    "/api/v1/criteria": {"get": op(
        "listCriteria", "criteria", "The published criteria sets with their wording per target group",
        {"200": ok("CriteriaSets")}, security=PUBLIC,
        description="Anyone. Drafts are never listed; an application keeps the version it was opened under.")},
    "/api/v1/review/queue": {"get": op(
        "reviewQueue", "review", "One page of the caller's ward queue (own ward only)",
        {"200": ok("ReviewQueue")}, "404 422", parameters=[
            query("state", {"type": "string", "enum": [s.value for s in QUEUE_STATES],
                            "default": "submitted"}, "Filter by state; empty for all."),
            query("q", {"type": "string"}, "Search the citizen's name."),
            query("page", {"type": "integer", "minimum": 1, "maximum": 100000, "default": 1}, "1-based page."),
            query("cursor", {"type": "string"}, "The `next_cursor` of the page before; 422 when damaged."),
            query("target_group", {"type": "string", "enum": TargetGroup.values()}, "Filter by target group."),
            query("hamlet", {"type": "string"}, "Filter by tổ dân phố / thôn (its code in the ward's list)."),
            query("assignee", {"type": "string"},
                  "Filter by the reviewer holding it: a user id, `me`, or `none` for nobody."),
            query("waited_days", {"type": "integer", "minimum": 0, "maximum": 366},
                  "Only those submitted at least this many days ago."),
            query("has_evidence", {"type": "boolean"}, "Filter by whether some activity has an evidence file."),
            query("passes", {"type": "boolean"}, "Filter by whether the pass rule holds on its scores.")],
        description="Ward reviewers and chairs; other callers get 404. A reviewer of some tổ dân phố / thôn sees "
                    "only theirs.")},
    "/api/v1/review/bulk": {"post": op(
        "bulkReview", "review", "Propose many applications for recognition, each on its own",
        {"200": ok("BulkResults")}, "400 403 413 422", requestBody=body("BulkReview"),
        description="Ward reviewers. Each item is proposed with the citizen's own scores confirmed when it is "
                    "still the version given, submitted, within the reviewer's part of the ward and passing the "
                    "rule; otherwise its outcome says why and it is left as it was. At most 5,000 items.")},
    "/api/v1/review/assign": {"post": op(
        "assignApplications", "review", "Give applications to a reviewer of the ward",
        {"200": ok("Assigned")}, "400 403 404 413 422", requestBody=body("Assign"),
        description="A reviewer of the whole ward or the chair assigns to any reviewer whose part of the ward "
                    "the application is in; a reviewer of some tổ dân phố / thôn takes applications nobody holds "
                    "for themselves only (403 otherwise). Changes no state or version; audited.")},
    "/api/v1/applications/{application_id}/review": {"post": op(
        "reviewApplication", "review", "Approve, return or reject a submitted application",
        {"200": ok("Application")}, "400 403 404 409 413 422", parameters=[APP_ID], requestBody=body("Review"),
        description="Ward reviewers of its ward; 409 on a stale version; 422 when approving fails the pass rule.")},
    "/api/v1/decisions": {"post": op(
        "createDecision", "decisions", "Record a recognition decision and queue its certificates",
        {"201": ok("DecisionCreated", "Recorded; certificates queued")}, "400 403 404 409 413 422",
        requestBody=body("DecisionCreate"),
        description="Ward chairs; only approved applications of the chair's ward and the decision's year.")},
    "/api/v1/decisions/{decision_id}": {"get": op(
        "getDecision", "decisions", "A decision with its issuance progress", {"200": ok("Decision")}, "404",
        parameters=[path_param("decision_id", "The decision's id.")])},
    "/api/v1/decisions/{decision_id}/retry": {"post": op(
        "retryDecision", "decisions", "Queue the decision's failed certificates again (its chair, admin)",
        {"200": ok("Requeued")}, "403 404", parameters=[path_param("decision_id", "The decision's id.")])},
    "/api/v1/decisions/{decision_id}/pdf": {"get": op(
        "getDecisionPdf", "decisions", "The decision document with its attached list (its ward's staff, admin)",
        {"200": {"description": "The PDF", "content": content({"type": "string", "format": "binary"},
                                                              "application/pdf")}},
        "404 409", parameters=[path_param("decision_id", "The decision's id.")],
        description="409 (`decision_document_not_ready`) while a worker prepares it (ADR 30).")},
    **{f"/api/v1/decisions/{{decision_id}}/certificates.{kind}": {"get": op(
        f"getDecisionCertificates{kind.capitalize()}", "decisions", summary,
        {"200": {"description": what, "content": content({"type": "string", "format": "binary"}, media)}},
        "404 409", parameters=[path_param("decision_id", "The decision's id.")],
        description="Its ward's staff, or an admin (another ward's decision is 404). The files hold the decision's "
                    "issued certificates at the time of asking; a worker makes them and stores them per listing "
                    "(a reissue or a later certificate makes new ones). 409 `batch_preparing` while they are "
                    "prepared (asked once; ask again in a minute), `batch_empty` when none is issued, "
                    "`batch_failed` after the worker's retries failed (retried from the decision's page).")}
       for kind, media, summary, what in (
           ("zip", "application/zip", "A ZIP of the decision's issued certificates",
            "One PDF per issued certificate, named by register number (HN-00004-2026-000123.pdf)"),
           ("pdf", "application/pdf", "The decision's issued certificates merged into one PDF for printing",
            "Every issued certificate's pages, in register-number order"))},
    "/api/v1/certificates/{code}": {"get": op(
        "getCertificate", "certificates", "Certificate details (holder, its ward's staff, admin)",
        {"200": ok("Certificate")}, "404", parameters=[CODE])},
    "/api/v1/certificates/{code}/pdf": {"get": op(
        "getCertificatePdf", "certificates", "The certificate PDF once issued",
        {"200": {"description": "The PDF", "content": content({"type": "string", "format": "binary"},
                                                              "application/pdf")}},
        "404 409", parameters=[CODE], description="409 (`not_issued_yet`) while it is queued or rendering.")},
    "/api/v1/certificates/{code}/revoke": {"post": op(
        "revokeCertificate", "certificates", "Revoke an issued certificate with a reason",
        {"200": ok("Certificate", "Revoked")}, "400 403 404 409 413 422", parameters=[CODE],
        requestBody=body("Revocation"), description="Ward chair of its ward, or a city admin.")},
    "/api/v1/certificates/{code}/reissue": {"post": op(
        "reissueCertificate", "certificates", "Correct the holder's name or date of birth and reissue",
        {"201": ok("Reissued", "A new certificate, queued, supersedes this one")}, "400 403 404 409 413 422",
        parameters=[CODE], requestBody=body("Reissue"),
        description="Ward chair of its ward, or a city admin (ADR 28). Only an issued certificate: 409 "
                    "`certificate_revoked`, `certificate_superseded` (reissue the newest), `certificate_not_issued` "
                    "(still being issued) or `certificate_failed`. 422 `date_of_birth: cccd_birth_mismatch` when the "
                    "CCCD does not agree, `full_name: nothing_to_correct` when nothing printed would change.")},
    "/api/v1/verify/{code}": {"get": op(
        "verifyCertificate", "certificates", "Public verification of a certificate code",
        {"200": ok("Verification", "Always 200; an unknown code has status `unknown`")}, "429", security=PUBLIC,
        parameters=[CODE], description="429 past the verifications allowed from one address.")},
    "/api/v1/rollup": {"get": op(
        "getRollup", "rollup", "Ward and city figures against the year's targets",
        {"200": ok("Rollup")}, "404 422",
        parameters=[query("year", {"type": "integer", "minimum": 2000, "maximum": 2100}, "Defaults to this year.")],
        description="City admins see every ward; ward staff see the city line and their ward; others get 404.")},
    "/api/v1/digital/frameworks": {"get": op(
        "listDigitalFrameworks", "digital", "Published digital-competence frameworks and their basic rule",
        {"200": ok("DigitalFrameworks")}, security=PUBLIC)},
    "/api/v1/me/digital": {"get": op(
        "myDigitalRecords", "digital", "The caller's records of digital skills, newest first",
        {"200": ok("DigitalRecords")}, "404", description="Citizens only; others get 404.")},
    "/api/v1/digital/tests": {"post": op(
        "startDigitalTest", "digital", "Start the built-in basic digital skills test, or resume the open attempt",
        {"201": ok("DigitalTest", "A new attempt, drawn at random"), "200": ok("DigitalTest", "The open attempt")},
        "404 429", description="Citizens only. The form never carries an answer key; `answers` are the ones saved "
                               "so far. 429 (`attempt_limit`) past the attempts allowed in the period.")},
    "/api/v1/digital/tests/{attempt_id}/submit": {"post": op(
        "submitDigitalTest", "digital", "Submit the answers: the score at once, a pass recorded as verified",
        {"200": ok("DigitalTestResult")}, "400 404 409 422",
        parameters=[path_param("attempt_id", "The attempt's id.")], requestBody=body("DigitalTestSubmit"),
        description="The attempt's own citizen only; 409 (`attempt_submitted`, `attempt_expired`) once submitted "
                    "or past its time; 422 names an unknown item or a choice out of range.")},
    "/api/v1/digital/imports": {"post": op(
        "importDigitalCompletions", "digital", "Import completions from a training platform (city admins)",
        {"200": ok("DigitalImportReport")}, "400 403 413 422",
        requestBody={"required": True, "content": {"multipart/form-data": {"schema": ref("DigitalImport")}}},
        description="All or nothing: 422 names every bad row as `row.N` (the header is row 1) and imports "
                    "nothing. Idempotent: a row already imported from the same source (by `external_id`) is "
                    "counted in `skipped_existing`. A CCCD of no citizen is reported, never created.")},
    "/api/v1/me/digital/certificates": {"post": op(
        "sendDigitalCertificate", "digital", "Send the certificate of a digital-skills course for verification",
        {"201": ok("DigitalRecord", "Recorded, waiting for verification")}, "404 413 422",
        requestBody={"required": True, "content": {"multipart/form-data": {"schema": ref("DigitalCertificate")}}},
        description="Citizens only. The file is checked by its content (PDF, JPG or PNG, 10 MB at most); the same "
                    "file while an earlier copy waits or is verified is 422 (`certificate_already_sent`).")},
    "/api/v1/me/digital/self-assessments": {"post": op(
        "selfAssessDigitalSkills", "digital", "Rate oneself in every area of the basic framework (never counted)",
        {"201": ok("DigitalRecord", "Kept as the citizen's own view")}, "400 404 413 422",
        requestBody=body("DigitalSelfAssessment"),
        description="Citizens only. Every area of the basic framework, each 0 (not yet level 1) to 8; a "
                    "self-assessment is never verified and never counts towards the target.")},
    "/api/v1/digital/assessments": {"post": op(
        "recordDigitalAssessment", "digital", "Record a supervised assessment of a citizen of the caller's ward",
        {"201": ok("DigitalRecord", "Recorded: verified at once for a ward reviewer, else waiting")},
        "400 403 413 422", requestBody=body("DigitalAssessment"),
        description="Ward reviewers and community learning centre staff. A CCCD of no citizen of the caller's "
                    "ward is 422 (`citizen_not_in_ward`); a paper number already recorded in the ward is 422 "
                    "(`reference_used`), a second assessment of the citizen on one day 422 (`assessment_same_day`).")},
    "/api/v1/review/digital": {"get": op(
        "digitalReviewQueue", "review", "The ward's records of digital skills waiting for verification",
        {"200": ok("DigitalQueue")}, "404 422",
        parameters=[query("after", {"type": "string"}, "The previous page's `next`.")],
        description="Ward reviewers and chairs, own ward only; oldest first, 25 a page.")},
    "/api/v1/digital/attainments/{attainment_id}/review": {"post": op(
        "reviewDigitalRecord", "review", "Verify a record at a level, or do not accept it with a reason",
        {"200": ok("DigitalRecord")}, "400 403 404 409 413 422",
        parameters=[path_param("attainment_id", "The record's id.")], requestBody=body("DigitalReview"),
        description="Ward reviewers of its ward. `level` is needed to verify a certificate (an assessment keeps "
                    "its recorded level unless given); `reason` is needed not to accept. 409 on a stale version.")},
    "/api/v1/digital/attainments/{attainment_id}/file": {"get": op(
        "digitalRecordFile", "digital", "The certificate file sent with a record",
        {"200": {"description": "The file, as an attachment",
                 "content": {m: {"schema": {"type": "string", "format": "binary"}}
                             for m in ("application/pdf", "image/jpeg", "image/png")}}}, "404",
        parameters=[path_param("attainment_id", "The record's id.")],
        description="Its citizen, the ward's officials, or a city admin.")},
    "/api/v1/populations/imports": {"post": op(
        "importPopulations", "rollup", "Import population figures, the roll-up's denominators (city admins)",
        {"200": ok("PopulationImportReport")}, "400 403 413 422",
        requestBody={"required": True, "content": {"multipart/form-data": {"schema": ref("PopulationImport")}}},
        description="All or nothing: 422 names every bad row as `row.N` (the header is row 1). The newest import "
                    "of a ward, year and mode wins; the figure it replaces is kept in the history.")},
    "/api/v1/ward/citizens": {"post": op(
        "registerCitizenAssisted", "citizens", "Register a citizen of the caller's ward on their behalf (đăng ký hộ)",
        {"201": ok("AssistedRegistered", "Registered; the activation code is in this answer only")},
        "400 403 409 413 422", requestBody=body("AssistedRegistration"),
        description="Ward reviewers and chairs, for citizens living in their own ward (another `ward_code` is 403 "
                    "`other_ward`; other roles 403). The citizen signed the paper consent form (`consent_paper`). "
                    "The account has no usable password: the citizen sets one at `/activate` (or `POST "
                    "/api/v1/auth/activate`) with the one-time code, valid 14 days. 409 when the CCCD is registered.")},
    "/api/v1/ward/citizens/imports": {"post": op(
        "importCitizens", "citizens", "Register the citizens of a CSV file in the caller's ward",
        {"200": ok("CitizenImportReport")}, "400 403 413 422",
        requestBody={"required": True, "content": {"multipart/form-data": {"schema": ref("CitizenImport")}}},
        description="Ward reviewers and chairs. All or nothing: 422 names every bad row as `row.N` (the header is "
                    "row 1) in `fields`, the column at fault in `columns`, and imports nothing. Idempotent by CCCD: "
                    "a person registered in the ward with the same details counts as `existing`; registered in "
                    "another ward (`cccd_other_ward`) or with other details (`cccd_other_details`), or twice in the "
                    "file (`cccd_repeated`), is a row error. A real import lists each new citizen's activation code "
                    "(this answer only, never stored); a dry run lists none.")},
    "/api/v1/ward/citizens/activation-codes": {"post": op(
        "reissueActivationCode", "citizens", "A new activation code for a citizen of the caller's ward",
        {"201": ok("AssistedRegistered", "The new code; earlier ones stop working")}, "400 403 409 413 422",
        requestBody=body("ActivationCodeRequest"),
        description="Ward reviewers and chairs; 422 `citizen_not_in_ward` when no such citizen lives in the ward, "
                    "409 `already_activated` once the citizen has set a password.")},
    "/api/v1/auth/activate": {"post": op(
        "activateAccount", "auth", "Set the first password of an account registered by ward staff",
        {"204": {"description": "Activated: sign in with the CCCD and the new password"}}, "400 413 422 429",
        security=PUBLIC, requestBody=body("Activation"),
        description="422 `code: activation_code_invalid` for a wrong CCCD or code, or a code used or past its 14 "
                    "days (one answer for all); rate-limited like sign-in.")},
    "/healthz": {"get": op("healthz", "health", "The process is alive", {"200": ok("Health"), **PAGE_400}, always="",
                           security=PUBLIC)},
    "/readyz": {"get": op(
        "readyz", "health", "Database, broker and storage are reachable",
        {"200": ok("Readiness", "Ready"), "503": ok("Readiness", "Not ready; `checks` names the failures"),
         **PAGE_400}, always="", security=PUBLIC)},
    "/.well-known/cdht-keys.json": {"get": op(
        "publishedKeys", "certificates", "The public keys that verify certificates offline",
        {"200": ok("PublishedKeys"), **PAGE_400}, always="", security=PUBLIC,
        description="The active key first, then retired ones. A certificate's QR code carries its signed payload in "
                    "the URL fragment (base32 of the form byte, key id, signature and the payload's values; "
                    "docs/api.md), and its PDF attaches the same as "
                    "`cdht-payload.json` (ADR 27); cacheable for an hour.")},
    "/api/v1/me/data": {"get": op(
        "myPersonalData", "privacy", "Everything the system holds about the calling citizen, as one JSON file",
        {"200": ok("PersonalData", "An attachment (`Content-Disposition`), `Cache-Control: no-store`")}, "403",
        description="Citizens only. Staff appear by role and ward, never by name or account; evidence files "
                    "are described, not included. Each download is audited (`export`).")},
    "/api/v1/me/privacy-requests": {
        "get": op("myPrivacyRequests", "privacy", "The calling citizen's requests, newest first",
                  {"200": ok("PrivacyRequests")}, "403"),
        "post": op("filePrivacyRequest", "privacy", "Ask for a correction or a deletion of one's data",
                   {"201": ok("PrivacyRequest", "Filed; due two working days later")}, "400 403 413 422",
                   requestBody=body("PrivacyRequestInput"),
                   description="Citizens only; `field` names what to correct. The ward answers by `due_on`.")},
    "/api/v1/ward/privacy-requests": {"get": op(
        "wardPrivacyRequests", "privacy", "The open requests of the caller's ward, the nearest deadline first",
        {"200": ok("WardPrivacyRequests")}, "404", description="Ward reviewers and chairs; others get 404.")},
    "/api/v1/ward/privacy-requests/{request_id}/close": {"post": op(
        "closePrivacyRequest", "privacy", "Answer a request of the caller's ward",
        {"200": ok("PrivacyRequest")}, "400 404 409 413 422",
        parameters=[path_param("request_id", "The request's id.")], requestBody=body("PrivacyRequestClose"),
        description="A deletion `done` erases the profile (ADR 41): only for a citizen who never submitted an "
                    "application and holds no certificate, else 409 `records_must_be_kept` (refuse it with the "
                    "legal ground). 409 `request_closed` once answered; 404 for another ward's request.")},
    "/verify/{code}": {"get": op(
        "verifyPage", "certificates", "Public verification page (the QR code on every certificate leads here)",
        {"200": html("HTML page with the same facts as /api/v1/verify/{code}"),
         "404": html("HTML page: unknown code"), "429": html("HTML page: too many verifications from this address"),
         **PAGE_400, **PAGE_503}, always="", security=PUBLIC, parameters=[CODE])},
}
DOCUMENT: dict[str, Any] = {
    "openapi": "3.1.0",
    "info": {"title": "CDHT API", "version": "1",
             "description": "Applications for the lifelong-learning citizen title (CDHT), their review, recognition "
                            "decisions and certificates. Dates are ISO 8601; ward codes are 5-digit strings; scores "
                            "are integers 0-10; error messages follow `Accept-Language` (vi by default, en)."},
    "servers": [{"url": "/"}],
    "security": [{"bearerAuth": []}],
    "tags": [{"name": n} for n in ("auth", "citizens", "criteria", "applications", "review", "decisions",
                                   "certificates", "rollup", "digital", "privacy", "health")],
    "paths": PATHS,
    "components": {
        "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                           "description": "The token from POST /api/v1/auth/token."}},
        "schemas": SCHEMAS,
        "responses": {name: {"description": text, "content": content(ref("Error"))} for name, text in ERRORS.values()},
    },
}


@bp.get("/api/openapi.json")
def openapi() -> Response:
    """The OpenAPI document."""
    return jsonify(DOCUMENT)
