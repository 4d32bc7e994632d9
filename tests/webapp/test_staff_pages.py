"""A city administrator lists, creates, disables and enables staff accounts; the new holder chooses a password with
the activation code; ward staff must be given their own CCCD; a disabled account is signed out everywhere."""

import re

from factories import cccd_for, csrf, make_staff, signed_in
from sqlmodel import Session, select

from workflows.models import AuditEvent, User


def test_create_activate_disable_enable(web, session: Session) -> None:
    make_staff(session, "city_admin", ward=None, username="admin-staff")
    admin = signed_in(web, "admin-staff")
    form = admin.get("/admin/staff/new").get_data(as_text=True)
    missing = admin.post("/admin/staff/new", data={"csrf_token": csrf(form), "username": "rev.badinh.lan",
                                                   "display_name": "Trần Thị Lan", "role": "ward_reviewer",
                                                   "ward": "00004"})
    assert missing.status_code == 422 and 'href="#cccd"' in missing.get_data(as_text=True)
    made = admin.post("/admin/staff/new", data={"csrf_token": csrf(form), "username": "rev.badinh.lan",
                                                "display_name": "Trần Thị Lan", "role": "ward_reviewer",
                                                "ward": "00004", "cccd": cccd_for(1988, female=True)})
    assert made.status_code == 200 and made.headers["Cache-Control"] == "no-store"
    code = re.search(r'class="activation-code"><strong>([^<]+)<', made.get_data(as_text=True)).group(1)
    listing = admin.get("/admin/staff?ward=00004").get_data(as_text=True)
    assert "rev.badinh.lan" in listing and "Trần Thị Lan" in listing

    person = web.test_client()
    page = person.get("/activate").get_data(as_text=True)
    done = person.post("/activate", data={"csrf_token": csrf(page), "cccd": "rev.badinh.lan", "code": code,
                                          "password": "mat-khau-can-bo"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/reviewer/")
    assert person.get("/reviewer/").status_code == 200

    user = session.exec(select(User).where(User.username == "rev.badinh.lan")).one()
    off = admin.post(f"/admin/staff/{user.id}/active", data={"csrf_token": csrf(listing), "active": "no"})
    assert off.status_code == 302
    assert person.get("/reviewer/").status_code in (302, 401)  # signed out everywhere
    page = person.get("/login").get_data(as_text=True)
    assert person.post("/login", data={"csrf_token": csrf(page), "username": "rev.badinh.lan",
                                       "password": "mat-khau-can-bo"}).status_code == 401
    on = admin.post(f"/admin/staff/{user.id}/active", data={"csrf_token": csrf(listing), "active": "yes"})
    assert on.status_code == 302
    page = person.get("/login").get_data(as_text=True)
    assert person.post("/login", data={"csrf_token": csrf(page), "username": "rev.badinh.lan",
                                       "password": "mat-khau-can-bo"}).status_code == 302
    changes = session.exec(select(AuditEvent.detail).where(AuditEvent.entity_id == user.id,
                                                           AuditEvent.event == "change")).all()
    assert [d["change"] for d in changes] == ["disabled", "enabled"]


def test_only_city_administrators_manage_staff(web, session: Session) -> None:
    make_staff(session, "ward_chair", username="chair-staff")
    chair = signed_in(web, "chair-staff")
    assert chair.get("/admin/staff").status_code in (403, 404)
    me = make_staff(session, "city_admin", ward=None, username="admin-self")
    admin = signed_in(web, "admin-self")
    page = admin.get("/admin/staff").get_data(as_text=True)
    assert f"/admin/staff/{me.user_id}/active" not in page  # no button to disable oneself
    refused = admin.post(f"/admin/staff/{me.user_id}/active", data={"csrf_token": csrf(page), "active": "no"})
    assert refused.status_code == 302
    assert session.get(User, me.user_id).active
