"""Assisted registration through the API, the staff pages, /activate and `flask citizens import` (ADR 25)."""

import io
import re

from factories import PASSWORD, cccd_for, citizen_data, csrf, make_citizen, make_staff, signed_in
from flask import Flask
from sqlmodel import Session, func, select

from workflows.models import ActivationCode, AuditEvent, Citizen

HEADER = "cccd,full_name,date_of_birth,sex,target_group,hamlet,phone,email,consent_reference\n"


def _body(**overrides: object) -> dict[str, object]:
    data = citizen_data(consent_paper=True, consent_reference="PĐK-17")
    for key in ("password", "consent", "ward_code"):
        data.pop(key)
    return data | overrides


def _csv(*rows: tuple[str, ...]) -> bytes:
    return (HEADER + "".join(",".join(r) + "\n" for r in rows)).encode()


def _row(cccd: str, name: str = "Phạm Văn Cường", dob: str = "17/05/1990", sex: str = "Nam",
         group: str = "Người dân trong phường/xã") -> tuple[str, ...]:
    return (cccd, name, dob, sex, group, "Tổ dân phố số 3", "0912345678", "", "PĐK-9")


def _count(session: Session, model: type) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def test_the_api_registers_for_the_staff_ward_only_and_the_citizen_activates(api, session: Session) -> None:
    make_staff(session, "ward_reviewer", username="rev-assist")
    make_staff(session, "ward_chair", "00070", username="chair-assist")
    _, citizen_cccd = make_citizen(session)
    staff = api.token("rev-assist")
    body = _body()
    done = api.call("POST", "/api/v1/ward/citizens", staff, json=body)
    assert done.status_code == 201, done.json
    assert done.json["consent_channel"] == "paper" and done.json["ward_code"] == "00004"
    assert body["cccd"] not in done.get_data(as_text=True)  # masked only
    code = done.json["activation_code"]
    audit = session.exec(select(AuditEvent).where(AuditEvent.entity_id == done.json["id"])).one()
    assert audit.detail["assisted"] is True and audit.actor_role == "ward_reviewer"
    assert api.call("POST", "/api/v1/ward/citizens", staff, json=body).status_code == 409
    other = api.call("POST", "/api/v1/ward/citizens", staff, json=_body(ward_code="00070"))
    assert (other.status_code, other.json["error"]["code"]) == (403, "other_ward")
    missing = api.call("POST", "/api/v1/ward/citizens", staff, json=_body(consent_paper=False))
    assert missing.status_code == 422 and missing.json["error"]["field_codes"] == {
        "consent_paper": "paper_consent_required"}
    citizen = api.token(citizen_cccd)
    assert api.call("POST", "/api/v1/ward/citizens", citizen, json=_body()).status_code == 403
    assert api.call("POST", "/api/v1/ward/citizens", None, json=_body()).status_code == 401
    # No password yet; the code sets one, once.
    rv = api.call("POST", "/api/v1/auth/token", json={"username": body["cccd"], "password": ""})
    assert rv.status_code in (401, 422)
    assert api.call("POST", "/api/v1/auth/activate",
                    json={"cccd": body["cccd"], "code": code, "password": PASSWORD}).status_code == 204
    assert api.token(str(body["cccd"]))
    again = api.call("POST", "/api/v1/auth/activate",
                     json={"cccd": body["cccd"], "code": code, "password": "another long password"})
    assert again.status_code == 422 and again.json["error"]["field_codes"] == {"code": "activation_code_invalid"}
    # A code for an account already activated is refused; for one waiting, the old code stops working.
    activated = api.call("POST", "/api/v1/ward/citizens/activation-codes", staff, json={"cccd": body["cccd"]})
    assert (activated.status_code, activated.json["error"]["code"]) == (409, "already_activated")
    waiting = api.call("POST", "/api/v1/ward/citizens", staff, json=_body()).json
    elsewhere = api.call("POST", "/api/v1/ward/citizens/activation-codes", api.token("chair-assist"),
                         json={"cccd": session.get(Citizen, waiting["id"]).cccd})
    assert elsewhere.status_code == 422
    new = api.call("POST", "/api/v1/ward/citizens/activation-codes", staff,
                   json={"cccd": session.get(Citizen, waiting["id"]).cccd})
    assert new.status_code == 201 and new.json["activation_code"] != waiting["activation_code"]
    old = api.call("POST", "/api/v1/auth/activate", json={
        "cccd": session.get(Citizen, waiting["id"]).cccd, "code": waiting["activation_code"], "password": PASSWORD})
    assert old.status_code == 422


def test_the_staff_page_registers_and_shows_the_code_once_then_activate_signs_in(web: Flask,
                                                                                  session: Session) -> None:
    make_staff(session, "ward_chair", username="chair-page")
    staff = signed_in(web, "chair-page")
    page = staff.get("/reviewer/citizens/new")
    assert page.status_code == 200 and "Phường Ba Đình" in page.get_data(as_text=True)
    cccd = cccd_for(1990, female=True)
    form = {"csrf_token": csrf(page.get_data(as_text=True)), "cccd": cccd, "full_name": "Đỗ Thị Lan",
            "date_of_birth-day": "17", "date_of_birth-month": "5", "date_of_birth-year": "1990", "sex": "female",
            "target_group": "resident", "hamlet": "Tổ dân phố số 2", "consent_reference": "PĐK-33"}
    refused = staff.post("/reviewer/citizens/new", data=form)
    assert refused.status_code == 422
    assert "Đánh dấu ô này khi công dân đã ký phiếu đồng ý bằng giấy." in refused.get_data(as_text=True)
    done = staff.post("/reviewer/citizens/new", data=form | {"consent_paper": "yes"})
    html = done.get_data(as_text=True)
    assert done.status_code == 200 and done.headers["Cache-Control"] == "no-store"
    assert cccd not in html and f"{cccd[:3]}******{cccd[-3:]}" in html
    code = re.search(r'class="activation-code"><strong>([A-Z0-9-]+)<', html).group(1)
    citizen = session.exec(select(Citizen).where(Citizen.cccd == cccd)).one()
    assert (citizen.consent_channel, citizen.consent_reference) == ("paper", "PĐK-33")
    visitor = web.test_client()
    form = visitor.get("/activate").get_data(as_text=True)
    wrong = visitor.post("/activate", data={"csrf_token": csrf(form), "cccd": cccd, "code": "AAAAA-BBBBB",
                                            "password": PASSWORD})
    assert wrong.status_code == 422
    rv = visitor.post("/activate", data={"csrf_token": csrf(form), "cccd": cccd, "code": code.lower(),
                                         "password": PASSWORD})
    assert rv.status_code == 302 and rv.headers["Location"].endswith("/citizen/")
    assert visitor.get("/citizen/").status_code == 200
    # Citizens never reach the staff pages.
    assert visitor.get("/reviewer/citizens/new").status_code == 404


def test_the_import_page_dry_run_names_bad_rows_then_imports_and_lists_codes(web: Flask, session: Session) -> None:
    make_staff(session, "ward_reviewer", username="rev-import")
    staff = signed_in(web, "rev-import")
    token = csrf(staff.get("/reviewer/citizens/import").get_data(as_text=True))

    def send(data: bytes, **form: str):
        return staff.post("/reviewer/citizens/import", content_type="multipart/form-data",
                          data={"csrf_token": token, "file": (io.BytesIO(data), "to-3.csv"), **form})

    first, second = cccd_for(1990), cccd_for(1990)
    bad = send(_csv(_row(first), _row(second, dob="1990-13-01")), dry_run="yes")
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert "Dòng 3 (Ngày sinh): Viết ngày bằng chữ số, ví dụ 1990-05-17 hoặc 17/05/1990." in html
    assert _count(session, Citizen) == 0
    good = _csv(_row(first), _row(second, name="Phạm Văn Hà"))
    dry = send(good, dry_run="yes")
    assert dry.status_code == 200 and "2 công dân mới" in dry.get_data(as_text=True)
    assert _count(session, Citizen) == _count(session, ActivationCode) == 0
    done = send(good)
    html = done.get_data(as_text=True)
    assert done.status_code == 200 and done.headers["Cache-Control"] == "no-store"
    assert html.count("<strong>") >= 2 and first not in html and f"{first[:3]}******{first[-3:]}" in html
    assert _count(session, Citizen) == 2
    again = send(good)
    assert again.status_code == 200 and "0 công dân mới, 2 người đã đăng ký" in again.get_data(as_text=True)


def test_the_api_import_answers_422_naming_rows_and_columns(api, session: Session) -> None:
    make_staff(session, "ward_reviewer", username="rev-api-import")
    staff = api.token("rev-api-import")
    first = cccd_for(1990)

    def send(data: bytes, **form: str):
        return api.call("POST", "/api/v1/ward/citizens/imports", staff, content_type="multipart/form-data",
                        data={"file": (io.BytesIO(data), "to-3.csv"), **form})

    bad = send(_csv(_row(first), _row(first)))
    assert bad.status_code == 422
    assert bad.json["error"]["field_codes"] == {"row.3": "cccd_repeated"}
    assert bad.json["error"]["columns"] == {"row.3": "cccd"}
    dry = send(_csv(_row(first)), dry_run="true")
    assert dry.status_code == 200 and (dry.json["created"], dry.json["codes"]) == (1, [])
    done = send(_csv(_row(first)))
    assert done.json["created"] == 1 and done.json["codes"][0]["cccd_masked"] == f"{first[:3]}******{first[-3:]}"


def test_the_cli_names_the_bad_row_exits_2_and_reimports_nothing(app: Flask, session: Session, tmp_path) -> None:
    make_staff(session, "ward_reviewer", username="rev-cli")
    runner = app.test_cli_runner()
    first, second = cccd_for(1990), cccd_for(1990)
    bad = tmp_path / "bad.csv"
    bad.write_bytes(_csv(_row(first), _row(second, group="không rõ")))
    out = runner.invoke(args=["citizens", "import", str(bad), "--ward", "00004", "--staff", "rev-cli", "--dry-run"])
    assert out.exit_code == 2 and "row.3 (target_group)" in out.output
    good = tmp_path / "good.csv"
    good.write_bytes(_csv(_row(first), _row(second)))
    other = runner.invoke(args=["citizens", "import", str(good), "--ward", "00070", "--staff", "rev-cli",
                                "--dry-run"])
    assert other.exit_code == 2 and _count(session, Citizen) == 0
    dry = runner.invoke(args=["citizens", "import", str(good), "--ward", "00004", "--staff", "rev-cli", "--dry-run"])
    assert dry.exit_code == 0 and "dry run: 2 rows, 2 registered" in dry.output
    assert _count(session, Citizen) == 0
    codes = tmp_path / "codes.csv"
    done = runner.invoke(args=["citizens", "import", str(good), "--ward", "00004", "--staff", "rev-cli",
                               "--codes-out", str(codes)])
    assert done.exit_code == 0, done.output
    assert first not in done.output and _count(session, Citizen) == 2
    lines = codes.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "cccd_masked,full_name,activation_code" and len(lines) == 3 and first not in lines[1]
    again = runner.invoke(args=["citizens", "import", str(good), "--ward", "00004", "--staff", "rev-cli",
                                "--codes-out", str(tmp_path / "codes-2.csv")])
    assert again.exit_code == 0 and "0 registered, 2 already registered" in again.output
    assert _count(session, Citizen) == 2
