"""Builders of real rows through the domain's own use cases (no shortcuts that skip the rules)."""

import io
import itertools
import json
import re
from typing import Any

from sqlmodel import Session

from workflows import accounts, applications
from workflows.actors import Actor
from workflows.criteria import DATA as CRITERIA_FILES
from workflows.inputs import ActivityInput, ApplicationInput, SelfAssessmentInput, parse
from workflows.models import User
from workflows.registration import actor_for, register_citizen

PASSWORD = "test-password-1"
CODES = [i["code"] for i in json.loads((CRITERIA_FILES / "qd-324-khvn-2023.json").read_text())["indicators"]]
_serial = itertools.count(1)


def cccd_for(year: int = 1990, female: bool = False) -> str:
    """A structurally valid CCCD for a birth year, unique within the run."""
    century = (year // 100 - 19) * 2 + (1 if female else 0)
    return f"001{century}{year % 100:02d}{next(_serial):06d}"


def citizen_data(ward: str = "00004", year: int = 1990, **overrides: Any) -> dict[str, Any]:
    """A valid registration body."""
    data = {"cccd": cccd_for(year), "full_name": "Nguyễn Văn An", "date_of_birth": f"{year}-05-17", "sex": "male",
            "ward_code": ward, "target_group": "resident", "password": PASSWORD, "consent": True}
    data.update(overrides)
    return data


def make_citizen(session: Session, ward: str = "00004", **overrides: Any) -> tuple[Actor, str]:
    """Register a citizen; return their actor and username (the CCCD)."""
    data = citizen_data(ward, **overrides)
    citizen = register_citizen(session, data)
    user = session.get(User, citizen.user_id)
    assert user is not None
    session.commit()
    return actor_for(session, user), data["cccd"]


def make_staff(session: Session, role: str, ward: str | None = "00004", username: str | None = None,
               cccd: str | None = None) -> Actor:
    """Create a staff account; return its actor."""
    user = accounts.create_user(session, username=username or f"{role}-{next(_serial)}", password=PASSWORD,
                                role=role, ward_code=ward, cccd=cccd)
    session.commit()
    return actor_for(session, user)


def scores(value: int = 9, **special: int) -> dict[str, int]:
    """Ten scores, all `value` unless named (use I_1=4 for 'I.1')."""
    result = dict.fromkeys(CODES, value)
    for key, v in special.items():
        result[key.replace("_", ".")] = v
    return result


def submitted_application(session: Session, citizen: Actor, year: int = 2026, value: int = 9) -> str:
    """Open, fill and submit an application; return its id."""
    app = applications.open_application(session, citizen, parse(ApplicationInput, {"year": year}))
    activity = parse(ActivityInput, {"title": "Lớp tin học cơ bản", "kind": "course", "hours": 20,
                                     "started_on": f"{year}-03-01"})
    applications.add_activity(session, citizen, app.id, activity)
    applications.set_self_assessment(session, citizen, app.id, parse(SelfAssessmentInput, {"scores": scores(value)}))
    applications.submit(session, citizen, app.id)
    session.commit()
    return app.id


def sample_certificate() -> Any:
    """What a real Ba Đình certificate prints (for tests of certificates/)."""
    from datetime import date

    from certificates import CertificateData

    return CertificateData(
        code="7K3QW-M9TXA", register_number="HN-00004-2025-000001", title="Công dân học tập", year=2025,
        holder_name="Lê Hoàng Yến", date_of_birth=date(1990, 3, 7), residence="phường Ba Đình, thành phố Hà Nội",
        issuer_name="PHƯỜNG BA ĐÌNH", issuer_display="phường Ba Đình", decision_number="125/QĐ-UBND",
        decision_date=date(2025, 7, 30), place="Ba Đình", signed_on=date(2025, 8, 4), signer_title="CHỦ TỊCH",
        signer_name="Nguyễn Văn Thắng", verify_url="https://cdht.example.vn/xac-thuc/7K3QW-M9TXA",
        honorific="Bà", authority="Ủy ban nhân dân phường Ba Đình", signing_line="TM. ỦY BAN NHÂN DÂN",
    )


def csrf(html: str) -> str:
    """The CSRF token of a page's form."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def signed_in(app: Any, username: str) -> Any:
    """A test client of the app, signed in through the login page."""
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    rv = client.post("/login", data={"csrf_token": csrf(page), "username": username, "password": PASSWORD})
    assert rv.status_code == 302, rv.get_data(as_text=True)
    return client


def issued_certificate(api: Any, session: Session, app: Any, number: str, full_name: str) -> Any:
    """A certificate issued the real way: API decision, then the render task run directly in this app."""
    from sqlmodel import select

    from workflows.models import Certificate

    make_staff(session, "ward_reviewer", username=f"rev-{number}")
    make_staff(session, "ward_chair", username=f"chair-{number}")
    _aid, decision = api.recognised(citizen_data(full_name=full_name), number)
    cert_id = session.exec(select(Certificate.id).where(Certificate.code == decision["certificates"][0]["code"])).one()
    assert app.extensions["celery"].tasks["cdht.render_certificate"](cert_id) == "issued"
    session.expire_all()
    cert = session.get(Certificate, cert_id)
    assert cert is not None and cert.status == "issued"
    return cert


def png(colour: tuple[int, int, int]) -> bytes:
    """A tiny PNG of one colour: evidence the upload check accepts."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), colour).save(buffer, format="PNG")
    return buffer.getvalue()


def pdf_bytes() -> bytes:
    """A two-page PDF certificate of a course (reportlab, of the `test` extra): evidence the upload check accepts."""
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    sheet = canvas.Canvas(out)
    sheet.drawString(72, 760, "Giay chung nhan hoan thanh khoa hoc")
    sheet.showPage()
    sheet.drawString(72, 760, "Trang 2")
    sheet.save()
    return out.getvalue()
