"""The ward's review pages: the queue, and one application with its scores and the decision question."""

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from workflows import applications, assignment, bulk_review, campaigns, lookup, review_queue
from workflows import review as reviewing
from workflows.access import visible_application
from workflows.actors import Actor
from workflows.clock import today
from workflows.criteria import DIGITAL_INDICATOR
from workflows.digital import attainments as digital_records
from workflows.digital import verification
from workflows.errors import Conflict, Invalid, NotFound
from workflows.inputs import ReviewInput, parse
from workflows.review_queue import NOBODY
from workflows.states import allowed_events
from workflows.validation import parse_int
from workflows.vocabulary import ApplicationState, Role, Sex, TargetGroup

from ..database import db
from ..dispatch import commit
from ..evidence import evidence_response
from ..exports import csv_response
from ..i18n import message
from ..queue_filters import MINE, WAITED_DAYS, queue_filters
from ..serializers import application_json
from . import formats
from .access import require_role
from .citizen import score_labels
from .formats import error_messages, parse_score, score_id

bp = Blueprint("reviewer", __name__, url_prefix="/reviewer")
formats.register_filters(bp)

STAFF = (Role.WARD_REVIEWER, Role.WARD_CHAIR)
SORT_LABELS = {review_queue.OLDEST: _l("Oldest submission first"), review_queue.NEWEST: _l("Newest submission first"),
               review_queue.BY_NAME: _l("By name (given name, then family name)")}
FILTERS = ("target_group", "hamlet", "assignee", "waited_days", "has_evidence", "passes")


def _filters(source: Any = None) -> dict[str, Any]:
    """The queue's filters from the query string or the form (state may be '' for every state)."""
    source = request.values if source is None else source
    state = source.get("state", ApplicationState.SUBMITTED)
    sort = source.get("sort", "")
    if (state and state not in review_queue.QUEUE_STATES) or (sort and sort not in review_queue.SORTS):
        raise NotFound()
    page = source.get("page", "1")
    return {"state": state, "sort": "" if sort == review_queue.OLDEST else sort,
            "q": source.get("q", "").strip()[:100], "page": parse_int(page, 1, 100_000) or 1,
            "after": source.get("after", ""), "before": source.get("before", "")} | {
        name: source.get(name, "").strip()[:32] for name in FILTERS}


def _queue_filters(f: dict[str, Any], actor: Actor) -> review_queue.Filters:
    """The filters a page's address asks for; a value that is none of the choices names nothing: 404."""
    try:
        return queue_filters(f, actor)
    except Invalid:
        raise NotFound() from None


def _cursor(token: str, sort: str) -> review_queue.AnyCursor | None:
    """A queue cursor of the page's order from a link; a damaged link is a 404, like any other address that names
    nothing."""
    try:
        return review_queue.parse_cursor(token, sort or review_queue.OLDEST) if token else None
    except Invalid:
        raise NotFound() from None


@bp.get("/")
@require_role(*STAFF)
def queue(actor: Actor) -> object:
    """The ward's queue: filters, counts per state, a table, 25 rows a page."""
    s = db()
    f = _filters()
    found = review_queue.queue(s, actor, state=f["state"] or None, page=f["page"],
                               after=_cursor(f["after"], f["sort"]), before=_cursor(f["before"], f["sort"]),
                               filters=_queue_filters(f, actor), sort=f["sort"] or review_queue.OLDEST)
    total = found.total
    pages = max(1, -(-total // review_queue.PAGE_SIZE), found.page + (1 if found.after else 0))
    f = f | {"page": found.page}
    return render_template("pages/reviewer/queue.html", rows=found.rows, total=total, counts=found.counts, f=f,
                           pages=pages, page_links=formats.page_links(found.page, pages if found.total_exact else 0),
                           sorts=review_queue.SORTS, sort_labels=SORT_LABELS, states=review_queue.QUEUE_STATES,
                           found=found, keep=_keep(f),
                           digital_waiting=verification.pending_count(s, actor), **_choices(s, actor),
                           deadlines=campaigns.for_staff(s, actor.ward_code) if actor.ward_code else None)


def _choices(s: Any, actor: Actor) -> dict[str, Any]:
    """What the filters and the bulk step offer: the actor's tổ dân phố / thôn, the ward's reviewers."""
    offered = assignment.choices(s, actor)
    return {"hamlets": offered.hamlets, "reviewers": offered.reviewers,
            "whole_ward": actor.whole_ward, "may_propose": actor.role == Role.WARD_REVIEWER,
            "waited_choices": WAITED_DAYS, "target_groups": list(TargetGroup), "mine": MINE, "nobody": NOBODY,
            "me": actor.user_id, "is_chair": actor.role == Role.WARD_CHAIR}


@bp.post("/bulk")
@require_role(*STAFF)
def bulk(actor: Actor) -> object:
    """The bulk step of the queue: propose the ticked applications, or all that match the filters and pass the
    rule, or give the ticked ones to a reviewer; each item's outcome is shown."""
    s = db()
    f = _filters(request.args)  # the filters in the page's address; the form carries only the step's own fields
    form = request.form
    action = form.get("bulk", "")
    picked = [(ident, v) for raw in form.getlist("item")[:bulk_review.MAX_ITEMS]
              for ident, _, version in [raw.partition(":")] if (v := parse_int(version, 1, 10**9)) is not None]
    outcomes: list[bulk_review.Outcome] = []
    assigned: int | None = None
    try:
        if action == "propose_matching":
            picked = review_queue.matching(s, actor, _queue_filters(f, actor), limit=bulk_review.MAX_ITEMS)
            if not picked:
                raise Invalid(fields={"item": "no_match"})
            outcomes = bulk_review.propose(s, actor, picked)
        elif not picked:
            raise Invalid(fields={"item": "no_selection"})
        elif action == "propose":
            outcomes = bulk_review.propose(s, actor, picked)
        elif action == "assign":
            target = form.get("give_to", "")
            assigned = assignment.assign(s, actor, [i for i, _ in picked],
                                         None if target == NOBODY else (actor.user_id if target == MINE else target))
        else:
            raise NotFound()
        commit(s)
    except Invalid as exc:
        s.rollback()
        codes = dict(exc.fields) or {"item": exc.code}
        problems = [message(code, None, **exc.params) for code in dict.fromkeys(codes.values())]
        return render_template("pages/reviewer/bulk_result.html", problems=problems, keep=_keep(f),
                               outcomes=[], names={}, assigned=None), 422
    names = review_queue.names_of(s, actor, [o.id for o in outcomes
                                             if o.outcome not in (bulk_review.DONE, bulk_review.NOT_FOUND)])
    return render_template("pages/reviewer/bulk_result.html", outcomes=outcomes, names=names, assigned=assigned,
                           done=sum(o.outcome == bulk_review.DONE for o in outcomes), problems=[],
                           keep=_keep(f))


@bp.post("/find")
@require_role(*STAFF)
def find(actor: Actor) -> object:
    """Open the application of the person at the counter, by their CCCD number or their receipt's reference. Sent
    by POST, so the identity number is in no address, history or access log; it is never shown back."""
    found = lookup.find_application(db(), actor, request.form.get("number", "")[:40])
    if found is None:
        flash(gettext("No application of your ward or commune has this identity number or reference."))
        return redirect(url_for(".queue", state=""))
    return redirect(url_for(".application", app_id=found.id))


@bp.route("/applications/<app_id>", methods=["GET", "POST"])
@require_role(*STAFF)
def application(actor: Actor, app_id: str) -> object:
    """One application: citizen, activities and evidence, self and ward scores, and the decision."""
    s = db()
    f = _filters()
    app = visible_application(s, actor, app_id)  # another ward's application: 404
    indicators = applications.indicators_of(s, app)
    codes: dict[str, str] = {}
    params: dict[str, Any] = {}
    banner: str | None = None
    form = request.form
    if request.method == "POST":
        scores = {i.code: v for i in indicators if (v := parse_score(form.get(score_id(i.code)))) is not None}
        notes = {key.removeprefix("note-"): value for key, value in form.items() if key.startswith("note-")}
        raw = {"action": form.get("action"), "version": form.get("version"), "scores": scores,
               "comment": form.get("comment"), "confirm_self_scores": form.get("confirm_self_scores"),
               "notes": notes}
        try:
            reviewing.review(s, actor, app.id, parse(ReviewInput, raw))
            commit(s)
            return redirect(url_for(".application", app_id=app.id, saved=form.get("action"), **_keep(f)))
        except Invalid as exc:
            s.rollback()
            codes, params = dict(exc.fields) or {"action": exc.code}, dict(exc.params)
        except Conflict as exc:  # a second click, or someone else decided first
            s.rollback()
            params = dict(exc.params)
            banner = message(exc.code, **params)
    view = application_json(s, app)
    first = score_id(indicators[0].code) if indicators else "action"
    ids = {f"scores.{i.code}": score_id(i.code) for i in indicators} | {
        "scores": first, "action": "action-approve", "comment": "comment", "version": "action-approve"} | {
        key: _note_id(key.split(".", 1)[1], indicators) for key in codes if key.startswith("notes.")}
    order = [f"scores.{i.code}" for i in indicators] + ["scores", "action", "comment", "version"]
    errors = error_messages(codes, order, ids, params)
    posted = request.method == "POST" and not banner
    # The ward's inputs start empty: the citizen's own scores stand beside them and count only if confirmed.
    values = {i.code: (form.get(score_id(i.code), "") if posted else str(view["reviewer_scores"].get(i.code, "")))
              for i in indicators}
    saved = request.args.get("saved")
    # The total as the review stands: the ward's score where one is typed, the citizen's own elsewhere (site.js keeps
    # it current as scores are typed).
    typed = {code: parse_score(value) for code, value in values.items()}
    combined = {code: score for code in values
                if isinstance(score := typed[code] if typed[code] is not None else app.self_scores.get(code), int)}
    context = {
        "live": applications.assessment(s, app, combined),
        "app": view, "app_row": app, "rule": applications.criteria_set_of(s, app),
        "indicators": indicators, "errors": errors, "labels": score_labels(indicators) | {
            "action-approve": _l("Outcome of your review"), "comment": _l("Comment"),
            "confirm_self_scores": _l("Self-scores")},
        "values": values, "banner": banner, "f": f,
        "keep": _keep(f), "events": (events := allowed_events(app, actor)), "can_decide": bool(events),
        "confirmed": posted and form.get("confirm_self_scores") == "yes",
        "action": form.get("action", "") if posted else "", "comment": form.get("comment", "") if posted else "",
        "saved": saved if saved in formats.DECISIONS else None, "score_id": score_id,
        "next_id": review_queue.next_to_review(s, actor, app, filters=_queue_filters(f, actor)) if saved else None,
        "digital": digital_records.holding(s, app.citizen_id, app.year), "digital_indicator": DIGITAL_INDICATOR,
        "overdue": campaigns.review_overdue(s, app.ward_code, app.year, app.state),
    }
    status = 422 if errors else 409 if banner else 200
    return render_template("pages/reviewer/application.html", **context), status


def _note_id(key: str, indicators: list[Any]) -> str:
    """The element id of a note's box: an indicator's (note-score-I-1) or an activity's (note-<id>)."""
    return f"note-{score_id(key)}" if key in {i.code for i in indicators} else f"note-{key}"


def _keep(f: dict[str, Any]) -> dict[str, Any]:
    """The queue filters to carry through links and redirects."""
    return {k: v for k, v in f.items() if v not in ("", None) and not (k == "page" and v == 1)
            and k not in ("after", "before")} | (
        {"state": ""} if f["state"] == "" else {})


@bp.get("/applications/<app_id>/evidence/<activity_id>")
@require_role(*STAFF)
def evidence(actor: Actor, app_id: str, activity_id: str) -> object:
    """Open one evidence file of an application of the reviewer's own ward."""
    return evidence_response(db(), actor, app_id, activity_id, request.args.get("view", "download"))


@bp.get("/export.csv")
@require_role(*STAFF)
def export(actor: Actor) -> object:
    """The queue's list as the filters select it, as a CSV file (UTF-8 with a byte-order mark for spreadsheets)."""
    f = _filters()
    rows = review_queue.export(db(), actor, _queue_filters(f, actor), state=ApplicationState(f["state"]) if f["state"]
                               else None)
    header = [gettext("No."), gettext("Full name"), gettext("Year of birth"), gettext("Sex"),
              gettext("Residential group or village"), gettext("Target group"), gettext("Submitted at"),
              gettext("Total score"), gettext("Pass rule"), gettext("Evidence"), gettext("Held by"), gettext("Status")]
    yes, no = gettext("Yes"), gettext("No")
    lines = [[n, r.name, r.birth_year, formats.label(r.sex, Sex), r.hamlet or "", formats.label(r.target_group,
              TargetGroup), formats.vn_date(r.submitted_at), r.total, yes if r.passes else no,
              yes if r.has_evidence else no, r.assignee or "", formats.label(r.state, ApplicationState)]
             for n, r in enumerate(rows, 1)]
    if len(rows) >= review_queue.EXPORT_MAX:  # said in the file itself, never cut silently
        lines.append(["…", gettext("The list stops at %(num)s applications: narrow the filters to see the rest.",
                                   num=review_queue.EXPORT_MAX)])
    return csv_response(header, lines, f"ho-so-{actor.ward_code}-{today().isoformat()}.csv")
