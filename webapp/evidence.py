"""Evidence files: checked by their content (not their name), images re-encoded, PDFs rewritten without scripts,
size-limited, stored write-once."""

import contextlib
import hashlib
import io

import pikepdf
from flask import Response
from PIL import Image
from sqlmodel import Session
from werkzeug.datastructures import FileStorage as Upload

from certificates import StorageConflict
from workflows.access import visible_application
from workflows.actors import Actor
from workflows.applications import Evidence
from workflows.digital import verification
from workflows.errors import Invalid, NotFound
from workflows.models import Activity

from . import pdf_sanitiser
from .runtime import runtime
from .uploads import MAX_BYTES

MAX_PIXELS = 40_000_000  # a 40-megapixel photo is plenty; larger claims are refused before decoding
SIGNATURES = ((b"%PDF-", "application/pdf", "pdf"), (b"\xff\xd8\xff", "image/jpeg", "jpg"),
              (b"\x89PNG\r\n\x1a\n", "image/png", "png"))
EXTENSIONS = {content_type: ext for _magic, content_type, ext in SIGNATURES}


def _kind(data: bytes) -> tuple[str, str]:
    for magic, content_type, ext in SIGNATURES:
        if data.startswith(magic):
            return content_type, ext
    raise Invalid(fields={"evidence": "file_type"})


def _checked_pdf(data: bytes) -> bytes:
    """The PDF rewritten without scripts, active actions or embedded files (webapp.pdf_sanitiser)."""
    try:
        return pdf_sanitiser.sanitised(data)
    except pdf_sanitiser.NoPages as exc:
        raise Invalid(fields={"evidence": "file_damaged"}) from exc
    except pdf_sanitiser.TooManyPages as exc:
        raise Invalid(fields={"evidence": "too_many_pages"}, max_pages=pdf_sanitiser.MAX_PAGES) from exc


def _reencoded_image(data: bytes, fmt: str) -> bytes:
    """Decode and encode the picture again, so only pixels are kept (no trailing script, no metadata)."""
    with Image.open(io.BytesIO(data)) as probe:
        if probe.width * probe.height > MAX_PIXELS:
            raise Invalid(fields={"evidence": "file_too_large"})
    out = io.BytesIO()
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        pixels = image.convert("RGB") if fmt == "JPEG" and image.mode not in ("RGB", "L") else image
        pixels.save(out, fmt)
    return out.getvalue()


def _clean_content(data: bytes, content_type: str) -> bytes:
    """Open the file with a real parser; images come back re-encoded."""
    try:
        if content_type == "application/pdf":
            return _checked_pdf(data)
        return _reencoded_image(data, "PNG" if content_type == "image/png" else "JPEG")
    except pikepdf.PasswordError as exc:
        raise Invalid(fields={"evidence": "file_encrypted"}) from exc
    except Invalid:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow refuses (or, with warnings as errors, warns of) a size far beyond ours: the same answer as our cap.
        raise Invalid(fields={"evidence": "file_too_large"}) from exc
    except Exception as exc:
        raise Invalid(fields={"evidence": "file_damaged"}) from exc


def checked_evidence(upload: Upload | None, folder: str) -> tuple[Evidence, bytes] | None:
    """Read and check an uploaded file by its content, to be kept under `folder`; None when no file was chosen."""
    if upload is None or not upload.filename:
        return None
    data = upload.stream.read(MAX_BYTES + 1)
    if not data:
        raise Invalid(fields={"evidence": "file_empty"})
    if len(data) > MAX_BYTES:
        raise Invalid(fields={"evidence": "file_too_large"})
    content_type, ext = _kind(data)
    data = _clean_content(data, content_type)
    sha256 = hashlib.sha256(data).hexdigest()
    name = "".join(ch for ch in upload.filename if ch.isprintable())[-200:]
    key = f"{folder}/{sha256}.{ext}"
    return Evidence(key=key, name=name, content_type=content_type, sha256=sha256), data


def save_evidence(evidence: Evidence, data: bytes) -> None:
    """Store checked evidence write-once (the same file twice is one object)."""
    runtime().storage.put(evidence.key, data)


def application_folder(application_id: str) -> str:
    """Where an application's evidence files are kept."""
    return f"evidence/{application_id}"


def digital_folder(citizen_id: str) -> str:
    """Where a citizen's certificates of digital-skills courses are kept."""
    return f"digital/{citizen_id}"


IMAGES = ("image/jpeg", "image/png")
PREVIEW_WIDTH = 900  # pixels: a page read on a phone or beside the scores


def evidence_response(session: Session, actor: Actor, application_id: str, activity_id: str,
                      view: str = "download") -> Response:
    """Serve an activity's evidence to someone who may see the application (owner, its ward's staff, admin): as a
    download keeping its extension, or to look at in the page (`view="preview"`: an image as it is, a PDF's first
    page as a PNG drawn once and kept)."""
    visible_application(session, actor, application_id)
    activity = session.get(Activity, activity_id)
    if activity is None or activity.application_id != application_id or activity.evidence_key is None:
        raise NotFound()
    if view == "preview":
        return _preview(activity)
    return _file_response(activity.evidence_key, activity.evidence_type, f"minh-chung-{activity.id}")


def _preview(activity: Activity) -> Response:
    """An image to show in the page: the evidence itself when it is one, its first page for a PDF."""
    storage = runtime().storage
    assert activity.evidence_key is not None
    if activity.evidence_type in IMAGES:
        data, mimetype = storage.get(activity.evidence_key), activity.evidence_type
    elif activity.evidence_type == "application/pdf":
        key = f"previews/{activity.evidence_sha256}.png"  # the same file gives the same preview: drawn once
        if storage.exists(key):
            data = storage.get(key)
        else:
            data = first_page_png(storage.get(activity.evidence_key))
            with contextlib.suppress(StorageConflict):  # drawn by another request meanwhile: the same bytes
                storage.put(key, data)
        mimetype = "image/png"
    else:
        raise NotFound()
    return Response(data, mimetype=mimetype, headers={"Content-Disposition": "inline",
                                                      "Cache-Control": "private, no-store"})


def first_page_png(pdf: bytes) -> bytes:
    """The first page of a (checked) PDF drawn as a PNG about PREVIEW_WIDTH wide (PDFium, imported only here: the
    web process loads it the first time a preview is asked for)."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(pdf)
    try:
        page = document[0]
        width, _height = page.get_size()
        image = page.render(scale=min(2.0, PREVIEW_WIDTH / max(width, 1.0))).to_pil()
        page.close()
    finally:
        document.close()
    out = io.BytesIO()
    image.convert("RGB").save(out, format="PNG", optimize=True)
    return out.getvalue()


def attainment_evidence_response(session: Session, actor: Actor, attainment_id: str) -> Response:
    """Serve a certificate's file to its holder, its ward's officials or an administrator."""
    attainment = verification.visible(session, actor, attainment_id)
    if attainment.evidence_key is None:
        raise NotFound()
    ext = attainment.evidence_key.rsplit(".", 1)[-1]
    content_type = next((t for t, e in EXTENSIONS.items() if e == ext), None)
    return _file_response(attainment.evidence_key, content_type, f"chung-chi-{attainment.id}")


def _file_response(key: str, content_type: str | None, stem: str) -> Response:
    data = runtime().storage.get(key)
    content_type = content_type or "application/octet-stream"
    # The extension of the checked type, so a phone knows which viewer opens the download.
    name = f"{stem}.{EXTENSIONS.get(content_type, 'bin')}"
    # Served as an attachment with its checked type: the browser never sniffs or runs it in our origin.
    return Response(data, mimetype=content_type, headers={
        "Content-Disposition": f'attachment; filename="{name}"',
        "Cache-Control": "private, no-store"})
