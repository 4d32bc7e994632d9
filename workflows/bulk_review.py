"""Proposing many applications for recognition in one step, each with its own outcome (ADR 26).

The reviewer confirms each citizen's own scores: an application is proposed when it is still the version the
reviewer saw, still submitted, within their part of the ward, and its self-scores meet its criteria set's pass
rule. The others are left exactly as they were, each with the reason: nothing is half-applied to any item. The
proposed ones move in one batched UPDATE (each row fenced by its version) with one batched audit insert.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session, col

from . import criteria
from .access import may_see_application
from .actors import Actor
from .clock import now
from .db import locked_by_ids
from .errors import DomainError, Invalid
from .models import Application
from .states import apply_event_many, authorise, require_role
from .vocabulary import Entity, Event

MAX_ITEMS = 5_000
DONE, STALE, FAILS, NOT_FOUND, INVALID = "done", "stale_version", "pass_rule_failed", "not_found", \
    "invalid_transition"
OUTCOMES = (DONE, STALE, FAILS, NOT_FOUND, INVALID)


@dataclass(frozen=True)
class Outcome:
    """What became of one item."""

    id: str
    outcome: str


def propose(session: Session, actor: Actor, items: Sequence[tuple[str, int]]) -> list[Outcome]:
    """Propose each (id, version the reviewer saw) for recognition; one outcome per item, in the order given."""
    require_role(actor, Entity.APPLICATION, Event.APPROVE)
    if not items:
        raise Invalid(fields={"items": "required"})
    if len(items) > MAX_ITEMS:
        raise Invalid(fields={"items": "too_many"}, limit=MAX_ITEMS)
    seen: dict[str, int] = {}
    for ident, version in items:
        seen.setdefault(ident, version)
    apps = _locked(session, actor, list(seen))
    outcomes: dict[str, str] = {}
    ready: list[Application] = []
    totals: dict[str, int] = {}
    for ident, version in seen.items():
        app = apps.get(ident)
        if app is None or not may_see_application(actor, app) or app.state == "draft":
            outcomes[ident] = NOT_FOUND
            continue
        if app.version != version:
            outcomes[ident] = STALE
            continue
        try:
            authorise(app, Event.APPROVE, actor)
        except DomainError:
            outcomes[ident] = INVALID
            continue
        pinned = criteria.published(session, app.criteria_set_id)
        result = criteria.assess(pinned.cset, pinned.codes, app.self_scores)
        if not result.passed:
            outcomes[ident] = FAILS
            continue
        outcomes[ident], totals[ident] = DONE, result.total
        ready.append(app)
    apply_event_many(session, ready, Event.APPROVE, actor,
                     detail={"bulk": True, "confirmed_self_scores": True},
                     also={"reviewed_by": actor.user_id, "reviewed_at": now(), "review_comment": None,
                           "passes": True},
                     each={"reviewer_scores": lambda a: dict(a.self_scores),
                           "total": lambda a: totals[a.id]})
    return [Outcome(i, outcomes[i]) for i in seen]


def _locked(session: Session, actor: Actor, ids: list[str]) -> dict[str, Application]:
    """The actor's ward's applications among the ids, their rows locked until commit, so what was judged is what
    is written: a concurrent change waits, or has already happened and is seen. Another ward's are never read."""
    return locked_by_ids(session, Application, ids, col(Application.ward_code) == actor.ward_code)
