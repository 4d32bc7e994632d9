"""The reviewer's queue filters read from a query string or a form, shared by the page and the API (ADR 26)."""

from collections.abc import Mapping

from workflows.actors import Actor
from workflows.errors import Invalid
from workflows.review_queue import NOBODY, Filters
from workflows.validation import parse_int
from workflows.vocabulary import TargetGroup

MINE = "me"
WAITED_DAYS = (7, 14, 30, 60)  # the choices the page offers; the API takes any number of days up to a year
YES_NO = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


def queue_filters(source: Mapping[str, str], actor: Actor) -> Filters:
    """Filters from request values; Invalid naming the parameter for a value that is not one of its choices."""
    errors: dict[str, str] = {}
    group = source.get("target_group", "").strip() or None
    if group is not None and group not in TargetGroup.values():
        errors["target_group"] = "invalid_choice"
    hamlet = source.get("hamlet", "").strip().upper()[:20] or None
    assignee = source.get("assignee", "").strip()[:32] or None
    if assignee == MINE:
        assignee = actor.user_id
    waited = source.get("waited_days", "").strip()
    days = parse_int(waited, 0, 366) if waited else None
    if waited and days is None:
        errors["waited_days"] = "out_of_range"
    flags: dict[str, bool | None] = {}
    for name in ("has_evidence", "passes"):
        raw = source.get(name, "").strip().lower()
        flags[name] = YES_NO.get(raw) if raw else None
        if raw and raw not in YES_NO:
            errors[name] = "invalid_choice"
    if errors:
        raise Invalid(fields=errors)
    return Filters(q=source.get("q", "").strip()[:100] or None, target_group=group, hamlet=hamlet,
                   assignee=assignee if assignee != NOBODY else NOBODY, waited_days=days,
                   has_evidence=flags["has_evidence"], passes=flags["passes"])
