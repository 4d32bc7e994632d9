"""The city administrator's dashboard: the city line in words, then every ward in a table."""

from functools import lru_cache

from flask import Blueprint, render_template, request
from flask_babel import gettext
from markupsafe import Markup

from workflows import names
from workflows import rollup as rollups
from workflows.actors import Actor
from workflows.clock import now, today
from workflows.errors import NotFound
from workflows.validation import parse_int
from workflows.vocabulary import Role, TargetIndicator

from .. import exports
from ..database import db
from ..i18n import locale
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
    target = result.targets.get(TargetIndicator.CDHT)
    digital = result.targets.get(TargetIndicator.DIGITAL)
    rows = tuple((w.code, w.name, w.population, w.cdht, w.rate(w.cdht), w.digital, w.digital_rate) for w in wards)
    city = result.city
    gaps = {"cdht": rollups.people_short(city.cdht, city.population, target.expected_by_now if target else None),
            "digital": rollups.people_short(city.digital, city.digital_population,
                                            digital.expected_by_now if digital else None)}
    return render_template("pages/admin/dashboard.html", r=result, year=year, sort=sort,
                           years=range(FIRST_YEAR, current + 2), target=target, digital=digital, gaps=gaps,
                           as_of=now(), ward_rows=ward_rows(locale(), rows, target.value if target else None,
                                                            digital.value if digital else None))


Row = tuple[str, str, int | None, int, float | None, int, float | None]


@lru_cache(maxsize=64)
def ward_rows(lang: str, rows: tuple[Row, ...], target: float | None, digital_target: float | None) -> Markup:
    """The table's 126 rows for these figures, in this language: rendered once per distinct input, since the
    figures change only when a decision or a revocation moves a counter (the inputs are read on every request)."""
    del lang  # part of the key: the rows are rendered in the request's language
    html = render_template("pages/admin/_ward_rows.html", rows=rows, target=target, digital_target=digital_target)
    return Markup(html)  # noqa: S704  # Jinja escaped every value in it


@bp.get("/export.<kind>")
@require_role(Role.CITY_ADMIN)
def export(actor: Actor, kind: str) -> object:
    """The year's city and ward figures as a CSV or XLSX file."""
    if kind not in ("csv", "xlsx"):
        raise NotFound()
    current = today().year
    year = parse_int(request.args.get("year", ""), FIRST_YEAR, current + 1) or current
    header, rows = exports.table(rollups.rollup(db(), actor, year))
    name = f"cdht-{year}.{kind}"
    if kind == "csv":
        return exports.csv_response(header, rows, name)
    return exports.xlsx_response(header, rows, name, gettext("Figures %(year)s", year=year), now())
