"""Criteria versions on the pages and at the command line (ADR 22): the citizen's own group's wording, the pass rule
with the version's numbers, the city administrator's list and publish button, and `flask criteria`."""

import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from criteria_sets import published_set, qd_324, remove_test_sets
from factories import citizen_data, csrf, make_staff, signed_in
from flask import Flask
from sqlmodel import Session, select

from workflows import criteria
from workflows.clock import today
from workflows.models import AuditEvent, CriteriaSet
from workflows.registration import register_citizen

YEAR = today().year


@pytest.fixture(autouse=True)
def _seeded_versions_only(session: Session) -> Iterator[None]:
    yield
    remove_test_sets(session)


def _self_assessment(app: Flask, session: Session, group: str) -> str:
    """A citizen of the group opens this year's application; their self-assessment page."""
    data = citizen_data(target_group=group)
    register_citizen(session, data)
    session.commit()
    client = signed_in(app, data["cccd"])
    home = client.get("/citizen/").get_data(as_text=True)
    client.post("/citizen/applications", data={"csrf_token": csrf(home), "year": str(YEAR)})
    home = client.get("/citizen/").get_data(as_text=True)
    app_id = re.search(r"/citizen/applications/([\w-]+)/self-assessment", home).group(1)
    page = client.get(f"/citizen/applications/{app_id}/self-assessment?step=2")  # criterion II: II.1 is there
    assert page.status_code == 200
    return page.get_data(as_text=True)


def _wording(group: str, code: str = "II.1") -> str:
    found = next(i for i in qd_324()["indicators"] if i["code"] == code)
    return found["wording"][group]["vi"]


def test_a_worker_reads_the_workers_wording(web: Flask, session: Session) -> None:
    worker = _self_assessment(web, session, "worker")
    assert _wording("worker") in worker and _wording("resident") not in worker
    assert "Tiêu chí II. Năng lực sử dụng công cụ để học tập và làm việc" in worker  # the criterion named by the set
    learner = _self_assessment(web, session, "learner")
    assert _wording("learner") in learner and "trong học tập ở trường" in learner
    resident = _self_assessment(web, session, "resident")
    assert _wording("resident") in resident


def test_the_pass_rule_says_the_versions_numbers(web: Flask, session: Session) -> None:
    published_set(session, code="TEST-70-4", valid_from_year=YEAR, pass_total=70, pass_min_indicator=4)
    html = _self_assessment(web, session, "resident")
    assert "cần tổng điểm từ 70 trở lên và không chỉ số nào dưới 4 điểm" in html
    assert "cần tổng điểm từ 80" not in html
    assert "Tự đánh giá theo 10 chỉ số" in html and "Mỗi chỉ số chấm từ 0 đến 10 điểm" in html


def test_admin_lists_versions_and_publishes_a_draft_audited(web: Flask, session: Session) -> None:
    admin = make_staff(session, "city_admin", ward=None, username="admin-criteria")
    criteria.draft_from(session, admin, "QD-324-KHVN-2023", "TEST-PAGE", YEAR + 1)
    session.commit()
    client = signed_in(web, "admin-criteria")
    page = client.get("/admin/criteria")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for expected in ("QD-244-KHVN-2022", "Quyết định 244/QĐ-KHVN ngày 28/7/2022", "Đã ban hành", "Bản dự thảo",
                     "Tổng điểm từ 80 trở lên, không chỉ số nào dưới 5 điểm"):
        assert expected in html
    assert html.count('/publish"') == 1  # only the draft has a publish button
    worker = client.get("/admin/criteria/TEST-PAGE?group=worker").get_data(as_text=True)
    assert _wording("worker") in worker and _wording("resident") not in worker
    assert client.post("/admin/criteria/TEST-PAGE/publish", data={"version": "1"}).status_code == 400  # no CSRF
    done = client.post("/admin/criteria/TEST-PAGE/publish", data={"csrf_token": csrf(html), "version": "1"})
    assert done.status_code == 302
    cset = session.exec(select(CriteriaSet).where(CriteriaSet.code == "TEST-PAGE")).one()
    session.refresh(cset)
    assert (cset.state, cset.published_by) == ("published", admin.user_id)
    audit = session.exec(select(AuditEvent).where(AuditEvent.entity_id == cset.id,
                                                  AuditEvent.event == "publish")).one()
    assert (audit.actor_id, audit.from_state, audit.to_state) == (admin.user_id, "draft", "published")
    again = client.post("/admin/criteria/TEST-PAGE/publish", data={"csrf_token": csrf(html), "version": "1"})
    assert again.status_code == 409


def test_other_roles_do_not_find_the_admin_pages(web: Flask, session: Session) -> None:
    make_staff(session, "ward_reviewer", username="rev-criteria")
    reviewer = signed_in(web, "rev-criteria")
    assert reviewer.get("/admin/criteria").status_code == 404
    assert reviewer.get("/admin/criteria/QD-324-KHVN-2023").status_code == 404
    page = reviewer.get("/reviewer/").get_data(as_text=True)
    assert reviewer.post("/admin/criteria/QD-324-KHVN-2023/publish",
                         data={"csrf_token": csrf(page)}).status_code == 404
    assert web.test_client().get("/admin/criteria").status_code == 302  # to sign in


def test_cli_loads_a_draft_names_a_bad_field_and_publishes_with_its_operator(
        app: Flask, session: Session, tmp_path: Path) -> None:
    runner = app.test_cli_runner()
    bad = qd_324(code="TEST-CLI", valid_from_year=YEAR + 1)
    del bad["indicators"][2]["wording"]["staff"]["en"]
    (tmp_path / "bad.json").write_text(json.dumps(bad, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(args=["criteria", "load", str(tmp_path / "bad.json")])
    assert result.exit_code == 2 and "indicators.2.wording.staff.en" in result.output
    (tmp_path / "broken.json").write_text("{not json", encoding="utf-8")
    result = runner.invoke(args=["criteria", "load", str(tmp_path / "broken.json")])
    assert result.exit_code == 2 and "file:" in result.output
    (tmp_path / "good.json").write_text(json.dumps(qd_324(code="TEST-CLI", valid_from_year=YEAR + 1)),
                                        encoding="utf-8")
    result = runner.invoke(args=["criteria", "load", str(tmp_path / "good.json")])
    assert result.exit_code == 0 and "new draft TEST-CLI" in result.output, result.output
    result = runner.invoke(args=["criteria", "publish", "TEST-CLI", "--by", "nobody"])
    assert result.exit_code == 2 and "by:" in result.output
    admin = make_staff(session, "city_admin", ward=None, username="admin-cli")
    result = runner.invoke(args=["criteria", "publish", "TEST-CLI", "--by", "admin-cli"])
    assert result.exit_code == 0, result.output
    cset = session.exec(select(CriteriaSet).where(CriteriaSet.code == "TEST-CLI")).one()
    audit = session.exec(select(AuditEvent).where(AuditEvent.entity_id == cset.id,
                                                  AuditEvent.event == "publish")).one()
    assert audit.actor_id == admin.user_id
    result = runner.invoke(args=["criteria", "load", str(tmp_path / "good.json")])
    assert result.exit_code == 2 and "published" in result.output  # a published version is never replaced
    result = runner.invoke(args=["criteria", "draft", "--from", "TEST-CLI", "--code", "TEST-CLI-2",
                                 "--valid-from", str(YEAR + 2)])
    assert result.exit_code == 0 and "draft TEST-CLI-2" in result.output
    listed = runner.invoke(args=["criteria", "list"]).output
    assert "TEST-CLI-2" in listed and "QD-244-KHVN-2022" in listed
    exported = json.loads(runner.invoke(args=["criteria", "export", "TEST-CLI-2"]).output)
    assert exported["valid_from_year"] == YEAR + 2 and len(exported["indicators"]) == 10


def test_an_administrator_copies_downloads_corrects_and_loads_a_draft_on_the_pages(web: Flask,
                                                                                     session: Session) -> None:
    make_staff(session, "city_admin", ward=None, username="admin-drafts")
    client = signed_in(web, "admin-drafts")
    page = client.get("/admin/criteria")
    token = csrf(page.get_data(as_text=True))
    bad = client.post("/admin/criteria/drafts", data={"csrf_token": token, "step": "copy",
                                                      "source": "QD-324-KHVN-2023", "code": "TEST-PAGE",
                                                      "valid_from_year": "year"})
    assert bad.status_code == 422 and "Cần sửa các mục sau" in bad.get_data(as_text=True)
    made = client.post("/admin/criteria/drafts", data={"csrf_token": token, "step": "copy",
                                                       "source": "QD-324-KHVN-2023", "code": "TEST-PAGE",
                                                       "valid_from_year": "2031"})
    assert made.status_code == 302 and made.location.endswith("/admin/criteria/TEST-PAGE")
    file = client.get("/admin/criteria/TEST-PAGE.json")
    assert file.status_code == 200 and file.mimetype == "application/json"
    version = json.loads(file.get_data())
    version["pass_total"] = 75
    loaded = client.post("/admin/criteria/drafts", data={
        "csrf_token": token, "step": "file",
        "file": (io.BytesIO(json.dumps(version).encode()), "TEST-PAGE.json")}, content_type="multipart/form-data")
    assert loaded.status_code == 302
    assert "75" in client.get("/admin/criteria/TEST-PAGE").get_data(as_text=True)
    broken = client.post("/admin/criteria/drafts", data={
        "csrf_token": token, "step": "file", "file": (io.BytesIO(b"{not json"), "x.json")},
        content_type="multipart/form-data")
    assert broken.status_code == 422


# Deeper than Python's parser goes, and deep enough to parse but deeper than any version file.
DEEP_FILES = [b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 900 + b"1" + b"}" * 900]


@pytest.mark.parametrize("body", DEEP_FILES, ids=["100000-lists", "900-objects"])
def test_a_version_file_nested_too_deeply_is_named_on_the_page_and_by_the_cli(
        web: Flask, app: Flask, session: Session, tmp_path: Path, body: bytes) -> None:
    make_staff(session, "city_admin", ward=None, username="admin-deep")
    client = signed_in(web, "admin-deep")
    token = csrf(client.get("/admin/criteria").get_data(as_text=True))
    for lang, said in (("vi", "Tệp JSON lồng nhau quá 32 cấp"), ("en", "nests its JSON more than 32 levels deep")):
        rv = client.post(f"/admin/criteria/drafts?lang={lang}", data={
            "csrf_token": token, "step": "file", "file": (io.BytesIO(body), "deep.json")},
            content_type="multipart/form-data")
        assert rv.status_code == 422 and said in rv.get_data(as_text=True), lang
    (tmp_path / "deep.json").write_bytes(body)
    result = app.test_cli_runner().invoke(args=["criteria", "load", str(tmp_path / "deep.json")])
    assert result.exit_code == 2 and "file: The file nests its JSON more than 32 levels deep" in result.output
