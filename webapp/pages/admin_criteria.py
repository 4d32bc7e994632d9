"""The city administrator's versions of the criteria (ADR 22): every version with its pass rule and the applications
pinned to it, one version's criteria and indicators as each target group reads them, and publishing a draft."""

import json

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext

from workflows import criteria
from workflows.actors import Actor
from workflows.errors import Conflict, Invalid, NotFound
from workflows.validation import parse_int
from workflows.vocabulary import Role, TargetGroup

from ..database import db
from ..dispatch import commit
from ..uploads import read_file
from .access import require_role
from .admin import bp
from .formats import error_messages


@bp.get("/criteria")
@require_role(Role.CITY_ADMIN)
def criteria_list(actor: Actor) -> object:
    """Every version: code, source, first year, state, thresholds, applications pinned; publish for drafts."""
    s = db()
    return render_template("pages/admin/criteria.html", sets=criteria.all_sets(s), pinned=criteria.pinned_counts(s),
                           errors={}, form={}, labels={})


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


@bp.post("/criteria/drafts")
@require_role(Role.CITY_ADMIN)
def criteria_new_draft(actor: Actor) -> object:
    """A new draft: a copy of a version under a new code and first year, or a version file (JSON) loaded (a draft
    of the same code is replaced; a published version never). Bad input: the list again with the fields named."""
    s = db()
    form = request.form
    codes: dict[str, str] = {}
    params: dict[str, object] = {}
    try:
        if form.get("step") == "copy":
            year = parse_int(form.get("valid_from_year", ""), 2000, 2100)
            if year is None:
                raise Invalid(fields={"valid_from_year": "out_of_range"})
            draft = criteria.draft_from(s, actor, form.get("source", ""), form.get("code", "").strip(), year)
        else:
            data, name = read_file()
            draft = criteria.load(s, actor, criteria.read_file(data), name)[0]
        commit(s)
    except (Invalid, Conflict, NotFound) as exc:
        s.rollback()
        codes = dict(exc.fields) or {"file" if form.get("step") != "copy" else "code": exc.code}
        params = dict(exc.params)
        errors = error_messages(codes, ("source", "code", "valid_from_year", "file"), params=params)
        return render_template("pages/admin/criteria.html", sets=criteria.all_sets(s),
                               pinned=criteria.pinned_counts(s), errors=errors, form=form,
                               labels={"source": gettext("Copy of"), "code": gettext("Code of the new version"),
                                       "valid_from_year": gettext("From year"),
                                       "file": gettext("Version file (JSON)")}), 422
    flash(gettext("Draft %(code)s is ready: check its wording, then publish it.", code=draft.code))
    return redirect(url_for(".criteria_version", code=draft.code))


@bp.get("/criteria/<code>.json")
@require_role(Role.CITY_ADMIN)
def criteria_file(actor: Actor, code: str) -> object:
    """A version as a file in the format the draft upload reads: to correct its wording and load it as a draft."""
    s = db()
    body = json.dumps(criteria.document(criteria.published(s, criteria.by_code(s, code).id)), ensure_ascii=False,
                      indent=2)
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{code}.json"'})
