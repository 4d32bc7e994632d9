"""Digital skills through the JSON API: frameworks, imports by city admins, a citizen's own records, the roll-up."""

import io

from factories import cccd_for, make_citizen, make_staff
from sqlmodel import Session, func, select

from workflows.clock import today
from workflows.models import DigitalAttainment


def _file(rows: list[str]) -> io.BytesIO:
    return io.BytesIO(("cccd,completed_on,external_id,course\n" + "\n".join(rows) + "\n").encode())


def _import(api, who: dict[str, str], rows: list[str], **form: str):
    return api.call("POST", "/api/v1/digital/imports", who, content_type="multipart/form-data",
                    data={"file": (_file(rows), "bdhvs.csv"), "source": "Bình dân học vụ số", **form})


def test_frameworks_are_public_and_name_their_publisher(api) -> None:
    rv = api.call("GET", "/api/v1/digital/frameworks")
    assert rv.status_code == 200
    basic = next(f for f in rv.json["items"] if f["id"] == "qd757-basic@2025")
    assert basic["publisher"] == "Bộ Khoa học và Công nghệ" and len(basic["areas"]) == 6
    assert basic["basic_rule"]["overall_min"] == 0.7


def test_an_import_is_all_or_nothing_idempotent_and_counted(api, session: Session) -> None:
    make_staff(session, "city_admin", None, username="admin-d")
    make_staff(session, "ward_reviewer", username="rev-d")
    _, cccd = make_citizen(session)
    admin, reviewer = api.token("admin-d"), api.token("rev-d")
    done = today().isoformat()
    assert _import(api, reviewer, [f"{cccd},{done},A1,Kỹ năng số"]).status_code == 403
    bad = _import(api, admin, [f"{cccd},{done},A1,Kỹ năng số", f"{cccd},hôm qua,A2,"], lang="en")
    assert bad.status_code == 422 and bad.json["error"]["field_codes"] == {"row.3": "date_format"}
    assert session.exec(select(func.count()).select_from(DigitalAttainment)).one() == 0
    rows = [f"{cccd},{done},A1,Kỹ năng số", f"{cccd_for(1970)},{done},A9,"]
    dry = _import(api, admin, rows, dry_run="true")
    assert dry.json == {"rows": 2, "imported": 1, "skipped_existing": 0, "unknown_cccd": 1, "unknown_rows": [3],
                        "dry_run": True}
    assert session.exec(select(func.count()).select_from(DigitalAttainment)).one() == 0
    assert _import(api, admin, rows).json["imported"] == 1
    again = _import(api, admin, rows).json
    assert (again["imported"], again["skipped_existing"]) == (0, 1)
    mine = api.call("GET", "/api/v1/me/digital", api.token(cccd)).json["items"]
    assert [(m["kind"], m["state"], m["counts"]) for m in mine] == [("import", "verified", True)]
    rollup = api.call("GET", f"/api/v1/rollup?year={today().year}", admin).json
    ward = next(w for w in rollup["wards"] if w["code"] == "00004")
    assert ward["digital"] == 1 and ward["digital_rate"] is None  # no denominator imported in this test
    assert api.call("GET", "/api/v1/me/digital", reviewer).status_code == 404
