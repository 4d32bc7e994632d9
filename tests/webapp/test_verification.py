"""Public verification trusts the signature and the stored file, never the database row alone."""

import base64
import hashlib
import logging
import os
import re
import secrets
from datetime import UTC, date, datetime, timedelta

import pytest
from factories import issued_certificate
from sqlmodel import Session

from certificates import FileStorage, storage_key
from workflows.models import Certificate

HOLDER = "Lê Hoàng Yến"


def _issued(api, session: Session, app) -> Certificate:
    """A certificate issued the real way: API decision, then the render task run directly in this app."""
    return issued_certificate(api, session, app, "31/QĐ-UBND", HOLDER)


def _page_word(client, code: str) -> tuple[int, str, str]:
    """The verification page in English: status code, the status word, the whole page."""
    rv = client.get(f"/verify/{code}?lang=en")
    html = rv.get_data(as_text=True)
    word = re.search(r'class="verify-word">([^<]*)<', html)
    assert word, html
    return rv.status_code, word.group(1).strip(), html


def test_issued_certificate_verifies(api, session: Session, app, client) -> None:
    cert = _issued(api, session, app)
    body = api.call("GET", f"/api/v1/verify/{cert.code}").json
    assert (body["valid"], body["status"], body["holder_name"]) == (True, "valid", HOLDER)
    status, word, html = _page_word(client, cert.code)
    assert (status, word) == (200, "Valid") and HOLDER in html


def test_forged_row_is_invalid(api, session: Session, app, client, caplog) -> None:
    genuine = _issued(api, session, app)
    rt = app.extensions["cdht"]
    code = "FRGD0-00001"
    snapshot = {**genuine.snapshot, "code": code, "holder_name": "Kẻ Giả Mạo",
                "register_number": "HN-00004-2026-999999"}
    made_up = base64.urlsafe_b64encode(secrets.token_bytes(64)).rstrip(b"=").decode()
    forged = Certificate(
        code=code, register_number=snapshot["register_number"], application_id=genuine.application_id,
        citizen_id=genuine.citizen_id, decision_id=genuine.decision_id, ward_code=genuine.ward_code,
        title_type=genuine.title_type, year=genuine.year, status="issued", live_key=None, snapshot=snapshot,
        storage_key=storage_key(genuine.year, genuine.ward_code, code), sha256=hashlib.sha256(b"x").hexdigest(),
        signature=made_up, key_id=rt.key_id, issued_at=genuine.issued_at,
    )
    session.add(forged)
    session.commit()

    with caplog.at_level(logging.WARNING, logger="cdht.workflows.issuance"):
        body = api.call("GET", f"/api/v1/verify/{code}").json
    assert body == {"valid": False, "status": "invalid"}  # nothing the forged row says is repeated
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and forged.id in r.getMessage()]
    assert len(warnings) == 1 and "bad_signature" in warnings[0].getMessage()
    assert "Kẻ Giả Mạo" not in warnings[0].getMessage()  # no personal data in the log
    status, word, html = _page_word(client, code)
    assert (status, word) == (200, "Not valid") and "Kẻ Giả Mạo" not in html


def test_edited_row_is_invalid(api, session: Session, app, client) -> None:
    cert = _issued(api, session, app)
    cert.snapshot = {**cert.snapshot, "holder_name": "Người Khác"}  # edited by hand after issuance
    session.add(cert)
    session.commit()
    assert api.call("GET", f"/api/v1/verify/{cert.code}").json == {"valid": False, "status": "invalid"}
    status, word, html = _page_word(client, cert.code)
    assert (status, word) == (200, "Not valid") and "Người Khác" not in html


@pytest.mark.parametrize("column", ["year", "citizen"])
def test_unsigned_columns_that_disagree_with_the_snapshot_are_invalid(api, session: Session, app, column) -> None:
    from factories import make_citizen

    cert = _issued(api, session, app)
    if column == "year":
        cert.year = 2025  # shown beside the signed facts, so it must agree with them
    else:
        other, _ = make_citizen(session, year=1971)  # another person's masked CCCD next to the signed name
        cert.citizen_id = other.citizen_id
    session.add(cert)
    session.commit()
    assert api.call("GET", f"/api/v1/verify/{cert.code}").json == {"valid": False, "status": "invalid"}


def test_replaced_pdf_is_invalid(api, session: Session, app, request) -> None:
    cert = _issued(api, session, app)
    storage = app.extensions["cdht"].storage
    tampered = storage.get(cert.storage_key) + b"%% appended"
    # Storage is write-once; someone with the disk or the bucket in hand is not stopped by that.
    if isinstance(storage, FileStorage):
        path = storage.root / cert.storage_key
        os.chmod(path, 0o644)
        path.write_bytes(tampered)
    else:
        request.getfixturevalue("s3_server").client().put_object(
            Bucket=storage.bucket, Key=f"{storage.prefix}/{cert.storage_key}", Body=tampered)
    assert api.call("GET", f"/api/v1/verify/{cert.code}").json == {"valid": False, "status": "invalid"}


def test_revoked_certificate_still_checked_and_shown_as_revoked(api, session: Session, app) -> None:
    cert = _issued(api, session, app)
    rv = api.call("POST", f"/api/v1/certificates/{cert.code}/revoke", api.token("chair-31/QĐ-UBND"),
                  json={"reason": "Cấp nhầm người"})
    assert rv.status_code == 200, rv.json
    body = api.call("GET", f"/api/v1/verify/{cert.code}").json
    assert (body["valid"], body["status"], body["reason"]) == (False, "revoked", "Cấp nhầm người")


def test_the_issue_date_shown_is_the_decisions_as_printed(api, session: Session, app, client) -> None:
    """A worker that renders days after the decision does not move the date: the page shows the printed one."""
    cert = _issued(api, session, app)
    printed = cert.snapshot["signed_on"]
    cert.issued_at = datetime.fromisoformat(printed).replace(tzinfo=UTC) + timedelta(days=3, hours=20)
    session.add(cert)
    session.commit()
    body = api.call("GET", f"/api/v1/verify/{cert.code}").json
    assert body["issued_on"] == printed
    day = date.fromisoformat(printed)
    _status, _word, html = _page_word(client, cert.code)
    assert f"{day.day:02d}/{day.month:02d}/{day.year}" in html
