"""The city administrator's dashboard: the city line in words, then every ward in a table."""

import time
from functools import lru_cache
from typing import Any

from flask import Blueprint, render_template, request
from flask_babel import gettext
from markupsafe import Markup

from workflows import application_counters, monitoring, names, unit_figures
from workflows import rollup as rollups
from workflows.actors import Actor
from workflows.clock import now, today
from workflows.errors import NotFound
from workflows.validation import parse_int
from workflows.vocabulary import ApplicationState, Role, TargetIndicator

from .. import charts, exports
from ..database import db
from ..i18n import locale
from ..runtime import runtime
from . import formats
from .access import require_role

bp = Blueprint("admin", __name__, url_prefix="/admin")
formats.register_filters(bp)

FIRST_YEAR = 2024
SORTS = ("code", "name", "rate", "gap")


@bp.get("/")
@require_role(Role.CITY_ADMIN)
def dashboard(actor: Actor) -> object:
    """City and ward figures for a year against the Plan 52 targets."""
    raw = request.args.get("year", "")
    current = today().year
    year = parse_int(raw, FIRST_YEAR, current + 1) or current
    sort = request.args.get("sort", "code")
    sort = sort if sort in SORTS else "code"
    return render_template("pages/admin/dashboard.html", **_dashboard_figures(actor, year, sort))


_FIGURES: dict[tuple[int, str, str], tuple[float, dict[str, Any]]] = {}
FIGURES_KEPT = 64


def _dashboard_figures(actor: Actor, year: int, sort: str) -> dict[str, Any]:
    """The dashboard's figures, read at most DASHBOARD_MAX_AGE_SECONDS ago by this process (ADR 50): every city
    administrator sees the same page of a year, and reading it costs more than the rest of the request. The page
    says when they were read (`as_of`)."""
    max_age = runtime().settings.dashboard_max_age_seconds
    key = (year, sort, locale())
    moment = time.monotonic()
    kept = _FIGURES.get(key)
    if kept is not None and moment - kept[0] < max_age:
        return kept[1]
    figures = _read_dashboard_figures(actor, year, sort)
    if max_age > 0:
        if len(_FIGURES) >= FIGURES_KEPT:
            _FIGURES.clear()
        _FIGURES[key] = (moment, figures)
    return figures


def _read_dashboard_figures(actor: Actor, year: int, sort: str) -> dict[str, Any]:
    current = today().year
    result = rollups.rollup(db(), actor, year)
    wards = list(result.wards)
    if sort == "name":
        wards.sort(key=lambda w: names.fold(w.name))
    elif sort == "rate":
        wards.sort(key=lambda w: (w.rate(w.cdht) is None, -(w.rate(w.cdht) or 0), w.code))
    target = result.targets.get(TargetIndicator.CDHT)
    digital = result.targets.get(TargetIndicator.DIGITAL)
    expected = target.expected_by_now if target else None
    short = {w.code: rollups.people_short(w.cdht, w.population, expected) for w in wards}
    if sort == "gap":  # the wards furthest from the line expected by now first; those without figures last
        wards.sort(key=lambda w: (short[w.code] is None, -(short[w.code] or 0), w.code))
    rows = tuple((w.code, w.name, w.population, w.cdht, w.rate(w.cdht), short[w.code], w.pass_rate, w.digital,
                  w.digital_rate) for w in wards)
    gaps = _gaps(result.city, target, digital)
    chart = charts.wards_against_target(
        charts.bars_of([(w.code, w.name, w.rate(w.cdht)) for w in result.wards]),
        target.value if target else None, expected if target and target.milestone_year != year else None,
        gettext("Learning citizens by ward and commune, %(year)s", year=year),
        gettext("One bar per ward or commune with a population figure, highest rate first; the solid line is the "
                "target, the dashed line what is expected by now. The table below gives the same figures."),
        gettext("target"), gettext("expected by now"))
    return {"r": result, "year": year, "sort": sort, "chart": chart, "years": range(FIRST_YEAR, current + 2),
            "target": target, "digital": digital, "gaps": gaps, "as_of": now(),
            "ward_rows": ward_rows(locale(), rows, target.value if target else None,
                                   digital.value if digital else None, year),
            **_monitoring(result, result.city, year)}


def _gaps(line: rollups.Figures, target: rollups.TargetView | None,
          digital: rollups.TargetView | None) -> dict[str, int | None]:
    """The people the city or a ward still needs to reach the line expected by now, for each indicator."""
    return {"cdht": rollups.people_short(line.cdht, line.population, target.expected_by_now if target else None),
            "digital": rollups.people_short(line.digital, line.digital_population,
                                            digital.expected_by_now if digital else None)}


def _monitoring(result: rollups.Rollup, line: rollups.Figures, year: int,
                ward_code: str | None = None) -> dict[str, Any]:
    """The breakdowns and the month-by-month trend of the city or one ward, for the shared partial."""
    parts = monitoring.breakdowns(db(), year, rollups.modes_of(result.targets), ward_code,
                                  with_hamlets=ward_code is not None,
                                  left_out=rollups.left_out(result))  # the city: as its line counts
    cdht, digital = parts[TargetIndicator.CDHT], parts[TargetIndicator.DIGITAL]
    trends = {"cdht": monitoring.trend(cdht.months, year, line.population, today()),
              "digital": monitoring.trend(digital.months, year, line.digital_population, today())}
    tables = monitoring.side_by_side(parts)
    block = {"trends": trends, "breakdown_tables": tables, "year": year, "entry_link": ward_code is None,
             "under_15": {"cdht": cdht.under_15, "digital": digital.under_15},
             "unit_lines": unit_figures.lines(db(), year, ward_code, result.milestones)}
    return {"trends": trends, "monitoring_block": monitoring_block(block)}


_BLOCKS: dict[tuple[str, str], Markup] = {}
BLOCKS_KEPT = 256


def monitoring_block(block: dict[str, Any]) -> Markup:
    """The months, breakdowns and unit-level tables for these figures, in this language: rendered once per distinct
    input (the input is read on every request and is small: its text is the key), as the ward rows are."""
    key = (locale(), repr(sorted(block.items())))
    html = _BLOCKS.get(key)
    if html is None:
        if len(_BLOCKS) >= BLOCKS_KEPT:
            _BLOCKS.clear()
        html = _BLOCKS[key] = Markup(render_template("pages/admin/_monitoring_block.html", **block))  # noqa: S704
    return html


Row = tuple[str, str, int | None, int, float | None, int | None, float | None, int, float | None]


@lru_cache(maxsize=64)
def ward_rows(lang: str, rows: tuple[Row, ...], target: float | None, digital_target: float | None,
              year: int) -> Markup:
    """The table's 126 rows for these figures, in this language: rendered once per distinct input, since the
    figures change only when a decision or a revocation moves a counter (the inputs are read on every request)."""
    del lang  # part of the key: the rows are rendered in the request's language
    html = render_template("pages/admin/_ward_rows.html", rows=rows, target=target, digital_target=digital_target,
                           year=year)
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


@bp.get("/wards/<code>")
@require_role(Role.CITY_ADMIN)
def ward(actor: Actor, code: str) -> object:
    """One ward or commune: its figures against each target, the people it still needs, and its applications."""
    current = today().year
    year = parse_int(request.args.get("year", ""), FIRST_YEAR, current + 1) or current
    s = db()
    result = rollups.rollup(s, actor, year)
    line = next((w for w in result.wards if w.code == code), None)
    if line is None:
        raise NotFound()
    target, digital = result.targets.get(TargetIndicator.CDHT), result.targets.get(TargetIndicator.DIGITAL)
    gaps = _gaps(line, target, digital)
    states = application_counters.by_state(s, code, year)
    return render_template("pages/admin/ward.html", w=line, year=year, target=target, digital=digital, gaps=gaps,
                           states=[(st, states.get(st, 0)) for st in ApplicationState],
                           **_monitoring(result, line, year, code))
