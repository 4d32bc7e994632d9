"""Evidence files: checked by their content (not their name), size-limited, stored write-once by hash."""

import hashlib
import io

import pikepdf
from PIL import Image, UnidentifiedImageError
from werkzeug.datastructures import FileStorage as Upload

from workflows.applications import Evidence
from workflows.errors import Invalid

from .runtime import runtime

MAX_BYTES = 10 * 1024 * 1024
SIGNATURES = ((b"%PDF-", "application/pdf", "pdf"), (b"\xff\xd8\xff", "image/jpeg", "jpg"),
              (b"\x89PNG\r\n\x1a\n", "image/png", "png"))


def _kind(data: bytes) -> tuple[str, str]:
    for magic, content_type, ext in SIGNATURES:
        if data.startswith(magic):
            return content_type, ext
    raise Invalid(fields={"evidence": "file_type"})


def _check_content(data: bytes, content_type: str) -> None:
    try:
        if content_type == "application/pdf":
            with pikepdf.open(io.BytesIO(data)) as pdf:
                if len(pdf.pages) < 1:
                    raise Invalid(fields={"evidence": "file_damaged"})
        else:
            with Image.open(io.BytesIO(data)) as image:
                image.verify()
    except pikepdf.PasswordError as exc:
        raise Invalid(fields={"evidence": "file_encrypted"}) from exc
    except (pikepdf.PdfError, UnidentifiedImageError, OSError, SyntaxError) as exc:
        raise Invalid(fields={"evidence": "file_damaged"}) from exc


def checked_evidence(upload: Upload | None, application_id: str) -> tuple[Evidence, bytes] | None:
    """Read and check an uploaded file by its content; None when no file was chosen."""
    if upload is None or not upload.filename:
        return None
    data = upload.stream.read(MAX_BYTES + 1)
    if not data:
        raise Invalid(fields={"evidence": "file_empty"})
    if len(data) > MAX_BYTES:
        raise Invalid(fields={"evidence": "file_too_large"})
    content_type, ext = _kind(data)
    _check_content(data, content_type)
    sha256 = hashlib.sha256(data).hexdigest()
    name = "".join(ch for ch in upload.filename if ch.isprintable())[-200:]
    key = f"evidence/{application_id}/{sha256}.{ext}"
    return Evidence(key=key, name=name, content_type=content_type, sha256=sha256), data


def save_evidence(evidence: Evidence, data: bytes) -> None:
    """Store checked evidence write-once (the same file twice is one object)."""
    runtime().storage.put(evidence.key, data)
