"""GET /rollup: ward and city figures against the year's target."""

from flask import jsonify, request
from flask.typing import ResponseReturnValue

from workflows import rollup as rollups
from workflows.clock import today
from workflows.errors import Invalid
from workflows.validation import parse_int
from workflows.vocabulary import TargetIndicator

from ..auth import bearer_actor
from ..database import db
from . import bp


def rollup_json(r: rollups.Rollup) -> dict[str, object]:
    """Counts, rates (fractions) and targets per ward and for the city."""
    cdht, digital = r.targets[TargetIndicator.CDHT], r.targets[TargetIndicator.DIGITAL]

    def line(f: rollups.Figures) -> dict[str, object]:
        return {"code": f.code, "name": f.name, "population": f.population, "cdht": f.cdht,
                "cdht_rate": f.rate(f.cdht), "cdht_target": cdht.value if cdht else None,
                "digital": f.digital, "digital_population": f.digital_population, "digital_rate": f.digital_rate,
                "digital_target": digital.value if digital else None}

    targets = {k: (None if t is None else {"milestone_year": t.milestone_year, "value": t.value,
                                           "expected_by_now": t.expected_by_now, "source": t.source_document})
               for k, t in r.targets.items()}
    return {"year": r.year, "targets": targets, "city": line(r.city), "wards": [line(w) for w in r.wards],
            "wards_without_population": r.wards_without_population}


@bp.get("/rollup")
def rollup() -> ResponseReturnValue:
    """The year's roll-up (admin: all wards; ward staff: their ward and the city line)."""
    year = parse_int(request.args.get("year", str(today().year)), 2000, 2100)
    if year is None:
        raise Invalid(fields={"year": "out_of_range"})
    return jsonify(rollup_json(rollups.rollup(db(), bearer_actor(), year)))
