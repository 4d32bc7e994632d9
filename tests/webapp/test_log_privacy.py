"""No personal data in the logs (Law 91/2025; issue: robustness): a citizen's whole year, with refusals, denials and
limits along the way, leaves no identity number, name, e-mail address or phone number in any log record, nor in the
JSON lines production writes (ADR 45; the worker's and beat's lines: tests/integration/test_observability.py); the
security events themselves are logged under one hierarchy ("cdht")."""

import io
import json
import logging

from factories import cccd_for, citizen_data, make_staff, scores
from flask import Flask
from sqlmodel import Session

from webapp import log_setup
from workflows.names import fold


def test_a_citizens_year_leaves_no_personal_data_in_the_logs(app: Flask, api, sent, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    json_lines = io.StringIO()
    as_production = log_setup.handler("json", json_lines)
    logging.getLogger().addHandler(as_production)
    try:
        _a_citizens_year(app, api, caplog)
    finally:
        logging.getLogger().removeHandler(as_production)
    lines = [json.loads(line) for line in json_lines.getvalue().splitlines()]
    assert any(line["logger"] == "cdht.security" and line["request_id"] for line in lines)
    written = json_lines.getvalue().lower()
    assert [p for p in _personal(CCCD) if p.lower() in written] == []


CCCD = cccd_for(1987, female=True)


def _personal(cccd: str) -> list[str]:
    return [cccd, cccd[-6:], "Phượng", fold("Phượng"), "bich.phuong", "0912345678", "912 345 678", "1987-05-17"]


def _a_citizens_year(app: Flask, api, caplog) -> None:
    cccd = CCCD
    person = citizen_data(cccd=cccd, full_name="Đỗ Thị Bích Phượng", date_of_birth="1987-05-17", sex="female",
                          email="bich.phuong.test@example.vn", phone="0912 345 678")
    client = api.client
    assert client.post("/api/v1/auth/token", json={"username": cccd, "password": "wrong-password"}).status_code == 401
    me, aid = api.submitted(person)
    assert client.post("/api/v1/auth/token", json={"username": cccd, "password": "wrong-password"}).status_code == 401
    with Session(app.extensions["cdht"].engine) as session:
        make_staff(session, "ward_reviewer", username="rev-logs")
        make_staff(session, "ward_chair", username="chair-logs")
    assert api.call("GET", "/api/v1/review/queue", me).status_code in (403, 404)  # a citizen at the staff's door
    rv = api.call("POST", f"/api/v1/applications/{aid}/review", api.token("rev-logs"),
                  json={"action": "approve", "version": 2, "scores": scores(9)})
    assert rv.status_code == 200
    rv = api.call("POST", "/api/v1/decisions", api.token("chair-logs"), json={
        "year": 2026, "number": "31/QĐ-UBND", "signed_on": "2026-11-20", "signer_name": "Nguyễn Văn Thắng",
        "application_ids": [aid]})
    assert rv.status_code == 201
    # Their rights over their data (ADR 41): the download, a correction asked in their own words, the ward's answer
    # and its e-mail.
    assert api.call("GET", "/api/v1/me/data", me).status_code == 200
    asked = api.call("POST", "/api/v1/me/privacy-requests", me, json={
        "kind": "correction", "field": "phone", "text": "Số của Phượng là 0912345678, sinh 1987-05-17"})
    assert asked.status_code == 201
    rv = api.call("POST", f"/api/v1/ward/privacy-requests/{asked.json['id']}/close", api.token("rev-logs"),
                  json={"outcome": "done", "text": "Đã sửa số 0912345678 cho Phượng"})
    assert rv.status_code == 200
    assert app.extensions["celery"].tasks["cdht.notify"](asked.json["id"], "notify_privacy") == "sent"
    settings = app.extensions["cdht"].settings
    original, settings.login_rate_limit = settings.login_rate_limit, "1 per minute"
    try:
        codes = [client.post("/api/v1/auth/token", json={"username": cccd, "password": "wrong-password"}).status_code
                 for _ in range(2)]
    finally:
        settings.login_rate_limit = original
    assert codes[-1] == 429

    texts = [f"{r.name} {r.getMessage()} {r.exc_text or ''}" for r in caplog.records]
    personal = _personal(cccd)
    leaks = [(p, t) for t in texts for p in personal if p.lower() in t.lower()]
    assert leaks == []
    security = [r for r in caplog.records if r.name == "cdht.security"]
    assert any("sign-in refused" in r.getMessage() for r in security)
    assert any("rate limited" in r.getMessage() for r in security)
    assert {r.name.split(".")[0] for r in caplog.records if r.name.startswith(("cdht", "webapp", "workflows"))} \
        == {"cdht"}, "every logger of ours is under cdht"
