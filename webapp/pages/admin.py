"""The city administrator's dashboard: the city line in words, then every ward in a table."""

from flask import Blueprint, render_template, request

from workflows import names
from workflows import rollup as rollups
from workflows.actors import Actor
from workflows.clock import now, today
from workflows.validation import parse_int
from workflows.vocabulary import Role, TargetIndicator

from ..database import db
from . import formats
from .access import require_role

bp = Blueprint("admin", __name__, url_prefix="/admin")
formats.register_filters(bp)

FIRST_YEAR = 2024
SORTS = ("code", "name", "rate")


@bp.get("/")
@require_role(Role.CITY_ADMIN)
def dashboard(actor: Actor) -> object:
    """City and ward figures for a year against the Plan 52 targets."""
    raw = request.args.get("year", "")
    current = today().year
    year = parse_int(raw, FIRST_YEAR, current + 1) or current
    sort = request.args.get("sort", "code")
    sort = sort if sort in SORTS else "code"
    result = rollups.rollup(db(), actor, year)
    wards = list(result.wards)
    if sort == "name":
        wards.sort(key=lambda w: names.fold(w.name))
    elif sort == "rate":
        wards.sort(key=lambda w: (w.rate(w.cdht) is None, -(w.rate(w.cdht) or 0), w.code))
    return render_template("pages/admin/dashboard.html", r=result, wards=wards, year=year, sort=sort,
                           years=range(FIRST_YEAR, current + 2), target=result.targets.get(TargetIndicator.CDHT),
                           as_of=now())
