"""Population figures (the roll-up's denominators): imports by city administrators."""

from flask import jsonify, request
from flask.typing import ResponseReturnValue

from workflows import populations
from workflows.errors import Invalid

from ..auth import bearer_actor
from ..database import db
from ..dispatch import commit
from . import bp

MAX_BYTES = 2 * 1024 * 1024  # 20,000 rows fit many times over


def read_upload() -> tuple[bytes, str]:
    """The uploaded CSV file `file` and its name, or Invalid naming the field."""
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise Invalid(fields={"file": "required"})
    data = upload.stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise Invalid(fields={"file": "file_too_large"})
    return data, upload.filename


@bp.post("/populations/imports")
def import_populations() -> ResponseReturnValue:
    """Import population figures (CSV ward_code,year,mode,population): all or nothing; a dry run writes nothing."""
    actor = bearer_actor()
    populations.authorise(actor)
    data, name = read_upload()
    dry_run = request.form.get("dry_run", "").lower() in ("1", "true", "yes", "on")
    session = db()
    report = populations.import_populations(session, actor, populations.parse(data, populations.known_wards(session)),
                                            request.form.get("source", ""), file_name=name, dry_run=dry_run)
    if dry_run:
        session.rollback()
    else:
        commit(session)
    return jsonify(report.as_json())
