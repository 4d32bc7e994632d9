"""Least privilege: ward staff see a citizen's application and its evidence only once the citizen has submitted it."""

from io import BytesIO

from factories import PASSWORD, citizen_data, make_staff, png, scores, signed_in
from flask import Flask
from sqlmodel import Session, select

from workflows.models import Activity


def test_a_draft_and_its_evidence_are_the_citizens_own_until_submitted(api, web: Flask, session: Session) -> None:
    data = citizen_data()
    assert api.call("POST", "/api/v1/citizens", json=data).status_code == 201
    me = api.token(data["cccd"], PASSWORD)
    aid = api.call("POST", "/api/v1/applications", me, json={"year": 2026}).json["id"]
    activity = {"title": "Lớp tin học", "kind": "course", "hours": "10", "started_on": "2026-02-01"}
    rv = api.call("POST", f"/api/v1/applications/{aid}/activities", me,
                  data=activity | {"evidence": (BytesIO(png((20, 120, 60))), "bang-chung.png")})
    assert rv.status_code == 201, rv.json
    activity_id = session.exec(select(Activity.id).where(Activity.application_id == aid)).one()
    make_staff(session, "ward_reviewer", username="rev-draft")
    reviewer = api.token("rev-draft")
    page = signed_in(web, "rev-draft")
    evidence = f"/reviewer/applications/{aid}/evidence/{activity_id}"
    # A draft: not found for the ward's reviewer, by the API, the page or the evidence link.
    assert api.call("GET", f"/api/v1/applications/{aid}", reviewer).status_code == 404
    assert page.get(f"/reviewer/applications/{aid}").status_code == 404
    assert page.get(evidence).status_code == 404
    assert api.call("GET", f"/api/v1/applications/{aid}", me).status_code == 200  # the owner's own
    assert api.call("PUT", f"/api/v1/applications/{aid}/self-assessment", me,
                    json={"scores": scores(9)}).status_code == 200
    assert api.call("POST", f"/api/v1/applications/{aid}/submit", me).status_code == 200
    # Submitted: the reviewer's to review.
    assert api.call("GET", f"/api/v1/applications/{aid}", reviewer).status_code == 200
    assert page.get(f"/reviewer/applications/{aid}").status_code == 200
    assert page.get(evidence).status_code == 200
