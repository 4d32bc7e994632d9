"""A citizen changes and deletes logged activities, and replaces or takes off their evidence, while the application is
editable; each change is audited; another's activity is a 404, and a submitted application refuses them all."""

import io

from factories import csrf, make_citizen, png, signed_in, submitted_application
from sqlmodel import Session, select

from workflows import applications
from workflows.inputs import ActivityInput, ApplicationInput, parse
from workflows.models import Activity, AuditEvent

FORM = {"title": "Lớp tiếng Anh giao tiếp", "kind": "course", "hours": "30", "started_on-day": "2",
        "started_on-month": "3", "started_on-year": "2026", "provider": "Trung tâm học tập cộng đồng"}


def _draft(session: Session, app) -> tuple[object, str, str]:
    actor, username = make_citizen(session)
    draft = applications.open_application(session, actor, parse(ApplicationInput, {"year": 2026}))
    session.commit()
    client = signed_in(app, username)
    page = client.get(f"/citizen/applications/{draft.id}/activities/new").get_data(as_text=True)
    rv = client.post(f"/citizen/applications/{draft.id}/activities/new", data={
        **FORM, "csrf_token": csrf(page), "once": _once(page),
        "evidence": (io.BytesIO(png((200, 0, 0))), "lop-hoc.png")}, content_type="multipart/form-data")
    assert rv.status_code == 302, rv.get_data(as_text=True)
    activity_id = session.exec(select(Activity.id).where(Activity.application_id == draft.id)).one()
    return client, draft.id, activity_id


def _once(page: str) -> str:
    import re

    found = re.search(r'name="once" value="([^"]+)"', page)
    assert found
    return found.group(1)


def test_change_an_activity_and_replace_its_evidence(web, session: Session) -> None:
    client, app_id, activity_id = _draft(session, web)
    listing = client.get(f"/citizen/applications/{app_id}/activities").get_data(as_text=True)
    edit_url = f"/citizen/applications/{app_id}/activities/{activity_id}/edit"
    assert edit_url in listing and f"/activities/{activity_id}/delete" in listing
    form = client.get(edit_url).get_data(as_text=True)
    assert 'value="Lớp tiếng Anh giao tiếp"' in form and 'value="30"' in form and "lop-hoc.png" in form
    rv = client.post(edit_url, data={**FORM, "hours": "45", "csrf_token": csrf(form),
                                     "evidence": (io.BytesIO(png((0, 0, 200))), "chung-chi.png")},
                     content_type="multipart/form-data")
    assert rv.status_code == 302
    session.expire_all()
    activity = session.get(Activity, activity_id)
    assert activity.hours == 45 and activity.evidence_name == "chung-chi.png"
    served = client.get(f"/citizen/applications/{app_id}/evidence/{activity_id}")
    assert served.data == png((0, 0, 200))
    change = session.exec(select(AuditEvent).where(AuditEvent.entity_id == app_id, AuditEvent.event == "change")
                          .order_by(AuditEvent.id.desc())).first()
    assert change.detail["change"] == "activity_edited" and change.detail["fields"] == ["hours"]
    assert change.detail["replaced_sha256"] and change.detail["evidence_sha256"] != change.detail["replaced_sha256"]

    # A bad answer keeps the form and says what is wrong; nothing changes.
    bad = client.post(edit_url, data={**FORM, "hours": "0", "csrf_token": csrf(form)})
    assert bad.status_code == 422 and 'href="#hours"' in bad.get_data(as_text=True)
    session.expire_all()
    assert session.get(Activity, activity_id).hours == 45

    # Taking the evidence off.
    rv = client.post(edit_url, data={**FORM, "hours": "45", "remove_evidence": "yes", "csrf_token": csrf(form)})
    assert rv.status_code == 302
    session.expire_all()
    assert session.get(Activity, activity_id).evidence_key is None


def test_delete_asks_then_deletes(web, session: Session) -> None:
    client, app_id, activity_id = _draft(session, web)
    url = f"/citizen/applications/{app_id}/activities/{activity_id}/delete"
    ask = client.get(url)
    assert ask.status_code == 200 and "Lớp tiếng Anh giao tiếp" in ask.get_data(as_text=True)
    token = csrf(ask.get_data(as_text=True))
    assert client.post(url, data={"csrf_token": token}).status_code == 302  # not confirmed: kept
    assert session.get(Activity, activity_id) is not None
    assert client.post(url, data={"csrf_token": token, "confirm": "yes"}).status_code == 302
    session.expire_all()
    assert session.get(Activity, activity_id) is None
    audit = session.exec(select(AuditEvent).where(AuditEvent.entity_id == app_id, AuditEvent.event == "change")
                         .order_by(AuditEvent.id.desc())).first()
    assert audit.detail["change"] == "activity_deleted" and audit.detail["title"] == "Lớp tiếng Anh giao tiếp"


def test_another_citizens_activity_is_not_found_and_a_submitted_one_is_refused(web, session: Session) -> None:
    client, app_id, _activity_id = _draft(session, web)
    other, other_name = make_citizen(session)
    submitted = submitted_application(session, other)
    theirs = session.exec(select(Activity.id).where(Activity.application_id == submitted)).one()
    assert client.get(f"/citizen/applications/{app_id}/activities/{theirs}/edit").status_code == 404
    assert client.get(f"/citizen/applications/{submitted}/activities/{theirs}/edit").status_code == 404
    owner = signed_in(web, other_name)
    refused = owner.get(f"/citizen/applications/{submitted}/activities/{theirs}/edit")
    assert refused.status_code == 409
    page = owner.get(f"/citizen/applications/{submitted}/activities").get_data(as_text=True)
    assert "/edit" not in page and "/delete" not in page
    # The domain refuses too, whoever calls it.
    import pytest

    from workflows.errors import Conflict
    with pytest.raises(Conflict):
        applications.delete_activity(session, other, submitted, theirs)
    session.rollback()
    data = parse(ActivityInput, {"title": "x", "kind": "club", "hours": 1, "started_on": "2026-03-01"})
    with pytest.raises(Conflict):
        applications.update_activity(session, other, submitted, theirs, data)


def test_an_activity_remembered_by_its_month_only(web, session: Session) -> None:
    client, app_id, activity_id = _draft(session, web)
    edit_url = f"/citizen/applications/{app_id}/activities/{activity_id}/edit"
    form = client.get(edit_url).get_data(as_text=True)
    rv = client.post(edit_url, data={**FORM, "started_on-day": "", "csrf_token": csrf(form)})
    assert rv.status_code == 302
    session.expire_all()
    activity = session.get(Activity, activity_id)
    assert (activity.started_on.isoformat(), activity.started_day_known) == ("2026-03-01", False)
    listing = client.get(f"/citizen/applications/{app_id}/activities").get_data(as_text=True)
    assert "03/2026" in listing and "01/03/2026" not in listing
    again = client.get(edit_url).get_data(as_text=True)
    assert 'id="started_on-day" name="started_on-day" value=""' in again  # the day stays unknown
    # A month alone is not enough: the year must come with it.
    bad = client.post(edit_url, data={**FORM, "started_on-day": "", "started_on-year": "", "csrf_token": csrf(form)})
    assert bad.status_code == 422
