"""The city administrator's campaigns: a year's dates for the city and the wards with their own, a form to set
them, and closing the year."""

from datetime import date
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from sqlmodel import col, select

from workflows import campaigns
from workflows.actors import Actor
from workflows.clock import today
from workflows.errors import Conflict, Invalid
from workflows.inputs import FIRST_YEAR, CampaignInput, parse
from workflows.models import Ward
from workflows.validation import parse_int
from workflows.vocabulary import CampaignDate, Role

from ..database import db
from ..dispatch import commit
from ..i18n import message
from .access import require_role
from .admin import bp
from .formats import date_from_parts, date_parts, error_messages

DATES = CampaignDate.values()
ORDER = ("ward_code", *DATES)
IDS = {name: f"{name}-day" for name in DATES}


def _year(raw: str | None) -> int:
    return parse_int(raw or "", FIRST_YEAR, today().year + 1) or today().year


def _page(year: int, ward: str | None, values: dict[str, Any] | None = None, codes: dict[str, str] | None = None,
          params: dict[str, Any] | None = None, banner: str | None = None) -> tuple[str, int]:
    s = db()
    view = campaigns.year_view(s, year)
    own = dict(view.wards)
    if values is None:  # the form starts from the dates that apply: the ward's own, else the city's
        shown = own.get(ward, view.city) if ward else view.city
        values = {"ward_code": ward or ""} | {name: date_parts(getattr(shown, name)) for name in DATES}
    errors = error_messages(codes or {}, ORDER, IDS, params)
    labels = {"ward_code": gettext("Ward or commune")} | {f"{w.value}-day": gettext(w.label) for w in CampaignDate}
    wards = s.exec(select(col(Ward.code), col(Ward.name)).where(Ward.active == True)  # noqa: E712
                   .order_by(col(Ward.code))).all()
    status = 422 if errors else 409 if banner else 200
    return render_template("pages/admin/campaigns.html", year=year, view=view, values=values, errors=errors,
                           labels=labels, wards=wards, ward_names=dict(wards), banner=banner,
                           years=range(FIRST_YEAR, today().year + 2), defaults=campaigns.DEFAULTS), status


@bp.route("/campaigns", methods=["GET", "POST"])
@require_role(Role.CITY_ADMIN)
def campaign_list(actor: Actor) -> object:
    """A year's campaign: the city's dates, the wards with their own, and the form that sets either."""
    if request.method == "GET":
        return _page(_year(request.args.get("year")), request.args.get("ward") or None)
    s = db()
    form = request.form
    year = _year(form.get("year"))
    raw: dict[str, Any] = {"year": form.get("year", ""), "ward_code": form.get("ward_code", "") or None}
    codes: dict[str, str] = {}
    for name in DATES:
        raw[name], problem = date_from_parts(form, name)
        if problem:
            codes[name] = problem
    values = {"ward_code": form.get("ward_code", "")} | {
        name: {p: form.get(f"{name}-{p}", "") for p in ("day", "month", "year")} for name in DATES}
    try:
        cmd = parse(CampaignInput, raw)
        if codes:
            raise Invalid(fields=codes)
        row, changed = campaigns.set_campaign(s, actor, cmd)
        commit(s)
    except Invalid as exc:
        s.rollback()
        readable = {w: date.fromisoformat(raw[w.value]) if raw[w.value] else None for w in CampaignDate}
        found = campaigns.check_dates(year, readable) | dict(exc.fields) | codes  # the dates' own problems first
        return _page(year, None, values, found, {"year": year, **exc.params})
    except Conflict as exc:
        s.rollback()
        params: dict[str, Any] = dict(exc.params)
        return _page(year, None, values, banner=message(exc.code, **params))
    where = ward_label(row.ward_code)
    flash(gettext("Campaign %(year)s saved for %(where)s.", year=row.year, where=where) if changed
          else gettext("Nothing changed: these dates are already in force."))
    return redirect(url_for(".campaign_list", year=row.year, ward=row.ward_code))


def ward_label(code: str | None) -> str:
    """The ward's code and name, or "the whole city"."""
    if code is None:
        return str(gettext("the whole city"))
    ward = db().get(Ward, code)
    return f"{ward.name} ({code})" if ward is not None else code


@bp.post("/campaigns/close")
@require_role(Role.CITY_ADMIN)
def campaign_close(actor: Actor) -> object:
    """Close a year for the whole city, once the administrator has ticked the confirmation."""
    s = db()
    year = _year(request.form.get("year"))
    if request.form.get("confirm") != "yes":
        return _page(year, None, codes={"confirm": "confirm_close"})
    _row, changed = campaigns.close_year(s, actor, year)
    commit(s)
    flash(gettext("Year %(year)s is closed.", year=year) if changed else gettext("Year %(year)s was already closed.",
                                                                                 year=year))
    return redirect(url_for(".campaign_list", year=year))
