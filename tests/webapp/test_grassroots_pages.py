"""The reviewer's queue below the ward through the web: filters, the bulk step, assignment, scoping, the CLI."""

import io

import pytest
from factories import citizen_data, csrf, make_staff, signed_in
from sqlmodel import Session, select

from workflows import assignment, assisted
from workflows.actors import SYSTEM_ACTOR
from workflows.errors import Invalid
from workflows.models import Application, Citizen, Hamlet, User
from workflows.vocabulary import ApplicationState, Role

WARD = "00070"


def _hamlets(runner, tmp_path) -> None:
    listing = tmp_path / "tdp.csv"
    listing.write_text("code,name\nTDP01,Tổ dân phố số 1\nTDP02,Tổ dân phố số 2\n", encoding="utf-8")
    out = runner.invoke(args=["hamlets", "import", "--ward", WARD, str(listing)])
    assert out.exit_code == 0, out.output
    assert "2 added" in out.output


def test_cli_imports_all_or_nothing_and_scopes_a_reviewer(app, session: Session, tmp_path) -> None:
    runner = app.test_cli_runner()
    bad = tmp_path / "bad.csv"
    bad.write_text("code,name\nTDP01,Tổ 1\nTDP01,Tổ 2\n", encoding="utf-8")
    out = runner.invoke(args=["hamlets", "import", "--ward", WARD, str(bad)])
    assert out.exit_code == 2 and "row.3" in out.output
    assert session.exec(select(Hamlet)).first() is None
    _hamlets(runner, tmp_path)
    again = runner.invoke(args=["hamlets", "import", "--ward", WARD, str(tmp_path / "tdp.csv")])
    assert "0 added" in again.output and "2 unchanged" in again.output
    make_staff(session, Role.WARD_REVIEWER, ward=WARD, username="rev-tdp")
    out = runner.invoke(args=["users", "scope", "rev-tdp", "--hamlets", "tdp02"])
    assert out.exit_code == 0 and "TDP02" in out.output
    out = runner.invoke(args=["users", "scope", "rev-tdp", "--hamlets", "TDP09"])
    assert out.exit_code == 2
    session.expire_all()
    assert session.exec(select(User.hamlet_scope).where(User.username == "rev-tdp")).one() == ["TDP02"]


def test_queue_filters_bulk_and_assignment_through_the_api(app, api, session: Session, tmp_path) -> None:
    _hamlets(app.test_cli_runner(), tmp_path)
    ids = {}
    for place in ("TDP01", "TDP02"):
        _me, ids[place] = api.submitted(citizen_data(WARD, hamlet=place))
    make_staff(session, Role.WARD_REVIEWER, ward=WARD, username="rev-all")
    scoped = make_staff(session, Role.WARD_REVIEWER, ward=WARD, username="rev-one")
    user = session.get(User, scoped.user_id)
    assignment.set_scope(session, SYSTEM_ACTOR, user, ["TDP01"])
    session.commit()
    whole, one = api.token("rev-all"), api.token("rev-one")
    rv = api.call("GET", "/api/v1/review/queue?hamlet=TDP02&passes=true", whole)
    assert rv.status_code == 200 and [i["id"] for i in rv.json["items"]] == [ids["TDP02"]]
    assert rv.json["items"][0]["hamlet"] == "Tổ dân phố số 2" and rv.json["items"][0]["assignee"] is None
    assert api.call("GET", "/api/v1/review/queue?passes=maybe", whole).status_code == 422
    rv = api.call("GET", "/api/v1/review/queue", one)
    assert [i["id"] for i in rv.json["items"]] == [ids["TDP01"]]
    assert api.call("GET", f"/api/v1/applications/{ids['TDP02']}", one).status_code == 404
    rv = api.call("POST", "/api/v1/review/assign", one, json={"application_ids": [ids["TDP01"]],
                                                             "assignee": scoped.user_id})
    assert rv.status_code == 200 and rv.json == {"assigned": 1}
    rv = api.call("GET", "/api/v1/review/queue?assignee=me", one)
    assert [i["id"] for i in rv.json["items"]] == [ids["TDP01"]]
    rv = api.call("POST", "/api/v1/review/bulk", one, json={"action": "approve", "items": [
        {"id": ids["TDP01"], "version": 2}, {"id": ids["TDP02"], "version": 2}]})
    assert rv.status_code == 200
    assert rv.json == {"results": [{"id": ids["TDP01"], "outcome": "done"},
                                   {"id": ids["TDP02"], "outcome": "not_found"}]}
    rv = api.call("POST", "/api/v1/review/bulk", whole, json={"action": "approve", "items": [{"id": 1}]})
    assert rv.status_code == 422 and "items.0" in rv.json["error"]["fields"]


def test_the_queue_page_filters_and_proposes_in_bulk(app, api, session: Session, tmp_path) -> None:
    _hamlets(app.test_cli_runner(), tmp_path)
    ids = [api.submitted(citizen_data(WARD, hamlet="TDP01"))[1] for _ in range(3)]
    make_staff(session, Role.WARD_REVIEWER, ward=WARD, username="rev-page")
    browser = signed_in(app, "rev-page")
    page = browser.get("/reviewer/?hamlet=TDP01&passes=true")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Tổ dân phố số 1" in html and html.count('name="item"') == 3
    assert browser.get("/reviewer/?passes=maybe").status_code == 404
    token = csrf(html)
    rv = browser.post("/reviewer/bulk?hamlet=TDP01", data={"csrf_token": token, "bulk": "propose",
                                                           "item": [f"{ids[0]}:2", f"{ids[1]}:1"]})
    text = rv.get_data(as_text=True)
    assert rv.status_code == 200 and "Đã đề nghị công nhận 1 hồ sơ" in text and "đã thay đổi" in text
    rv = browser.post("/reviewer/bulk?hamlet=TDP01", data={"csrf_token": token, "bulk": "propose_matching",
                                                           "give_to": "none"})  # the step's field, no filter
    assert "Đã đề nghị công nhận 2 hồ sơ" in rv.get_data(as_text=True)
    session.expire_all()
    states = session.exec(select(Application.state).where(Application.ward_code == WARD)).all()
    assert states == [ApplicationState.APPROVED] * 3
    rv = browser.post("/reviewer/bulk", data={"csrf_token": token, "bulk": "propose"})
    assert rv.status_code == 422 and "Chọn ít nhất một hồ sơ" in rv.get_data(as_text=True)
    _me, elsewhere = api.submitted(citizen_data("00004", full_name="Đỗ Thị Khác Phường"))
    rv = browser.post("/reviewer/bulk", data={"csrf_token": token, "bulk": "propose", "item": f"{elsewhere}:2"})
    text = rv.get_data(as_text=True)
    assert rv.status_code == 200 and "Đỗ Thị Khác Phường" not in text and elsewhere not in text
    assert browser.post("/reviewer/bulk", data={"bulk": "propose", "item": f"{ids[0]}:3"}).status_code == 400


def test_the_chair_imports_the_list_and_sets_a_reviewers_area(app, session: Session, tmp_path) -> None:
    make_staff(session, Role.WARD_CHAIR, ward=WARD, username="chair-team")
    reviewer = make_staff(session, Role.WARD_REVIEWER, ward=WARD, username="rev-team")
    chair = signed_in(app, "chair-team")
    page = chair.get("/reviewer/team")
    assert page.status_code == 200
    token = csrf(page.get_data(as_text=True))
    bad = chair.post("/reviewer/team", data={"csrf_token": token, "step": "hamlets", "file": (
        io.BytesIO("code,name\nT01,Thôn 1\nT01,Thôn 2\n".encode()), "thon.csv")},
        content_type="multipart/form-data")
    assert bad.status_code == 422 and "Mã này đã có ở một dòng khác" in bad.get_data(as_text=True)
    good = chair.post("/reviewer/team", data={"csrf_token": token, "step": "hamlets", "file": (
        io.BytesIO("code,name\nT01,Thôn 1\nT02,Thôn 2\n".encode()), "thon.csv")},
        content_type="multipart/form-data")
    assert good.status_code == 200 and session.exec(select(Hamlet)).all() != []
    rv = chair.post("/reviewer/team", data={"csrf_token": token, "step": "scope", "user_id": reviewer.user_id,
                                            "whole_ward": "no", "hamlets": ["T02"]})
    assert rv.status_code == 302
    session.expire_all()
    assert session.get(User, reviewer.user_id).hamlet_scope == ["T02"]  # type: ignore[union-attr]
    assert signed_in(app, "rev-team").get("/reviewer/team").status_code == 404


def test_registration_offers_the_wards_list_and_imports_place_people_in_it(app, session: Session, tmp_path) -> None:
    _hamlets(app.test_cli_runner(), tmp_path)
    page = app.test_client().get(f"/citizen/register?ward={WARD}").get_data(as_text=True)
    assert '<select id="hamlet" name="hamlet"' in page and "Tổ dân phố số 2" in page
    assert '<input id="hamlet"' in app.test_client().get("/citizen/register?ward=00004").get_data(as_text=True)
    staff = make_staff(session, Role.WARD_REVIEWER, ward=WARD)
    good = citizen_data(WARD, hamlet="tdp02")
    rows = assisted.parse((
        "cccd,full_name,date_of_birth,sex,target_group,hamlet,phone,email,consent_reference\n"
        f"{good['cccd']},Trần Văn Bình,1990-05-17,nam,resident,Tổ dân phố số 2,,,P-1\n").encode())
    assisted.import_citizens(session, staff, WARD, rows)
    session.commit()
    placed = session.exec(select(Citizen).where(Citizen.cccd == good["cccd"])).one()
    assert (placed.hamlet_code, placed.hamlet) == ("TDP02", "Tổ dân phố số 2")
    bad = assisted.parse((
        "cccd,full_name,date_of_birth,sex,target_group,hamlet,phone,email,consent_reference\n"
        f"{citizen_data(WARD)['cccd']},Trần Văn Cường,1990-05-17,nam,resident,Tổ 99,,,\n").encode())
    with pytest.raises(Invalid) as caught:
        assisted.import_citizens(session, staff, WARD, bad)
    assert caught.value.fields == {"row.2": "unknown_hamlet"} and caught.value.params["columns"] == {"row.2": "hamlet"}


def test_the_queue_as_a_csv_file_follows_the_filters_and_shows_no_identity_number(app, api, session: Session,
                                                                                   tmp_path) -> None:
    _hamlets(app.test_cli_runner(), tmp_path)
    people = [citizen_data(WARD, hamlet=place) for place in ("TDP01", "TDP01", "TDP02")]
    for person in people:
        api.submitted(person)
    make_staff(session, Role.WARD_REVIEWER, ward=WARD, username="rev-csv")
    browser = signed_in(app, "rev-csv")
    rv = browser.get("/reviewer/export.csv?hamlet=TDP01")
    assert rv.status_code == 200 and rv.mimetype == "text/csv"
    text = rv.get_data(as_text=True)
    lines = text.strip().splitlines()
    assert len(lines) == 3 and "Tổ dân phố số 1" in lines[1] and "Tổ dân phố số 2" not in text
    assert all(p["cccd"] not in text for p in people)
    assert browser.get("/reviewer/export.csv?passes=maybe").status_code == 404
