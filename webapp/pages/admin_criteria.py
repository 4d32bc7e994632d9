"""The city administrator's versions of the criteria (ADR 22): every version with its pass rule and the applications
pinned to it, one version's criteria and indicators as each target group reads them, and publishing a draft."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext

from workflows import criteria
from workflows.actors import Actor
from workflows.validation import parse_int
from workflows.vocabulary import Role, TargetGroup

from ..database import db
from ..dispatch import commit
from .access import require_role
from .admin import bp


@bp.get("/criteria")
@require_role(Role.CITY_ADMIN)
def criteria_list(actor: Actor) -> object:
    """Every version: code, source, first year, state, thresholds, applications pinned; publish for drafts."""
    s = db()
    return render_template("pages/admin/criteria.html", sets=criteria.all_sets(s), pinned=criteria.pinned_counts(s))


@bp.get("/criteria/<code>")
@require_role(Role.CITY_ADMIN)
def criteria_version(actor: Actor, code: str) -> object:
    """One version's criteria and indicators, worded for the target group chosen (residents first)."""
    s = db()
    version = criteria.published(s, criteria.by_code(s, code).id)
    group = request.args.get("group", "")
    group = group if group in TargetGroup.values() else TargetGroup.RESIDENT.value
    return render_template("pages/admin/criteria_version.html", version=version, cset=version.cset, group=group,
                           indicators=version.worded(group), pinned=criteria.pinned_counts(s).get(version.cset.id, 0))


@bp.post("/criteria/<code>/publish")
@require_role(Role.CITY_ADMIN)
def criteria_publish(actor: Actor, code: str) -> object:
    """Publish a draft (audited); a second click, or another administrator first, finds it published: 409."""
    s = db()
    expected = parse_int(request.form.get("version", ""), 1, 10**9)
    cset = criteria.publish(s, actor, code, expected_version=expected)
    commit(s)
    flash(gettext("Criteria set %(code)s is published: applications from %(year)s on are scored by it.",
                  code=cset.code, year=cset.valid_from_year))
    return redirect(url_for(".criteria_list"))
