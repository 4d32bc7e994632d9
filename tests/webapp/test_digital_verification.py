"""Records of digital skills that a person checks: a citizen's course certificate and a learning centre's supervised
assessment wait in the ward reviewer's own list, are verified at a level or not accepted with a reason, move the
roll-up's counters, and are offered for indicator II.1. Pages and the JSON API, on both runtimes."""

import io
import re

from factories import cccd_for, citizen_data, csrf, make_citizen, make_staff, scores, signed_in
from flask import Flask
from PIL import Image
from sqlmodel import Session, func, select

from workflows import applications
from workflows.clock import today
from workflows.digital import counters
from workflows.inputs import ActivityInput, ApplicationInput, SelfAssessmentInput, parse
from workflows.models import AuditEvent, DigitalAttainment, DigitalCounter

YEAR = today().year


def once(html: str) -> str:
    found = re.search(r'name="once" value="([^"]+)"', html)
    assert found
    return found.group(1)


def text(response) -> str:
    return response.get_data(as_text=True)


def png(colour: tuple[int, int, int] = (0, 112, 60)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def send_certificate(client, data: bytes, name: str = "chung-chi.png", **fields: str):
    form = text(client.get("/citizen/digital/certificates/new"))
    body = {"csrf_token": csrf(form), "once": once(form), "course": "Kỹ năng số cơ bản cho người dân",
            "issuer": "Trung tâm GDNN-GDTX Ba Đình", "achieved_on-day": "2", "achieved_on-month": "3",
            "achieved_on-year": str(YEAR), **fields, "evidence": (io.BytesIO(data), name)}
    return client.post("/citizen/digital/certificates/new", content_type="multipart/form-data", data=body)


def holders(session: Session, ward: str = "00004") -> int:
    session.expire_all()
    row = session.get(DigitalCounter, (ward, YEAR))
    return row.holders if row else 0


def test_a_certificate_is_sent_checked_verified_at_a_level_and_counted(web: Flask, session: Session) -> None:
    _, cccd = make_citizen(session)
    make_staff(session, "ward_reviewer", username="rev-v1")
    make_staff(session, "ward_reviewer", ward="00070", username="rev-other")
    citizen = signed_in(web, cccd)

    # A text file named .png is refused by its content; nothing is recorded, the answers stay.
    bad = send_certificate(citizen, b"not a picture", course="Tin học văn phòng")
    assert bad.status_code == 422 and "Chỉ nhận tệp PDF, JPG hoặc PNG." in text(bad)
    assert 'value="Tin học văn phòng"' in text(bad)
    # No file at all: said at once, beside the other mistakes.
    form = text(citizen.get("/citizen/digital/certificates/new"))
    empty = citizen.post("/citizen/digital/certificates/new", data={
        "csrf_token": csrf(form), "once": once(form), "course": "", "issuer": "X"})
    assert empty.status_code == 422 and 'href="#evidence"' in text(empty) and 'href="#course"' in text(empty)
    assert session.exec(select(func.count()).select_from(DigitalAttainment)).one() == 0

    sent = send_certificate(citizen, png())
    assert sent.status_code == 302 and sent.headers["Location"].endswith("/citizen/digital")
    mine = text(citizen.get("/citizen/digital"))
    assert "Chờ xác nhận" in mine and "Kỹ năng số cơ bản cho người dân" in mine
    # The same file again is refused while the first waits.
    again = send_certificate(citizen, png())
    assert again.status_code == 422 and "Bạn đã gửi tệp này" in text(again)
    record = session.exec(select(DigitalAttainment)).one()
    assert (record.kind, record.state, record.counts, record.level) == ("certificate", "pending", False, None)

    # Another ward's reviewer: the list is empty and the record, its file and its API do not exist.
    other = signed_in(web, "rev-other")
    assert record.id not in text(other.get("/reviewer/digital"))
    assert other.get(f"/reviewer/digital/{record.id}").status_code == 404
    assert other.get(f"/reviewer/digital/{record.id}/file").status_code == 404

    reviewer = signed_in(web, "rev-v1")
    queue = text(reviewer.get("/reviewer/"))
    assert "1 kết quả kỹ năng số đang chờ xác nhận." in queue
    listing = text(reviewer.get("/reviewer/digital"))
    assert f"/reviewer/digital/{record.id}" in listing and "001******" not in listing.split("<main")[0]
    page = text(reviewer.get(f"/reviewer/digital/{record.id}"))
    assert cccd not in page and f"{cccd[:3]}******{cccd[-3:]}" in page
    file = reviewer.get(f"/reviewer/digital/{record.id}/file")
    assert file.status_code == 200 and file.mimetype == "image/png" and file.data.startswith(b"\x89PNG")

    # Verifying needs a level; the page says so and keeps the choice.
    no_level = reviewer.post(f"/reviewer/digital/{record.id}", data={
        "csrf_token": csrf(page), "version": "1", "action": "verify", "level": ""})
    assert no_level.status_code == 422 and 'href="#level"' in text(no_level)
    assert 'value="verify" checked' in text(no_level)
    done = reviewer.post(f"/reviewer/digital/{record.id}", data={
        "csrf_token": csrf(page), "version": "1", "action": "verify", "level": "2"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/reviewer/digital")
    session.expire_all()
    record = session.get(DigitalAttainment, record.id)
    assert (record.state, record.level, record.counts) == ("verified", 2, True)
    assert holders(session) == 1
    assert counters.check(session) == []
    # A second click with the old version: the page says someone dealt with it, nothing changes twice.
    late = reviewer.post(f"/reviewer/digital/{record.id}", data={
        "csrf_token": csrf(page), "version": "1", "action": "verify", "level": "2"})
    assert late.status_code == 409 and "Kết quả này đã được xử lý" in text(late)
    assert 'name="action"' not in text(late)  # no form: it is no longer pending
    audit = session.exec(select(AuditEvent.event).where(AuditEvent.entity_id == record.id)
                         .order_by(AuditEvent.at)).all()
    assert audit == ["create", "verify"]
    mine = text(citizen.get("/citizen/digital"))
    assert "Đã xác nhận" in mine and f"Có, năm {YEAR}–{YEAR + 2}" in mine


def test_a_stale_verdict_is_refused_and_a_rejection_needs_a_reason_the_citizen_reads(
        web: Flask, session: Session) -> None:
    _, cccd = make_citizen(session)
    make_staff(session, "ward_reviewer", username="rev-v2")
    make_staff(session, "ward_reviewer", username="rev-v3")
    citizen = signed_in(web, cccd)
    assert send_certificate(citizen, png((1, 2, 3))).status_code == 302
    record = session.exec(select(DigitalAttainment)).one()
    first, second = signed_in(web, "rev-v2"), signed_in(web, "rev-v3")
    page_a = text(first.get(f"/reviewer/digital/{record.id}"))
    page_b = text(second.get(f"/reviewer/digital/{record.id}"))
    no_reason = first.post(f"/reviewer/digital/{record.id}", data={
        "csrf_token": csrf(page_a), "version": "1", "action": "decline", "reason": " "})
    assert no_reason.status_code == 422 and "Nêu lý do" in text(no_reason)
    reason = "Ảnh chụp mờ, không đọc được tên khóa học."
    assert first.post(f"/reviewer/digital/{record.id}", data={
        "csrf_token": csrf(page_a), "version": "1", "action": "decline", "reason": reason}).status_code == 302
    stale = second.post(f"/reviewer/digital/{record.id}", data={
        "csrf_token": csrf(page_b), "version": "1", "action": "verify", "level": "3"})
    assert stale.status_code == 409 and "Kết quả này đã được xử lý" in text(stale)
    session.expire_all()
    assert session.get(DigitalAttainment, record.id).state == "rejected"
    assert holders(session) == 0
    mine = text(citizen.get("/citizen/digital"))
    assert "Không được chấp nhận" in mine and reason in mine
    # Rejected: the same file may be sent again, corrected details and all.
    assert send_certificate(citizen, png((1, 2, 3)), course="Kỹ năng số (bản rõ)").status_code == 302


def test_learning_centre_staff_record_assessments_in_their_ward_only(web: Flask, session: Session) -> None:
    _, cccd = make_citizen(session)
    _, elsewhere = make_citizen(session, ward="00070", year=1985)
    make_staff(session, "centre_staff", username="centre-v")
    make_staff(session, "ward_reviewer", username="rev-v4")
    centre = signed_in(web, "centre-v")
    assert centre.get("/reviewer/").status_code == 404  # applications are not theirs to see
    assert centre.get("/assessments/").status_code == 200

    def record(client, number: str, level: str = "2", reference: str = "P-001"):
        form = text(client.get("/assessments/new"))
        return client.post("/assessments/new", data={
            "csrf_token": csrf(form), "once": once(form), "cccd": number, "achieved_on-day": "5",
            "achieved_on-month": "2", "achieved_on-year": str(YEAR), "level": level,
            "centre": "Trung tâm học tập cộng đồng phường Ba Đình", "reference": reference})

    unknown = record(centre, elsewhere)
    assert unknown.status_code == 422 and "Không có công dân nào" in text(unknown)
    assert record(centre, cccd_for(1960)).status_code == 422  # nobody: the same words, no one learns of others
    assert record(centre, cccd).status_code == 302
    assert record(centre, cccd).status_code == 422  # the same paper number twice
    rows = session.exec(select(DigitalAttainment)).all()
    assert [(r.kind, r.state, r.level, r.counts) for r in rows] == [("assessment", "pending", 2, True)]
    assert holders(session) == 0  # not yet verified
    assert "Chờ xác nhận" in text(centre.get("/assessments/"))

    # The ward reviewer verifies it (the recorded level stands); the centre cannot.
    reviewer = signed_in(web, "rev-v4")
    page = text(reviewer.get(f"/reviewer/digital/{rows[0].id}"))
    assert "Trung tâm học tập cộng đồng phường Ba Đình" in page and 'value="2" selected' in page
    assert reviewer.post(f"/reviewer/digital/{rows[0].id}", data={
        "csrf_token": csrf(page), "version": "1", "action": "verify", "level": ""}).status_code == 302
    assert holders(session) == 1
    # A reviewer's own record of a supervised test is verified at once.
    _, third = make_citizen(session, year=1975)
    assert record(reviewer, third, level="1", reference="P-002").status_code == 302
    assert holders(session) == 2
    assert counters.check(session) == []


def test_a_verified_attainment_is_offered_for_ii1_and_the_reviewer_sees_it(web: Flask, session: Session) -> None:
    actor, cccd = make_citizen(session)
    make_staff(session, "ward_reviewer", username="rev-v5")
    application = applications.open_application(session, actor, parse(ApplicationInput, {"year": YEAR}))
    session.commit()
    citizen = signed_in(web, cccd)
    path = f"/citizen/applications/{application.id}/self-assessment?step=2"  # criterion II, where II.1 is
    before = text(citizen.get(path))
    assert 'id="score-II-1-digital"' not in before and 'id="score-II-1" name="score-II-1" value=""' in before

    reviewer = signed_in(web, "rev-v5")
    form = text(reviewer.get("/assessments/new"))
    assert reviewer.post("/assessments/new", data={
        "csrf_token": csrf(form), "once": once(form), "cccd": cccd, "achieved_on-day": "1",
        "achieved_on-month": "1", "achieved_on-year": str(YEAR), "level": "2",
        "centre": "Trung tâm học tập cộng đồng phường Ba Đình"}).status_code == 302
    after = text(citizen.get(path))
    assert 'id="score-II-1-digital"' in after and 'id="score-II-1" name="score-II-1" value="10"' in after
    assert 'aria-describedby="score-II-1-hint score-II-1-digital"' in after
    first = text(citizen.get(path.replace("step=2", "step=1")))
    assert 'id="score-I-1" name="score-I-1" value=""' in first  # only the digital indicator is offered

    # The citizen keeps their own choice: a saved score is never replaced by the suggestion.
    applications.set_self_assessment(session, actor, application.id, parse(SelfAssessmentInput, {
        "scores": scores(9, II_1=7)}))
    session.commit()
    assert 'name="score-II-1" value="7"' in text(citizen.get(path))
    applications.add_activity(session, actor, application.id, parse(ActivityInput, {
        "title": "Lớp tin học", "kind": "course", "hours": 8, "started_on": f"{YEAR}-01-02"}))
    applications.submit(session, actor, application.id)
    session.commit()
    review = text(reviewer.get(f"/reviewer/applications/{application.id}"))
    assert "Kỹ năng số đã xác nhận: Đánh giá có giám sát, 01/01/" in review


def test_the_api_sends_lists_reviews_and_serves_the_file(api, session: Session) -> None:
    _, cccd = make_citizen(session)
    make_staff(session, "ward_reviewer", username="rev-api")
    make_staff(session, "ward_reviewer", ward="00070", username="rev-api-other")
    make_staff(session, "centre_staff", username="centre-api")
    citizen, reviewer = api.token(cccd), api.token("rev-api")
    rv = api.call("POST", "/api/v1/me/digital/certificates", citizen, content_type="multipart/form-data", data={
        "course": "Bình dân học vụ số – khóa 1", "issuer": "Trường Cao đẳng Y", "achieved_on": today().isoformat(),
        "evidence": (io.BytesIO(png()), "cc.png")})
    assert rv.status_code == 201, rv.json
    sent = rv.json
    assert (sent["kind"], sent["state"], sent["counts"], sent["version"]) == ("certificate", "pending", False, 1)
    assert api.call("GET", sent["file_url"], citizen).data.startswith(b"\x89PNG")
    queue = api.call("GET", "/api/v1/review/digital", reviewer).json
    assert queue["total"] == 1 and queue["items"][0]["id"] == sent["id"] and queue["next"] is None
    assert "cccd" not in queue["items"][0] and queue["items"][0]["cccd_masked"].startswith(cccd[:3])
    assert api.call("GET", "/api/v1/review/digital", api.token("rev-api-other")).json["total"] == 0
    path = f"/api/v1/digital/attainments/{sent['id']}/review"
    assert api.call("POST", path, api.token("rev-api-other"),
                    json={"action": "verify", "level": 2, "version": 1}).status_code == 404
    assert api.call("POST", path, api.token("centre-api"),
                    json={"action": "verify", "level": 2, "version": 1}).status_code == 404
    assert api.call("POST", path, reviewer, json={"action": "verify", "version": 1}).json["error"]["field_codes"] \
        == {"level": "required"}
    assert api.call("POST", path, reviewer, json={"action": "approve", "level": 2, "version": 1}).status_code == 422
    done = api.call("POST", path, reviewer, json={"action": "verify", "level": 2, "version": 1})
    assert done.status_code == 200 and (done.json["state"], done.json["counts"]) == ("verified", True)
    assert api.call("POST", path, reviewer, json={"action": "verify", "level": 2, "version": 1}).status_code == 409
    # A learning centre records through the API too; a citizen may not.
    body = {"cccd": cccd, "achieved_on": today().isoformat(), "level": 1, "centre": "TTHTCĐ Ba Đình",
            "reference": "A-7"}
    assert api.call("POST", "/api/v1/digital/assessments", citizen, json=body).status_code == 403
    made = api.call("POST", "/api/v1/digital/assessments", api.token("centre-api"), json=body)
    assert made.status_code == 201 and made.json["state"] == "pending"
    bad = api.call("POST", "/api/v1/digital/assessments", api.token("centre-api"), json={**body, "level": 9})
    assert bad.status_code == 422 and bad.json["error"]["field_codes"] == {"level": "out_of_range"}
    # The reviewer corrects it to "level 1 not reached": verified, and it does not count.
    corrected = api.call("POST", f"/api/v1/digital/attainments/{made.json['id']}/review", reviewer,
                         json={"action": "verify", "level": 0, "version": 1})
    assert (corrected.json["state"], corrected.json["level"], corrected.json["counts"]) == ("verified", 0, False)
    # A reviewer who is the citizen never sees their own record in the list.
    make_staff(session, "ward_reviewer", username="rev-own", cccd=cccd)
    again = api.call("POST", "/api/v1/me/digital/certificates", citizen, content_type="multipart/form-data", data={
        "course": "Khóa 2", "issuer": "Trường Y", "achieved_on": today().isoformat(),
        "evidence": (io.BytesIO(png((9, 9, 9))), "cc2.png")})
    assert again.status_code == 201
    assert api.call("GET", "/api/v1/review/digital", reviewer).json["total"] == 1
    assert api.call("GET", "/api/v1/review/digital", api.token("rev-own")).json["total"] == 0
    assert counters.check(session) == []


def test_a_self_assessment_is_kept_shown_and_never_counted_or_queued(web: Flask, api, session: Session) -> None:
    _, cccd = make_citizen(session)
    make_staff(session, "ward_reviewer", username="rev-self")
    citizen = signed_in(web, cccd)
    form = text(citizen.get("/citizen/digital/self-assessment"))
    levels = {f"area-{code}": str(n) for code, n in zip("123456", (2, 1, 0, 3, 1, 2), strict=True)}
    partial = citizen.post("/citizen/digital/self-assessment", data={
        "csrf_token": csrf(form), **{k: v for k, v in levels.items() if k != "area-3"}})
    assert partial.status_code == 422 and 'href="#area-3"' in text(partial)
    assert '<option value="3" selected>' in text(partial)  # the other choices are kept
    assert citizen.post("/citizen/digital/self-assessment", data={
        "csrf_token": csrf(form), **levels}).status_code == 302
    record = session.exec(select(DigitalAttainment)).one()
    assert (record.kind, record.state, record.counts) == ("self_assessment", "pending", False)
    assert record.areas == {"1": 2, "2": 1, "3": 0, "4": 3, "5": 1, "6": 2}
    assert holders(session) == 0
    mine = text(citizen.get("/citizen/digital"))
    assert "Không: bản tự đánh giá chỉ dành cho bạn" in mine and "Chờ xác nhận" not in mine
    again = text(citizen.get("/citizen/digital/self-assessment"))
    assert again.count("selected>") == 6  # the form shows the last answers again
    reviewer = signed_in(web, "rev-self")
    assert "Không có kết quả nào đang chờ xác nhận." in text(reviewer.get("/reviewer/digital"))
    assert 'id="digital-waiting"' not in text(reviewer.get("/reviewer/"))

    token_ = api.token(cccd)
    body = {"areas": {"1": 2, "2": 2, "3": 2, "4": 2, "5": 2, "6": 2}}
    made = api.call("POST", "/api/v1/me/digital/self-assessments", token_, json=body)
    assert made.status_code == 201 and made.json["kind"] == "self_assessment" and made.json["counts"] is False
    for areas, codes in (({**body["areas"], "2": 9}, {"areas.2": "out_of_range"}),
                         ({**body["areas"], "9": 1}, {"areas.9": "unknown_area"}),
                         ({"1": 1}, {f"areas.{n}": "required" for n in "23456"})):
        bad = api.call("POST", "/api/v1/me/digital/self-assessments", token_, json={"areas": areas})
        assert bad.status_code == 422 and bad.json["error"]["field_codes"] == codes
    assert api.call("POST", "/api/v1/me/digital/self-assessments", api.token("rev-self"),
                    json=body).status_code == 404


def test_learning_centre_staff_see_no_decision_of_their_ward(api, session: Session) -> None:
    make_staff(session, "ward_reviewer", username="rev-DC1")
    make_staff(session, "ward_chair", username="chair-DC1")
    make_staff(session, "centre_staff", username="centre-dc")
    _aid, decision = api.recognised(citizen_data(), "DC1")
    path = f"/api/v1/decisions/{decision['id']}"
    assert api.call("GET", path, api.token("chair-DC1")).status_code == 200
    assert api.call("GET", path, api.token("centre-dc")).status_code == 404
    assert api.call("POST", f"{path}/retry", api.token("centre-dc")).status_code in (403, 404)
