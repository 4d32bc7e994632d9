"""Population figures, the roll-up's denominators: imported from CSV by the CLI, the API and the admin page; all or
nothing with every bad row named; the newest import wins and the replaced figure stays in the history; the
dashboard's rates divide by them."""

import io

import pytest
from factories import csrf, make_staff, signed_in
from flask import Flask
from sqlmodel import Session, func, select

from workflows import populations
from workflows.actors import SYSTEM_ACTOR
from workflows.errors import Forbidden, Invalid
from workflows.models import AuditEvent, Population, PopulationImport, PopulationRevision

HEADER = "ward_code,year,mode,population\n"


def _csv(*lines: str) -> bytes:
    return (HEADER + "".join(f"{line}\n" for line in lines)).encode()


def _count(session: Session, model: type) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def _import(session: Session, data: bytes, source: str = "Cục Thống kê Hà Nội 2026", **kw: object):
    report = populations.import_populations(session, SYSTEM_ACTOR,
                                            populations.parse(data, populations.known_wards(session)), source, **kw)
    session.commit()
    return report


def test_every_bad_row_is_named_and_nothing_is_imported(session: Session) -> None:
    data = _csv("00004,2026,residents_15_plus,51234", "4,2026,all_residents,60000", "99999,2026,all_residents,1",
                "00070,26,all_residents,1", "00070,2026,adults,1", "00070,2026,all_residents,-5",
                "00070,2026,all_residents,3000000", "00004,2026,residents_15_plus,51000", "00070,2026", "")
    with pytest.raises(Invalid) as caught:
        populations.parse(data, populations.known_wards(session))
    assert caught.value.fields == {
        "row.4": "unknown_ward", "row.5": "year_out_of_range", "row.6": "unknown_mode",
        "row.7": "population_out_of_range", "row.8": "population_out_of_range", "row.9": "population_repeated",
        "row.10": "wrong_column_count"}
    assert _count(session, Population) == 0
    with pytest.raises(Invalid) as header:
        populations.parse(b"ward,year,population\n00004,2026,1\n", set())
    assert header.value.fields == {"file": "bad_header"}
    with pytest.raises(Invalid) as empty:
        populations.parse(HEADER.encode(), set())
    assert empty.value.fields == {"file": "no_rows"}
    with pytest.raises(Invalid) as latin:
        populations.parse("ward_code,year,mode,population\n00004,2026,all_residents,1 Hà Nội\n".encode("utf-16"),
                          set())
    assert latin.value.fields == {"file": "not_utf8"}


def test_the_newest_import_wins_and_the_older_figure_stays_in_the_history(session: Session) -> None:
    # A spreadsheet's BOM, dropped leading zeros and thousands separators are read as meant.
    first = _import(session, b"\xef\xbb\xbf" + _csv("4,2026,residents_15_plus,\"51.234\"",
                                                    "00070,2026,residents_15_plus,40000"))
    assert (first.rows, first.imported, first.replaced, first.unchanged) == (2, 2, 0, 0)
    assert session.get(Population, ("00004", 2026, "residents_15_plus")).population == 51234
    again = _import(session, _csv("00004,2026,residents_15_plus,51234", "00070,2026,residents_15_plus,40000"))
    assert (again.imported, again.unchanged) == (0, 2)
    revised = _import(session, _csv("00004,2026,residents_15_plus,52000", "00070,2026,residents_15_plus,40000"),
                      source="Cục Thống kê Hà Nội, điều chỉnh 6/2026")
    assert (revised.imported, revised.replaced) == (2, 2)  # a new source is a new statement of every figure
    session.expire_all()
    now = session.get(Population, ("00004", 2026, "residents_15_plus"))
    assert (now.population, now.source, now.import_id) == (52000, "Cục Thống kê Hà Nội, điều chỉnh 6/2026",
                                                           revised.import_id)
    old = session.exec(select(PopulationRevision).where(PopulationRevision.ward_code == "00004")).one()
    assert (old.population, old.source, old.import_id, old.replaced_by) == (
        51234, "Cục Thống kê Hà Nội 2026", first.import_id, revised.import_id)
    assert [i.changed for i in populations.history(session)] == [2, 0, 2]
    audit = session.exec(select(AuditEvent).where(AuditEvent.entity_type == "population")).all()
    assert len(audit) == 3 and {a.event for a in audit} == {"import"}


def test_a_dry_run_writes_nothing_and_only_city_admins_import(session: Session) -> None:
    reviewer = make_staff(session, "ward_reviewer")
    rows = populations.parse(_csv("00004,2026,all_residents,70000"), populations.known_wards(session))
    with pytest.raises(Forbidden):
        populations.import_populations(session, reviewer, rows, "x")
    report = populations.import_populations(session, SYSTEM_ACTOR, rows, "Nguồn thử", dry_run=True)
    session.rollback()
    assert (report.imported, report.dry_run, report.import_id) == (1, True, None)
    assert _count(session, Population) == _count(session, PopulationImport) == 0
    with pytest.raises(Invalid) as no_source:
        populations.import_populations(session, SYSTEM_ACTOR, rows, "   ")
    assert no_source.value.fields == {"source": "required"}


def test_the_cli_names_the_bad_row_and_exits_2(app: Flask, session: Session, tmp_path) -> None:
    runner = app.test_cli_runner()
    bad = tmp_path / "dan-so.csv"
    bad.write_bytes(_csv("00004,2026,residents_15_plus,51234", "00004,2026,residents_15_plus,50000"))
    out = runner.invoke(args=["population", "import", str(bad), "--source", "Cục Thống kê"])
    assert out.exit_code == 2 and "row.3" in out.output
    assert _count(session, Population) == 0
    good = tmp_path / "dan-so-2.csv"
    good.write_bytes(_csv("00004,2026,residents_15_plus,51234", "00070,2026,all_residents,50000"))
    dry = runner.invoke(args=["population", "import", str(good), "--source", "Cục Thống kê", "--dry-run"])
    assert dry.exit_code == 0 and "dry run: 2 rows, 2 imported" in dry.output
    assert _count(session, Population) == 0
    done = runner.invoke(args=["population", "import", str(good), "--source", "Cục Thống kê"])
    assert done.exit_code == 0 and "2 imported" in done.output
    assert _count(session, Population) == 2


def test_the_api_imports_and_the_rollup_divides_by_the_figures(api, session: Session) -> None:
    make_staff(session, "city_admin", None, username="admin-pop")
    make_staff(session, "ward_reviewer", username="rev-pop")
    admin = api.token("admin-pop")

    def send(who, data: bytes, **form: str):
        return api.call("POST", "/api/v1/populations/imports", who, content_type="multipart/form-data",
                        data={"file": (io.BytesIO(data), "dan-so.csv"), "source": "Cục Thống kê", **form})

    lines = ("00004,2026,residents_15_plus,50000", "00004,2026,all_residents,62000")
    assert send(api.token("rev-pop"), _csv(*lines)).status_code == 403
    bad = send(admin, _csv(*lines, "00004,2026,residents_15_plus,1"), lang="en")
    assert bad.status_code == 422 and bad.json["error"]["field_codes"] == {"row.4": "population_repeated"}
    dry = send(admin, _csv(*lines), dry_run="true")
    assert dry.status_code == 200 and dry.json["dry_run"] is True and _count(session, Population) == 0
    done = send(admin, _csv(*lines))
    assert done.status_code == 200
    assert {k: done.json[k] for k in ("rows", "imported", "replaced", "unchanged")} == {
        "rows": 2, "imported": 2, "replaced": 0, "unchanged": 0}
    rollup = api.call("GET", "/api/v1/rollup?year=2026", admin).json
    ward = next(w for w in rollup["wards"] if w["code"] == "00004")
    assert ward["population"] == 50000 and ward["cdht_rate"] == 0.0  # residents 15+: the title's target's mode


def test_the_admin_page_checks_then_imports_a_file(web: Flask, session: Session) -> None:
    make_staff(session, "city_admin", None, username="admin-page")
    client = signed_in(web, "admin-page")
    shown = client.get("/admin/populations")
    html = shown.get_data(as_text=True)
    assert shown.status_code == 200, html[html.find("<main"):][:2000]
    assert "Số liệu dân số" in html and 'name="dry_run" value="yes" checked' in html
    token = csrf(html)

    def post(data: bytes, **form: str):
        return client.post("/admin/populations", content_type="multipart/form-data", data={
            "csrf_token": token, "source": "Cục Thống kê Hà Nội", "file": (io.BytesIO(data), "dan-so.csv"), **form})

    wrong = post(_csv("00004,2026,residents_15_plus,abc", "00070,2026,all_residents,1"), dry_run="yes")
    body = wrong.get_data(as_text=True)
    assert wrong.status_code == 422 and 'href="#file"' in body and "Dòng 2:" in body and "Dòng 3" not in body
    checked = post(_csv("00004,2026,residents_15_plus,51000"), dry_run="yes")
    assert checked.status_code == 200 and "Chạy thử" in checked.get_data(as_text=True)
    assert _count(session, Population) == 0
    done = post(_csv("00004,2026,residents_15_plus,51000"))
    assert done.status_code == 200 and "dan-so.csv" in done.get_data(as_text=True)
    assert _count(session, Population) == 1
