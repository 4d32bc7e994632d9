"""STORAGE_URL=s3://: a real worker process issues certificates, the decision document and the batch ZIP into the
local S3 server, and the web app serves them and the evidence it took from there; with the server down, downloads
answer 503 and readiness names the storage. Runs on S3 whatever CDHT_TEST_STORAGE says, on both runtimes."""

import hashlib
import io
import time
import uuid
import zipfile
from collections.abc import Iterator
from typing import Any

import pytest
from closing import close_app
from conftest import Api
from factories import PASSWORD, citizen_data, make_staff, pdf_bytes, png, scores, signed_in
from flask import Flask
from processes import start_worker, stop_worker
from sqlmodel import Session, select

from certificates import S3Storage, offline
from webapp import create_app
from webapp.config import from_env
from workflows.models import Activity

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def s3_env(runtime_env: dict[str, str], s3_server: Any) -> dict[str, str]:
    """This run's environment, storing under a prefix of its own in the local S3 server's bucket."""
    return runtime_env | s3_server.env(f"it-{uuid.uuid4().hex[:8]}")


@pytest.fixture(scope="module")
def s3_app(app: Flask, s3_env: dict[str, str]) -> Iterator[Flask]:
    """The app on this run's (migrated, seeded) database with its documents on S3."""
    application = create_app(from_env(s3_env))
    application.config["TESTING"] = True
    assert isinstance(application.extensions["cdht"].storage, S3Storage)
    yield application
    close_app(application)


@pytest.fixture(scope="module")
def s3_worker(s3_env: dict[str, str], s3_app: Flask, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A real worker process with the same environment: its documents go to S3."""
    proc = start_worker(s3_env, tmp_path_factory.mktemp("s3-worker") / "worker.log", "s3")
    yield proc
    stop_worker(proc)


@pytest.fixture
def s3_api(s3_app: Flask) -> Api:
    """The API helper on the S3 app."""
    return Api(s3_app.test_client())


def _eventually(call: Any, seconds: float = 90) -> Any:
    """Call until the answer is 200; 409 means "being prepared"."""
    deadline = time.monotonic() + seconds
    while True:
        rv = call()
        if rv.status_code == 200:
            return rv
        assert rv.status_code == 409, (rv.status_code, rv.get_data(as_text=True)[:300])
        assert time.monotonic() < deadline, f"not ready in time: {rv.json}"
        time.sleep(0.5)


def test_a_worker_issues_into_s3_and_the_web_app_serves_it(s3_api: Api, s3_worker: Any, s3_server: Any,
                                                          s3_env: dict[str, str], session: Session) -> None:
    make_staff(session, "ward_reviewer", username="rev-31/QĐ-UBND")
    make_staff(session, "ward_chair", username="chair-31/QĐ-UBND")
    name = "Phạm Thu Hà"
    _aid, decision = s3_api.recognised(citizen_data(full_name=name), "31/QĐ-UBND")
    chair = s3_api.token("chair-31/QĐ-UBND")
    deadline = time.monotonic() + 90
    while (progress := s3_api.call("GET", f"/api/v1/decisions/{decision['id']}", chair).json)["issued"] < 1:
        assert progress["failed"] == 0 and time.monotonic() < deadline, progress
        time.sleep(0.5)
    code = decision["certificates"][0]["code"]
    pdf = s3_api.call("GET", f"/api/v1/certificates/{code}/pdf", chair)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert s3_api.call("GET", f"/api/v1/verify/{code}").json["valid"] is True  # signature and stored hash check out
    keys = offline.parse_keys(s3_api.call("GET", "/.well-known/cdht-keys.json").json)
    assert offline.verify(pdf.data, keys).valid

    # The object is in the bucket under the run's prefix, with its hash and type; nothing went to a folder.
    prefix = s3_env["STORAGE_URL"].removeprefix(f"s3://{s3_server.bucket}/")
    listed = s3_server.client().list_objects_v2(Bucket=s3_server.bucket, Prefix=f"{prefix}/")
    certificate_keys = [o["Key"] for o in listed.get("Contents", []) if o["Key"].endswith(f"{code}.pdf")]
    assert len(certificate_keys) == 1
    head = s3_server.client().head_object(Bucket=s3_server.bucket, Key=certificate_keys[0])
    assert head["Metadata"]["sha256"] == hashlib.sha256(pdf.data).hexdigest()
    assert head["ContentType"] == "application/pdf"

    # The decision document and the batch ZIP: written by the worker into S3, read back by the web app.
    document = _eventually(lambda: s3_api.call("GET", f"/api/v1/decisions/{decision['id']}/pdf", chair))
    assert document.data.startswith(b"%PDF")
    archive = _eventually(lambda: s3_api.call("GET", f"/api/v1/decisions/{decision['id']}/certificates.zip", chair))
    with zipfile.ZipFile(io.BytesIO(archive.data)) as zipped:
        assert [zipped.read(n) for n in zipped.namelist()] == [pdf.data]


def test_evidence_is_uploaded_to_s3_and_downloaded_from_it(s3_api: Api, s3_server: Any, session: Session) -> None:
    data = citizen_data()
    assert s3_api.call("POST", "/api/v1/citizens", json=data).status_code == 201
    me = s3_api.token(data["cccd"], PASSWORD)
    aid = s3_api.call("POST", "/api/v1/applications", me, json={"year": 2026}).json["id"]
    picture, document = png((200, 40, 40)), pdf_bytes()
    for title, file in (("Lớp tin học", (io.BytesIO(picture), "anh.png")),
                        ("Câu lạc bộ đọc sách", (io.BytesIO(document), "giay.pdf"))):
        rv = s3_api.call("POST", f"/api/v1/applications/{aid}/activities", me, data={
            "title": title, "kind": "course", "hours": "10", "started_on": "2026-02-01", "evidence": file})
        assert rv.status_code == 201, rv.json
    assert s3_api.call("PUT", f"/api/v1/applications/{aid}/self-assessment", me,
                       json={"scores": scores(9)}).status_code == 200
    assert s3_api.call("POST", f"/api/v1/applications/{aid}/submit", me).status_code == 200
    activities = session.exec(select(Activity).where(Activity.application_id == aid)).all()
    assert {a.evidence_type for a in activities} == {"image/png", "application/pdf"}
    assert all(a.evidence_key and a.evidence_key.startswith(f"evidence/{aid}/") for a in activities)

    make_staff(session, "ward_reviewer", username="rev-s3")
    reviewer = signed_in(s3_api.client.application, "rev-s3")
    image = next(a for a in activities if a.evidence_type == "image/png")
    pdf = next(a for a in activities if a.evidence_type == "application/pdf")
    download = reviewer.get(f"/reviewer/applications/{aid}/evidence/{image.id}")
    assert download.status_code == 200 and download.data == picture
    preview = reviewer.get(f"/reviewer/applications/{aid}/evidence/{pdf.id}?view=preview")
    assert preview.status_code == 200 and preview.data.startswith(b"\x89PNG")  # drawn once and kept, in S3
    assert s3_server.client().head_object(Bucket=s3_server.bucket, Key=f"{_prefix(s3_api)}/previews/"
                                          f"{pdf.evidence_sha256}.png")["ContentType"] == "image/png"

    # The store goes away: the download is a 503 naming the outage, readiness names the storage; then it is back.
    s3_server.stop()
    try:
        down = reviewer.get(f"/reviewer/applications/{aid}/evidence/{image.id}")
        assert down.status_code == 503 and down.headers["Retry-After"] == "30"
        api_down = s3_api.call("GET", f"/api/v1/applications/{aid}", me)
        assert api_down.status_code == 200  # what needs no document still answers
        ready = s3_api.client.get("/readyz")
        assert ready.status_code == 503 and ready.json["checks"]["storage"] == "StorageError"
    finally:
        s3_server.start()
    assert reviewer.get(f"/reviewer/applications/{aid}/evidence/{image.id}").data == picture
    assert s3_api.client.get("/readyz").status_code == 200


def _prefix(api: Api) -> str:
    storage = api.client.application.extensions["cdht"].storage
    assert isinstance(storage, S3Storage)
    return storage.prefix
