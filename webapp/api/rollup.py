"""GET /rollup: ward and city figures against the year's target."""

from flask import jsonify, request
from flask.typing import ResponseReturnValue

from workflows import rollup as rollups
from workflows.clock import today
from workflows.errors import Invalid
from workflows.validation import parse_int

from ..auth import bearer_actor
from ..database import db
from . import bp


@bp.get("/rollup")
def rollup() -> ResponseReturnValue:
    """The year's roll-up (admin: all wards; ward staff: their ward and the city line)."""
    year = parse_int(request.args.get("year", str(today().year)), 2000, 2100)
    if year is None:
        raise Invalid(fields={"year": "out_of_range"})
    return jsonify(rollups.as_data(rollups.rollup(db(), bearer_actor(), year)))
