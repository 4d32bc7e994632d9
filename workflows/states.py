"""The one state table and the one function that applies an event. Nothing else assigns a state."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session

from . import actors
from .actors import Actor
from .clock import now
from .errors import Conflict, Forbidden, NotFound
from .models import Application, AuditEvent, Certificate

Entity = Application | Certificate
Guard = Callable[[Actor, Any], None]


def _owner(actor: Actor, app: Application) -> None:
    if actor.citizen_id is None or actor.citizen_id != app.citizen_id:
        raise NotFound()


def _ward_staff_not_owner(actor: Actor, app: Application) -> None:
    if actor.ward_code != app.ward_code:
        raise NotFound()  # another ward's object does not exist for this actor
    if actor.citizen_id is not None and actor.citizen_id == app.citizen_id:
        raise Forbidden("own_application")


def _ward_staff(actor: Actor, obj: Entity) -> None:
    if actor.role not in (actors.CITY_ADMIN, actors.SYSTEM) and actor.ward_code != obj.ward_code:
        raise NotFound()


def _anyone(_actor: Actor, _obj: Any) -> None:
    return None


@dataclass(frozen=True)
class Transition:
    """One row of the table: the next state, who may cause it, the guard, and the effect after commit."""

    next_state: str
    roles: frozenset[str] | None  # None: any role, the guard decides
    guard: Guard = field(default=_anyone)
    effect: str | None = None


REVIEWER = frozenset({actors.WARD_REVIEWER})
CHAIR = frozenset({actors.WARD_CHAIR})
SYSTEM = frozenset({actors.SYSTEM})
REVOKERS = frozenset({actors.WARD_CHAIR, actors.CITY_ADMIN})
RENDER = "render_certificate"

# (entity, state, event) -> transition
TABLE: dict[tuple[str, str, str], Transition] = {
    ("application", "draft", "submit"): Transition("submitted", None, _owner),
    ("application", "returned", "submit"): Transition("submitted", None, _owner),
    ("application", "submitted", "approve"): Transition("approved", REVIEWER, _ward_staff_not_owner),
    ("application", "submitted", "return"): Transition("returned", REVIEWER, _ward_staff_not_owner),
    ("application", "submitted", "reject"): Transition("rejected", REVIEWER, _ward_staff_not_owner),
    ("application", "approved", "recognise"): Transition("recognised", CHAIR, _ward_staff_not_owner),
    ("certificate", "queued", "claim"): Transition("rendering", SYSTEM),
    ("certificate", "rendering", "complete"): Transition("issued", SYSTEM),
    ("certificate", "rendering", "release"): Transition("queued", SYSTEM, effect=RENDER),
    ("certificate", "rendering", "fail"): Transition("failed", SYSTEM),
    ("certificate", "failed", "retry"): Transition("queued", REVOKERS | SYSTEM, _ward_staff, effect=RENDER),
    ("certificate", "issued", "revoke"): Transition("revoked", REVOKERS, _ward_staff),
}

EDITABLE_STATES = frozenset({"draft", "returned"})
INITIAL = {"application": "draft", "certificate": "queued"}


def _kind(obj: Entity) -> str:
    return "application" if isinstance(obj, Application) else "certificate"


def _state(obj: Entity) -> str:
    return obj.state if isinstance(obj, Application) else obj.status


def allowed_events(obj: Entity) -> list[str]:
    """List the events the table allows from the object's current state."""
    kind, state = _kind(obj), _state(obj)
    return [event for (k, s, event) in TABLE if k == kind and s == state]


def apply_event(
    session: Session,
    obj: Entity,
    event: str,
    actor: Actor,
    *,
    expected_version: int | None = None,
    detail: dict[str, Any] | None = None,
) -> Transition:
    """Check table, role, guard and version; set the state, bump the version, append an audit record; flush."""
    kind, state = _kind(obj), _state(obj)
    transition = TABLE.get((kind, state, event))
    if transition is None:
        raise Conflict("invalid_transition", state=state, event=event)
    if transition.roles is not None and actor.role not in transition.roles:
        raise Forbidden("role_not_allowed")
    transition.guard(actor, obj)
    if expected_version is not None and expected_version != obj.version:
        raise Conflict("stale_version")
    state_column = "state" if isinstance(obj, Application) else "status"
    values: dict[str, Any] = {state_column: transition.next_state, "version": obj.version + 1}
    if isinstance(obj, Application):
        values["updated_at"] = now()
    table = cast(Any, type(obj)).__table__
    # Conditional on the version read: a concurrent writer makes this match no row instead of double-applying.
    result = session.execute(
        update(table).where(table.c.id == obj.id, table.c.version == obj.version).values(**values)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("stale_version")
    for key, value in values.items():
        set_committed_value(obj, key, value)
    session.add(
        AuditEvent(
            actor_id=actor.user_id,
            actor_role=actor.role,
            entity_type=kind,
            entity_id=obj.id,
            event=event,
            from_state=state,
            to_state=transition.next_state,
            detail=detail or {},
        )
    )
    session.flush()
    return transition


def record_creation(session: Session, obj: Entity, actor: Actor, detail: dict[str, Any] | None = None) -> None:
    """Audit the birth of an object in its initial state."""
    session.add(
        AuditEvent(
            actor_id=actor.user_id,
            actor_role=actor.role,
            entity_type=_kind(obj),
            entity_id=obj.id,
            event="create",
            from_state=None,
            to_state=_state(obj),
            detail=detail or {},
        )
    )
