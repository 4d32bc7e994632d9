"""Digital skills: the frameworks, a citizen's records, and imports from training platforms (city admins)."""

from flask import jsonify, request
from flask.typing import ResponseReturnValue

from workflows.digital import attainments, frameworks, imports
from workflows.errors import Invalid
from workflows.models import DigitalAttainment

from ..auth import bearer_actor
from ..database import db
from ..dispatch import commit
from . import bp

MAX_IMPORT_BYTES = 10 * 1024 * 1024  # MAX_CONTENT_LENGTH allows 12 MB: about 200,000 rows fit


def framework_json(f: frameworks.Framework) -> dict[str, object]:
    """A framework version as the API lists it."""
    return {"id": f.id, "name": f.name["vi"], "version": f.version, "publisher": f.publisher, "source": f.source,
            "levels": f.levels, "areas": [{"code": a.code, "name": a.name["vi"]} for a in f.areas],
            "basic_rule": None if f.basic is None else {
                "overall_min": f.basic.overall_min, "area_min": f.basic.area_min, "min_level": f.basic.min_level,
                "valid_years": f.basic.valid_years}}


def attainment_json(a: DigitalAttainment) -> dict[str, object]:
    """A record of digital skills as its holder sees it."""
    return {"id": a.id, "kind": a.kind, "state": a.state, "framework": a.framework_id, "level": a.level,
            "achieved_on": a.achieved_on.isoformat(), "source": a.source, "course": a.course, "counts": a.counts,
            "valid_from_year": a.first_year, "valid_to_year": a.last_year}


@bp.get("/digital/frameworks")
def list_frameworks() -> ResponseReturnValue:
    """Every published framework version (public)."""
    return jsonify({"items": [framework_json(f) for f in frameworks.published().values()]})


@bp.get("/me/digital")
def my_digital() -> ResponseReturnValue:
    """The caller's records of digital skills."""
    return jsonify({"items": [attainment_json(a) for a in attainments.of_citizen(db(), bearer_actor())]})


@bp.post("/digital/imports")
def import_completions() -> ResponseReturnValue:
    """Import completions from a training platform (CSV); all or nothing; a dry run writes nothing."""
    actor = bearer_actor()
    imports.authorise(actor)
    upload = request.files.get("file")
    if upload is None:
        raise Invalid(fields={"file": "required"})
    data = upload.stream.read(MAX_IMPORT_BYTES + 1)
    if len(data) > MAX_IMPORT_BYTES:
        raise Invalid(fields={"file": "file_too_large"})
    dry_run = request.form.get("dry_run", "").lower() in ("1", "true", "yes", "on")
    session = db()
    report = imports.import_completions(session, actor, imports.parse(data), request.form.get("source", ""),
                                        dry_run=dry_run)
    if dry_run:
        session.rollback()
    else:
        commit(session)
    return jsonify(report.as_json())
