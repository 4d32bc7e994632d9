"""Population figures (the roll-up's denominators): imports by city administrators."""

from flask import jsonify, request
from flask.typing import ResponseReturnValue

from workflows import populations

from ..auth import bearer_actor
from ..database import db
from ..dispatch import commit
from ..uploads import flag, read_file
from . import bp


@bp.post("/populations/imports")
def import_populations() -> ResponseReturnValue:
    """Import population figures (CSV ward_code,year,mode,population): all or nothing; a dry run writes nothing."""
    actor = bearer_actor()
    populations.authorise(actor)
    data, name = read_file()
    dry_run = flag("dry_run")
    session = db()
    report = populations.import_populations(session, actor, populations.parse(data, populations.known_wards(session)),
                                            request.form.get("source", ""), file_name=name, dry_run=dry_run)
    if dry_run:
        session.rollback()
    else:
        commit(session)
    return jsonify(report.as_json())
