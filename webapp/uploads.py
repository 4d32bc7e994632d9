"""Files sent with a form or a multipart API request: read with a size cap, or a field error in the user's
language; and the yes/no fields such requests carry."""

from flask import request

from workflows.errors import Invalid

MAX_BYTES = 10 * 1024 * 1024  # what the "file_too_large" message says; MAX_CONTENT_LENGTH allows 12 MB in all


def read_file(field: str = "file") -> tuple[bytes, str]:
    """The bytes and the name of the file sent as `field`; Invalid naming the field when none was chosen or it is
    larger than MAX_BYTES."""
    upload = request.files.get(field)
    if upload is None or not upload.filename:
        raise Invalid(fields={field: "required"})
    data = upload.stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise Invalid(fields={field: "file_too_large"})
    return data, upload.filename


def flag(name: str) -> bool:
    """A ticked box or a true value of a form field ("yes", "on", "true", "1")."""
    return request.form.get(name, "").lower() in ("1", "true", "yes", "on")
