"""The reviewer sees evidence in the page: an image as it is, a PDF's first page drawn once as a PNG and kept; the
download keeps its extension; another ward's official gets a 404."""

import io
import re

from factories import csrf, make_citizen, make_staff, pdf_bytes, scores, signed_in
from PIL import Image
from sqlmodel import Session, select

from workflows import applications
from workflows.inputs import ApplicationInput, SelfAssessmentInput, parse
from workflows.models import Activity


def _submitted_with(web, session: Session, data: bytes, name: str) -> tuple[str, str]:
    actor, username = make_citizen(session)
    draft = applications.open_application(session, actor, parse(ApplicationInput, {"year": 2026}))
    session.commit()
    client = signed_in(web, username)
    page = client.get(f"/citizen/applications/{draft.id}/activities/new").get_data(as_text=True)
    once = re.search(r'name="once" value="([^"]+)"', page).group(1)
    rv = client.post(f"/citizen/applications/{draft.id}/activities/new", data={
        "title": "Lớp kỹ năng số", "kind": "course", "hours": "20", "started_on-day": "2", "started_on-month": "3",
        "started_on-year": "2026", "csrf_token": csrf(page), "once": once, "evidence": (io.BytesIO(data), name)},
        content_type="multipart/form-data")
    assert rv.status_code == 302, rv.get_data(as_text=True)
    applications.set_self_assessment(session, actor, draft.id, parse(SelfAssessmentInput, {"scores": scores(9)}))
    applications.submit(session, actor, draft.id)
    session.commit()
    return draft.id, session.exec(select(Activity.id).where(Activity.application_id == draft.id)).one()


def test_a_pdf_shows_its_first_page_and_an_image_itself(web, session: Session) -> None:
    app_id, activity_id = _submitted_with(web, session, pdf_bytes(), "chung-chi.pdf")
    make_staff(session, "ward_reviewer", username="rev-preview")
    reviewer = signed_in(web, "rev-preview")
    page = reviewer.get(f"/reviewer/applications/{app_id}").get_data(as_text=True)
    preview_url = f"/reviewer/applications/{app_id}/evidence/{activity_id}?view=preview"
    assert f'src="{preview_url}"' in page and "Trang đầu" in page
    shown = reviewer.get(preview_url)
    assert shown.status_code == 200 and shown.mimetype == "image/png"
    assert shown.headers["Content-Disposition"] == "inline"
    image = Image.open(io.BytesIO(shown.data))
    assert 800 <= image.size[0] <= 1000 and image.size[1] > image.size[0]  # a portrait page, about 900 wide
    assert reviewer.get(preview_url).data == shown.data  # kept, not drawn again
    download = reviewer.get(f"/reviewer/applications/{app_id}/evidence/{activity_id}")
    assert download.headers["Content-Disposition"].endswith('.pdf"') and download.data.startswith(b"%PDF")

    make_staff(session, "ward_reviewer", ward="00070", username="rev-elsewhere")
    assert signed_in(web, "rev-elsewhere").get(preview_url).status_code == 404


def test_an_image_is_shown_as_it_is(web, session: Session) -> None:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 120, 60)).save(out, format="PNG")
    app_id, activity_id = _submitted_with(web, session, out.getvalue(), "anh.png")
    make_staff(session, "ward_reviewer", username="rev-image")
    shown = signed_in(web, "rev-image").get(f"/reviewer/applications/{app_id}/evidence/{activity_id}?view=preview")
    assert shown.mimetype == "image/png" and Image.open(io.BytesIO(shown.data)).size == (40, 30)
