"""Help, contact, privacy and accessibility pages linked from every page; staff see their ward in the header; the
receipt gives a reference a person can read out, says what comes next for the state, and shows what happened."""

import re

import pytest
from factories import make_citizen, make_staff, scores, signed_in, submitted_application
from sqlmodel import Session, select

from workflows import references, review
from workflows.inputs import ReviewInput, parse
from workflows.models import Application, Citizen


@pytest.mark.parametrize("page", ["help", "contact", "privacy", "accessibility"])
def test_info_pages_in_both_languages(client, page: str) -> None:
    vi = client.get(f"/{page}")
    assert vi.status_code == 200
    html = vi.get_data(as_text=True)
    for link in ("/help", "/contact", "/privacy", "/accessibility"):
        assert f'href="{link}"' in html  # the footer links every one of them
    en = client.get(f"/{page}?lang=en").get_data(as_text=True)
    assert re.search(r"<h1>(.*?)</h1>", html).group(1) != re.search(r"<h1>(.*?)</h1>", en).group(1)


def test_privacy_names_the_law(client) -> None:
    assert "91/2025/QH15" in client.get("/privacy").get_data(as_text=True)


def test_staff_see_their_ward_in_the_header_citizens_do_not(web, session: Session) -> None:
    make_staff(session, "ward_reviewer", username="rev-header")
    page = signed_in(web, "rev-header").get("/reviewer/").get_data(as_text=True)
    assert re.search(r'class="header-ward"> · Phường Ba Đình<', page)
    _actor, username = make_citizen(session)
    home = signed_in(web, username).get("/citizen/").get_data(as_text=True)
    assert "header-ward" not in home


def test_references_have_no_look_alikes_and_read_back() -> None:
    made = {references.new_reference() for _ in range(2000)}
    assert len(made) == 2000
    assert all(len(r) == 8 and not set(r) & set("0O1IL2Z5S8BU") for r in made)
    one = next(iter(made))
    shown = references.shown(one)
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}", shown)
    assert references.normalise(f" {shown.lower()} ") == one
    assert references.normalise("ABCD-EFG0") is None


def test_receipt_reference_next_step_and_timeline(web, session: Session) -> None:
    citizen, username = make_citizen(session)
    app_id = submitted_application(session, citizen)
    app = session.get(Application, app_id)
    assert app.reference and references.normalise(app.reference) == app.reference
    client = signed_in(web, username)
    receipt = client.get(f"/citizen/applications/{app_id}/submitted").get_data(as_text=True)
    assert f'class="reference">{references.shown(app.reference)}<' in receipt
    assert receipt.count('class="timeline-step"') == 2  # opened, submitted
    reviewer = make_staff(session, "ward_reviewer")
    review.review(session, reviewer, app_id, parse(ReviewInput, {
        "action": "reject", "version": app.version, "scores": scores(9, I_1=3),
        "comment": "Chỉ số I.1 dưới mức tối thiểu."}))
    session.commit()
    after = client.get(f"/citizen/applications/{app_id}/submitted").get_data(as_text=True)
    assert after.count('class="timeline-step"') == 3
    assert "Chỉ số I.1 dưới mức tối thiểu." in after and "năm sau" in after  # the reason, and what comes next
    other, _ = make_citizen(session)
    theirs = submitted_application(session, other)
    assert client.get(f"/citizen/applications/{theirs}/submitted").status_code == 404
    assert session.exec(select(Application.reference).where(Application.id == theirs)).one() != app.reference


def test_home_says_whether_the_pass_rule_is_met_and_names_a_failing_indicator(web, session: Session) -> None:
    from workflows import applications
    from workflows.inputs import ApplicationInput, SelfAssessmentInput

    citizen, username = make_citizen(session)
    app = applications.open_application(session, citizen, parse(ApplicationInput, {"year": 2026}))
    applications.set_self_assessment(session, citizen, app.id, parse(SelfAssessmentInput, {"scores": scores(9)}))
    session.commit()
    client = signed_in(web, username)
    assert "Điểm tự đánh giá đạt điều kiện" in client.get("/citizen/").get_data(as_text=True)
    applications.set_self_assessment(session, citizen, app.id,
                                     parse(SelfAssessmentInput, {"scores": scores(9, I_2=3)}))
    session.commit()
    home = client.get("/citizen/").get_data(as_text=True)
    assert "Điểm tự đánh giá chưa đạt điều kiện" in home
    assert "chỉ số I.2" in home and "được 3 điểm" in home
    assert "tổng điểm là" not in home  # 84 is above the total the rule asks: only the indicator is named


def test_an_issued_certificate_can_be_shared_and_opened_to_print(web, session: Session, api) -> None:
    from factories import citizen_data, issued_certificate

    data = citizen_data(full_name="Trần Thị Bình")
    cert = issued_certificate(api, session, web, "21/QĐ-UBND", data["full_name"])
    client = signed_in(web, session.get(Citizen, cert.citizen_id).cccd)
    home = client.get("/citizen/").get_data(as_text=True)
    assert f'data-share="{web.extensions["cdht"].verify_url(cert.code)}"' in home
    opened = client.get(f"/citizen/certificates/{cert.code}.pdf?inline=1")
    assert opened.status_code == 200 and opened.headers["Content-Disposition"].startswith("inline")
    assert "object-src" not in opened.headers["Content-Security-Policy"]  # Chromium's viewer is an <embed>
    download = client.get(f"/citizen/certificates/{cert.code}.pdf")
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert "object-src 'none'" in client.get("/citizen/").headers["Content-Security-Policy"]
