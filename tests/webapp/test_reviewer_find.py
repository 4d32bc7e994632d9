"""A ward official opens the application of the person at the counter by their CCCD number or their receipt's
reference (POST: never in an address), only in their own ward; the queue tells namesakes apart by birth year."""

from factories import PASSWORD, csrf, make_staff, signed_in
from sqlmodel import Session, select

from workflows import references
from workflows.demo_ward import PEOPLE
from workflows.models import Application, Citizen


def _demo(app) -> None:
    assert app.test_cli_runner().invoke(args=["demo", "--password", PASSWORD]).exit_code == 0


def _find(client, number: str):
    page = client.get("/reviewer/?state=").get_data(as_text=True)
    return client.post("/reviewer/find", data={"csrf_token": csrf(page), "number": number})


def test_find_by_identity_number_or_reference(web, session: Session, sent) -> None:
    _demo(web)
    reviewer = signed_in(web, "reviewer00004")
    person = PEOPLE[4]  # submitted
    app = session.exec(select(Application).join(Citizen, Citizen.id == Application.citizen_id)
                       .where(Citizen.cccd == person.cccd)).one()
    spaced = f"{person.cccd[:3]} {person.cccd[3:6]} {person.cccd[6:]}"
    found = _find(reviewer, spaced)
    assert found.status_code == 302 and found.headers["Location"].endswith(f"/reviewer/applications/{app.id}")
    by_reference = _find(reviewer, references.shown(app.reference).lower())
    assert by_reference.headers["Location"].endswith(f"/reviewer/applications/{app.id}")
    assert reviewer.get("/reviewer/find").status_code == 405  # never a GET: the number stays out of addresses
    drafted = _find(reviewer, PEOPLE[10].cccd)  # a draft is not the ward's to see
    assert "/reviewer/applications/" not in drafted.headers["Location"]


def test_another_ward_finds_nothing(web, session: Session, sent) -> None:
    _demo(web)
    make_staff(session, "ward_reviewer", ward="00070", username="rev-hk")
    other = signed_in(web, "rev-hk")
    missed = _find(other, PEOPLE[4].cccd)
    assert missed.status_code == 302 and "/reviewer/applications/" not in missed.headers["Location"]
    page = other.get(missed.headers["Location"]).get_data(as_text=True)
    assert "Không có hồ sơ nào" in page and PEOPLE[4].cccd not in page


def test_the_queue_tells_namesakes_apart(web, session: Session, sent) -> None:
    _demo(web)
    queue = signed_in(web, "reviewer00004").get("/reviewer/?state=submitted").get_data(as_text=True)
    assert "sinh năm 1988 · Tổ dân phố 5" in queue and "sinh năm 1995 · Tổ dân phố 2" in queue
