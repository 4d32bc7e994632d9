"""The ward's grassroots review set-up, for its chair: the list of tổ dân phố / thôn (imported from a CSV file, dry
run first) and which of them each reviewer reviews, with how many applications each holds (ADR 26)."""

from typing import Any

from flask import redirect, render_template, request, url_for
from flask_babel import gettext
from sqlalchemy import func
from sqlmodel import col, select

from workflows import assignment, hamlets
from workflows.actors import Actor
from workflows.errors import Invalid, NotFound
from workflows.models import Application, User
from workflows.vocabulary import ApplicationState, Role

from ..database import db
from ..dispatch import commit
from ..uploads import flag, read_file
from .access import require_role
from .formats import file_errors
from .reviewer import bp


@bp.route("/team", methods=["GET", "POST"])
@require_role(Role.WARD_CHAIR)
def team(actor: Actor) -> object:
    """The ward's tổ dân phố / thôn and its reviewers' areas; the chair imports the list and sets the areas."""
    s = db()
    assert actor.ward_code is not None
    codes: dict[str, str] = {}
    params: dict[str, Any] = {}
    report = None
    if request.method == "POST" and request.form.get("step") == "hamlets":
        dry_run = flag("dry_run")
        try:
            data, _name = read_file()
            report = hamlets.import_list(s, actor, actor.ward_code, hamlets.parse(data), dry_run=dry_run)
            if dry_run:
                s.rollback()
            else:
                commit(s)
        except Invalid as exc:
            s.rollback()
            codes, params = dict(exc.fields), dict(exc.params)
    elif request.method == "POST" and request.form.get("step") == "scope":
        user = s.get(User, request.form.get("user_id", ""))
        if user is None or user.ward_code != actor.ward_code or user.role != Role.WARD_REVIEWER:
            raise NotFound()
        chosen = None if request.form.get("whole_ward") == "yes" else request.form.getlist("hamlets")
        try:
            assignment.set_scope(s, actor, user, chosen)
            commit(s)
            return redirect(url_for(".team", saved=user.id))
        except Invalid as exc:
            s.rollback()
            codes, params = {"scope": next(iter(exc.fields.values()), exc.code)}, dict(exc.params)
    errors, bad_rows, more_errors = file_errors(codes, params, ("file", "scope"))
    people = list(s.exec(select(User).where(User.ward_code == actor.ward_code, User.role == Role.WARD_REVIEWER,
                                            col(User.active)).order_by(col(User.display_name))))
    held = dict(s.exec(select(Application.assignee_id, func.count())
                       .where(col(Application.assignee_id).in_([p.id for p in people]),
                              Application.state == ApplicationState.SUBMITTED)
                       .group_by(col(Application.assignee_id))).all()) if people else {}
    return render_template("pages/reviewer/team.html", errors=errors, bad_rows=bad_rows, more_errors=more_errors,
                           report=report,
                           places=hamlets.of_ward(s, actor.ward_code), people=people, held=held,
                           saved=request.args.get("saved"), dry_run=flag("dry_run") or request.method == "GET",
                           labels={"file": gettext("CSV file"), "scope": gettext("Area reviewed")}), \
        422 if errors else 200
