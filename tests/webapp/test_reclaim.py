"""An identity number registered by someone else, given back to its owner at their ward's desk (ADR 43)."""

import re

from factories import PASSWORD, cccd_for, citizen_data, csrf, make_staff, signed_in
from flask import Flask
from sqlmodel import Session, col, select

from workflows import application_counters
from workflows.models import Application, AuditEvent, Citizen, ConsentRecord

OWNER = {"full_name": "Đỗ Thị Lan", "date_of_birth-day": "17", "date_of_birth-month": "5",
         "date_of_birth-year": "1990", "sex": "female", "target_group": "resident", "hamlet": "Tổ dân phố số 2",
         "consent_paper": "yes", "consent_reference": "PĐK-41"}


def _impostor(api, cccd: str, submit: bool = False) -> dict[str, str]:
    """Someone registers the owner's number in another ward, with their own name and e-mail, and starts a draft."""
    data = citizen_data(ward="00070", cccd=cccd, full_name="Kẻ Mạo Danh", date_of_birth="1990-05-17",
                        sex="female", email="mao.danh@example.vn", password="hoa-sen-ho-tay-99")
    if submit:
        return api.submitted(data)[0]
    assert api.call("POST", "/api/v1/citizens", json=data).status_code == 201
    token = api.token(cccd, "hoa-sen-ho-tay-99")
    assert api.call("POST", "/api/v1/applications", token, json={"year": 2026}).status_code == 201
    return token


def _claim(web: Flask, session: Session, cccd: str, **form: str):
    make_staff(session, "ward_reviewer", username="rev-desk")
    desk = signed_in(web, "rev-desk")
    page = desk.get("/reviewer/citizens/claim")
    assert page.status_code == 200 and "Trả lại tài khoản" in page.get_data(as_text=True)
    return desk.post("/reviewer/citizens/claim",
                     data={"csrf_token": csrf(page.get_data(as_text=True)), "cccd": cccd, **OWNER, **form})


def test_the_owner_takes_the_account_back_and_the_other_person_is_out(api, web: Flask, session: Session) -> None:
    cccd = cccd_for(1990, female=True)
    stolen = _impostor(api, cccd)
    done = _claim(web, session, cccd, identity_checked="yes")
    html = done.get_data(as_text=True)
    assert done.status_code == 200 and done.headers["Cache-Control"] == "no-store" and cccd not in html
    code = re.search(r'class="activation-code"><strong>([A-Z0-9-]+)<', html).group(1)
    session.expire_all()
    citizen = session.exec(select(Citizen).where(Citizen.cccd == cccd)).one()
    assert (citizen.full_name, citizen.ward_code, citizen.email) == ("Đỗ Thị Lan", "00004", None)
    assert (citizen.consent_channel, citizen.consent_reference) == ("paper", "PĐK-41")
    consents = session.exec(select(ConsentRecord).where(ConsentRecord.citizen_id == citizen.id)).all()
    assert {(c.channel, c.reference, c.withdrawn_at is None) for c in consents} == {
        ("online", None, False), ("paper", "PĐK-41", True)}  # the other person's withdrawn, the owner's in force
    assert session.exec(select(Application).where(Application.citizen_id == citizen.id)).all() == []  # the draft
    assert application_counters.check(session) == []
    # The other person: their token and their password open nothing any more.
    assert api.call("GET", "/api/v1/me", stolen).status_code == 401
    assert api.client.post("/api/v1/auth/token", json={"username": cccd, "password": "hoa-sen-ho-tay-99"}
                           ).status_code == 401
    # The owner sets their own password with the code.
    assert api.call("POST", "/api/v1/auth/activate",
                    json={"cccd": cccd, "code": code, "password": PASSWORD}).status_code == 204
    assert api.call("GET", "/api/v1/me", api.token(cccd)).json["citizen"]["full_name"] == "Đỗ Thị Lan"
    [audit] = session.exec(select(AuditEvent).where(AuditEvent.event == "reclaim")).all()
    assert audit.entity_id == citizen.id and audit.detail["from_ward"] == "00070"
    assert audit.detail["drafts_removed"] == 1
    assert cccd not in str(audit.detail)


def test_nothing_changes_without_the_card_checked_or_for_an_unknown_number(api, web: Flask, session: Session) -> None:
    cccd = cccd_for(1990, female=True)
    stolen = _impostor(api, cccd)
    unchecked = _claim(web, session, cccd)
    assert unchecked.status_code == 422
    assert "Hãy kiểm tra trực tiếp thẻ CCCD" in unchecked.get_data(as_text=True)
    desk = signed_in(web, "rev-desk")
    page = desk.get("/reviewer/citizens/claim").get_data(as_text=True)
    unknown = desk.post("/reviewer/citizens/claim", data={"csrf_token": csrf(page), "cccd": cccd_for(1990, True),
                                                          **OWNER, "identity_checked": "yes"})
    assert unknown.status_code == 422 and "Chưa có tài khoản nào mang số này" in unknown.get_data(as_text=True)
    session.expire_all()
    assert session.exec(select(Citizen.full_name).where(Citizen.cccd == cccd)).one() == "Kẻ Mạo Danh"
    assert api.call("GET", "/api/v1/me", stolen).status_code == 200


def test_an_application_in_hand_blocks_the_claim(api, web: Flask, session: Session) -> None:
    cccd = cccd_for(1990, female=True)
    _impostor(api, cccd, submit=True)
    blocked = _claim(web, session, cccd, identity_checked="yes")
    assert blocked.status_code == 422 and "phải xét, không chấp nhận hoặc thu hồi" in blocked.get_data(as_text=True)
    session.expire_all()
    assert session.exec(select(Application.state).join(Citizen, col(Citizen.id) == col(Application.citizen_id))
                        .where(Citizen.cccd == cccd)).one() == "submitted"
