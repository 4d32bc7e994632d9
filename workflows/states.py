"""The one state table and the one function that applies an event. Nothing else assigns a state.

The table holds all state knowledge: initial states, which event moves which state, who may cause it (roles and
guard), and the effect the change earns after commit. Pages ask it which events an actor may cause.
"""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import bindparam, insert, update
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session

from . import application_counters
from .actors import Actor
from .clock import now
from .db import bulk_insert
from .digital import counters as digital_counters
from .effects import Effect, EffectKind, emit
from .errors import Conflict, DomainError, Forbidden, NotFound
from .models import Application, AuditEvent, Certificate, CriteriaSet, DigitalAttainment
from .vocabulary import (
    ApplicationState,
    AttainmentKind,
    AttainmentState,
    CertificateStatus,
    CriteriaSetState,
    Entity,
    Event,
    Role,
    Term,
)

WardScoped = Application | Certificate | DigitalAttainment
Governed = WardScoped | CriteriaSet
Guard = Callable[[Actor, Any], None]


def _owner(actor: Actor, app: Application) -> None:
    if actor.citizen_id is None or actor.citizen_id != app.citizen_id:
        raise NotFound()


def _ward_staff_not_owner(actor: Actor, app: Application | DigitalAttainment) -> None:
    if actor.ward_code != app.ward_code:
        raise NotFound()  # another ward's object does not exist for this actor
    if actor.citizen_id is not None and actor.citizen_id == app.citizen_id:
        raise Forbidden("own_application")


def _ward_staff(actor: Actor, obj: WardScoped) -> None:
    if actor.role not in (Role.CITY_ADMIN, Role.SYSTEM) and actor.ward_code != obj.ward_code:
        raise NotFound()


def _anyone(_actor: Actor, _obj: Any) -> None:
    return None


def _may_verify(actor: Actor, attainment: DigitalAttainment) -> None:
    # A self-assessment is kept as the citizen's own view and is never verified; ward staff verify in their ward
    # and never their own record; a city administrator or the system verifies what arrives from official channels.
    if actor.role == Role.WARD_REVIEWER:
        _ward_staff_not_owner(actor, attainment)
    if attainment.kind == AttainmentKind.SELF_ASSESSMENT:
        raise Conflict("self_assessment_never_counts")


ANY_ROLE = frozenset(Role)  # the guard decides (the owner, whatever else they are)
REVIEWER = frozenset({Role.WARD_REVIEWER})
CHAIR = frozenset({Role.WARD_CHAIR})
SYSTEM = frozenset({Role.SYSTEM})
REVOKERS = frozenset({Role.WARD_CHAIR, Role.CITY_ADMIN})
VERIFIERS = frozenset({Role.WARD_REVIEWER, Role.CITY_ADMIN, Role.SYSTEM})
PUBLISHERS = frozenset({Role.CITY_ADMIN, Role.SYSTEM})
RENDER = EffectKind.RENDER_CERTIFICATE


@dataclass(frozen=True)
class Transition:
    """One row of the table: the next state, who may cause it, the guard, and the effect after commit."""

    next_state: Term
    roles: frozenset[Role]
    guard: Guard = field(default=_anyone)
    effect: EffectKind | None = None


@dataclass(frozen=True)
class Initial:
    """The state an object is born in, and the effect its birth earns."""

    state: Term
    effect: EffectKind | None = None


A, C, D, K = ApplicationState, CertificateStatus, AttainmentState, CriteriaSetState
TABLE: dict[tuple[Entity, Term, Event], Transition] = {
    (Entity.APPLICATION, A.DRAFT, Event.SUBMIT): Transition(A.SUBMITTED, ANY_ROLE, _owner),
    (Entity.APPLICATION, A.RETURNED, Event.SUBMIT): Transition(A.SUBMITTED, ANY_ROLE, _owner),
    # The citizen is told by e-mail when their application is proposed, returned or recognised, and when their
    # certificate is issued (webapp.notifications; nothing is sent to one without an address).
    (Entity.APPLICATION, A.SUBMITTED, Event.APPROVE): Transition(A.APPROVED, REVIEWER, _ward_staff_not_owner,
                                                                 effect=EffectKind.NOTIFY_PROPOSED),
    (Entity.APPLICATION, A.SUBMITTED, Event.RETURN): Transition(A.RETURNED, REVIEWER, _ward_staff_not_owner,
                                                                effect=EffectKind.NOTIFY_RETURNED),
    (Entity.APPLICATION, A.SUBMITTED, Event.REJECT): Transition(A.REJECTED, REVIEWER, _ward_staff_not_owner),
    (Entity.APPLICATION, A.APPROVED, Event.RECOGNISE): Transition(A.RECOGNISED, CHAIR, _ward_staff_not_owner,
                                                                  effect=EffectKind.NOTIFY_RECOGNISED),
    (Entity.CERTIFICATE, C.QUEUED, Event.CLAIM): Transition(C.RENDERING, SYSTEM),
    (Entity.CERTIFICATE, C.RENDERING, Event.COMPLETE): Transition(C.ISSUED, SYSTEM,
                                                                  effect=EffectKind.NOTIFY_CERTIFICATE),
    (Entity.CERTIFICATE, C.RENDERING, Event.RELEASE): Transition(C.QUEUED, SYSTEM, effect=RENDER),
    (Entity.CERTIFICATE, C.RENDERING, Event.FAIL): Transition(C.FAILED, SYSTEM),
    (Entity.CERTIFICATE, C.FAILED, Event.RETRY): Transition(C.QUEUED, REVOKERS | SYSTEM, _ward_staff, effect=RENDER),
    (Entity.CERTIFICATE, C.ISSUED, Event.REVOKE): Transition(C.REVOKED, REVOKERS, _ward_staff),
    # Reissue after a correction (ADR 28): the issued one is superseded by a new certificate, which is born queued
    # (and earns its render there); the old one earns nothing.
    (Entity.CERTIFICATE, C.ISSUED, Event.SUPERSEDE): Transition(C.SUPERSEDED, REVOKERS, _ward_staff),
    (Entity.ATTAINMENT, D.PENDING, Event.VERIFY): Transition(D.VERIFIED, VERIFIERS, _may_verify),
    (Entity.ATTAINMENT, D.PENDING, Event.DECLINE): Transition(D.REJECTED, VERIFIERS, _may_verify),
    (Entity.ATTAINMENT, D.VERIFIED, Event.REVOKE): Transition(D.REVOKED, REVOKERS | SYSTEM, _ward_staff),
    # A version of the criteria (ADR 22): published once, by the city; never changed after.
    (Entity.CRITERIA_SET, K.DRAFT, Event.PUBLISH): Transition(K.PUBLISHED, PUBLISHERS),
}
INITIAL: dict[Entity, Initial] = {
    Entity.APPLICATION: Initial(A.DRAFT),
    Entity.CERTIFICATE: Initial(C.QUEUED, effect=RENDER),
    Entity.ATTAINMENT: Initial(D.PENDING),
    Entity.CRITERIA_SET: Initial(K.DRAFT),
}
del A, C, D, K


@dataclass(frozen=True)
class _Kind:
    entity: Entity
    column: str  # the column that holds the state
    states: type[Term]


_KINDS: dict[type, _Kind] = {
    Application: _Kind(Entity.APPLICATION, "state", ApplicationState),
    Certificate: _Kind(Entity.CERTIFICATE, "status", CertificateStatus),
    DigitalAttainment: _Kind(Entity.ATTAINMENT, "state", AttainmentState),
    CriteriaSet: _Kind(Entity.CRITERIA_SET, "state", CriteriaSetState),
}

# The application may still be changed by its owner (activities, self-assessment) in these states.
EDITABLE_STATES = frozenset({ApplicationState.DRAFT, ApplicationState.RETURNED})


def entity_of(obj: Governed) -> Entity:
    """Which kind of governed object this is."""
    return _KINDS[type(obj)].entity


def state_of(obj: Governed) -> Term:
    """The object's current state as a vocabulary member."""
    kind = _KINDS[type(obj)]
    return kind.states(getattr(obj, kind.column))


def _moved(session: Session, entity: Entity, objs: Sequence[Any], previous: Sequence[Term], next_state: Term) -> None:
    """Move the counters that count objects of this kind by state, in the same transaction."""
    if entity == Entity.APPLICATION:
        application_counters.move(session, [
            change for obj, state in zip(objs, previous, strict=True)
            for change in ((obj.ward_code, obj.year, state, -1), (obj.ward_code, obj.year, next_state, 1))])
    elif entity == Entity.ATTAINMENT:
        digital_counters.moved(session, objs, [str(p) for p in previous])


def initial_state(entity: Entity) -> Term:
    """The state a new object of this kind is created in."""
    return INITIAL[entity].state


def roles_for(entity: Entity, event: Event) -> frozenset[Role]:
    """Every role the table lets cause this event, in any state (for checks before an object is loaded)."""
    found: frozenset[Role] = frozenset()
    for (kind, _state, ev), transition in TABLE.items():
        if kind == entity and ev == event:
            found |= transition.roles
    return found


def require_role(actor: Actor, entity: Entity, event: Event) -> None:
    """Forbidden unless the table lets the actor's role cause this event somewhere."""
    if actor.role not in roles_for(entity, event):
        raise Forbidden("role_not_allowed")


def authorise(obj: Governed, event: Event, actor: Actor) -> Transition:
    """Return the transition the actor may cause now, or raise Conflict, Forbidden or NotFound."""
    event = Event(event)
    transition = TABLE.get((entity_of(obj), state_of(obj), event))
    if transition is None:
        raise Conflict("invalid_transition", state=state_of(obj).value, event=event.value)
    if actor.role not in transition.roles:
        raise Forbidden("role_not_allowed")
    transition.guard(actor, obj)
    return transition


def allowed_events(obj: Governed, actor: Actor) -> list[Event]:
    """The events this actor may cause on this object now, in table order (pages show these buttons only)."""
    kind, state = entity_of(obj), state_of(obj)
    allowed = []
    for (k, s, event) in TABLE:
        if k != kind or s != state:
            continue
        try:
            authorise(obj, event, actor)
        except DomainError:
            continue
        allowed.append(event)
    return allowed


def apply_event(
    session: Session,
    obj: Governed,
    event: Event,
    actor: Actor,
    *,
    expected_version: int | None = None,
    detail: dict[str, Any] | None = None,
    effect_delay: timedelta = timedelta(0),
    also: dict[str, Any] | None = None,
) -> Transition:
    """Check table, role, guard and version; set the state, bump the version, audit, record the effect; flush.

    One UPDATE and one audit INSERT: `also` sets more columns of the row in that same UPDATE (what a worker records
    when it claims or completes a certificate), so no second write follows.
    """
    event = Event(event)
    transition = authorise(obj, event, actor)
    if expected_version is not None and expected_version != obj.version:
        raise Conflict("stale_version")
    state = state_of(obj)
    state_column = _KINDS[type(obj)].column
    values: dict[str, Any] = {**(also or {}), state_column: transition.next_state.value, "version": obj.version + 1}
    table = cast(Any, type(obj)).__table__
    if "updated_at" in table.c:
        values["updated_at"] = now()
    # Conditional on the version read: a concurrent writer makes this match no row instead of double-applying.
    result = session.execute(
        update(table).where(table.c.id == obj.id, table.c.version == obj.version).values(**values)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("stale_version")
    for key, value in values.items():
        set_committed_value(obj, key, value)
    _moved(session, entity_of(obj), [obj], [state], transition.next_state)
    _audit(session, actor, entity_of(obj), obj.id, event, state, transition.next_state, detail)
    if transition.effect is not None:
        emit(session, Effect(transition.effect, obj.id, effect_delay))
    session.flush()
    return transition


def apply_event_many(
    session: Session, objs: Sequence[Governed], event: Event, actor: Actor, *, detail: dict[str, Any] | None = None,
    also: dict[str, Any] | None = None, each: Mapping[str, Callable[[Any], Any]] | None = None,
    detail_each: Callable[[Any], dict[str, Any]] | None = None,
) -> Transition | None:
    """apply_event for many objects of one kind at once (a decision of 5,000): the same checks per object, one
    batched conditional UPDATE (each row fenced by the version read), one batched audit insert; flush.

    All or nothing: if any row moved meanwhile, Conflict and the caller rolls back. `also` sets more columns on
    every row in the same statement (e.g. the decision that recognised them); `each` sets columns whose value differs
    per row, computed from the object (e.g. the scores a bulk proposal confirms), and `detail_each` adds to each audit
    row's detail (e.g. a certificate's attempt number), computed before the row changes.
    """
    if not objs:
        return None
    event = Event(event)
    transitions = [authorise(obj, event, actor) for obj in objs]
    first = transitions[0]
    if any(t != first for t in transitions):
        raise Conflict("invalid_transition", event=event.value)  # mixed states: one event, one next state
    kind, table = entity_of(objs[0]), cast(Any, type(objs[0])).__table__
    state_column = _KINDS[type(objs[0])].column
    moment = now()
    per_row = {key: [compute(o) for o in objs] for key, compute in (each or {}).items()}
    details = [{**(detail or {}), **(detail_each(o) if detail_each else {})} for o in objs]
    params = [{"_id": o.id, "_read": o.version, "_next": o.version + 1}
              | {f"_each_{k}": v[n] for k, v in per_row.items()} for n, o in enumerate(objs)]
    values: dict[str, Any] = {**(also or {}), **{k: bindparam(f"_each_{k}") for k in per_row},
                              state_column: first.next_state.value, "version": bindparam("_next")}
    if "updated_at" in table.c:
        values["updated_at"] = moment
    stmt = update(table).where(table.c.id == bindparam("_id"), table.c.version == bindparam("_read")).values(values)
    params.sort(key=lambda p: str(p["_id"]))  # rows locked in id order: two batches over shared rows never deadlock
    result = session.connection().execute(stmt, params)
    if result.rowcount != len(objs):
        raise Conflict("stale_version")
    previous = [state_of(o) for o in objs]
    for n, obj in enumerate(objs):
        set_committed_value(obj, state_column, first.next_state.value)
        set_committed_value(obj, "version", obj.version + 1)
        for key, value in (also or {}).items():
            set_committed_value(obj, key, value)
        for key, values_of in per_row.items():
            set_committed_value(obj, key, values_of[n])
        if "updated_at" in table.c:
            set_committed_value(obj, "updated_at", moment)
    _moved(session, kind, objs, previous, first.next_state)
    session.execute(insert(AuditEvent), [
        {"at": moment, "actor_id": actor.user_id, "actor_role": actor.role.value, "entity_type": kind.value,
         "entity_id": obj.id, "event": event.value, "from_state": state.value, "to_state": first.next_state.value,
         "detail": row_detail} for obj, state, row_detail in zip(objs, previous, details, strict=True)])
    if first.effect is not None:
        for obj in objs:
            emit(session, Effect(first.effect, obj.id))
    session.flush()
    return first


def record_creation(session: Session, obj: Governed, actor: Actor, detail: dict[str, Any] | None = None) -> None:
    """Audit the birth of an object in its initial state, and record the effect its birth earns."""
    entity = entity_of(obj)
    initial = INITIAL[entity]
    if state_of(obj) != initial.state:
        raise ValueError(f"a new {entity.value} starts as {initial.state.value}")
    _audit(session, actor, entity, obj.id, Event.CREATE, None, initial.state, detail)
    if isinstance(obj, Application):
        application_counters.move(session, [(obj.ward_code, obj.year, initial.state, 1)])
    if initial.effect is not None:
        emit(session, Effect(initial.effect, obj.id))


def record_change(session: Session, actor: Actor, entity: Entity, entity_id: str, detail: dict[str, Any],
                  event: Event = Event.CHANGE) -> None:
    """Audit a change that moves no governed state (an activity added, edited or deleted; a decision recorded; a
    sweeper's re-send): who, what, and the detail."""
    _audit(session, actor, entity, entity_id, event, None, None, detail)


def record_creation_many(
    session: Session, objs: Sequence[Governed], actor: Actor, detail: dict[str, Any] | None = None,
) -> None:
    """record_creation for many new objects of one kind: one batched audit insert, their effects recorded."""
    if not objs:
        return
    entity = entity_of(objs[0])
    initial = INITIAL[entity]
    if any(state_of(o) != initial.state for o in objs):
        raise ValueError(f"a new {entity.value} starts as {initial.state.value}")
    moment = now()
    session.execute(insert(AuditEvent), [
        {"at": moment, "actor_id": actor.user_id, "actor_role": actor.role.value, "entity_type": entity.value,
         "entity_id": obj.id, "event": Event.CREATE.value, "from_state": None, "to_state": initial.state.value,
         "detail": detail or {}} for obj in objs])
    application_counters.move(session, [(o.ward_code, o.year, initial.state, 1)
                                        for o in objs if isinstance(o, Application)])
    if initial.effect is not None:
        for obj in objs:
            emit(session, Effect(initial.effect, obj.id))


def create_many(
    session: Session, model: type[Governed], rows: Sequence[dict[str, Any]], actor: Actor, *, then: Event,
    detail: dict[str, Any] | None = None, then_detail: dict[str, Any] | None = None,
    also: dict[str, Any] | None = None, unique_by: tuple[str, ...] | None = None,
) -> list[str]:
    """New rows of one kind born and moved at once by one event (an import of 100,000 verified records).

    Each row is checked as if born and then moved by `then`: born in its initial state, the event authorised from it
    (roles, guard) by the table. They are inserted in one multi-row INSERT already in the state the event leads to
    (with `also`'s columns), never written twice, as plain rows (no ORM object per row); the audit trail gets both
    rows (born, then moved), the counters move and the effects are recorded, as record_creation_many followed by
    apply_event_many would do. With `unique_by` (the columns of a unique constraint), a row whose key exists already
    is left out by the database itself (ON CONFLICT DO NOTHING) and nothing else happens for it. Returns the ids
    of the rows created.
    """
    if not rows:
        raise ValueError("nothing to create")
    kind = _KINDS[model]
    initial = INITIAL[kind.entity]
    if any(row[kind.column] != initial.state.value for row in rows):
        raise ValueError(f"a new {kind.entity.value} starts as {initial.state.value}")
    views = [SimpleNamespace(**row) for row in rows]  # what the guards read, without building ORM objects
    moved_by = TABLE.get((kind.entity, initial.state, then))
    if moved_by is None:
        raise Conflict("invalid_transition", state=initial.state.value, event=then.value)
    if actor.role not in moved_by.roles:
        raise Forbidden("role_not_allowed")
    for view in views:
        moved_by.guard(actor, view)
    table = cast(Any, model).__table__
    moment = now()
    stamp = {"updated_at": moment} if "updated_at" in table.c else {}
    written = [row | (also or {}) | stamp | {kind.column: moved_by.next_state.value} for row in rows]
    created = bulk_insert(session, table, written, unique_by=unique_by)
    if created is not None:
        rows = [row for row in rows if row["id"] in created]
        written = [row for row in written if row["id"] in created]
        if not rows:
            return []
    bulk_insert(session, cast(Any, AuditEvent).__table__, [
        {"at": moment, "actor_id": actor.user_id, "actor_role": actor.role.value, "entity_type": kind.entity.value,
         "entity_id": row["id"], "event": event.value, "from_state": before, "to_state": after, "detail": extra or {}}
        for event, before, after, extra in ((Event.CREATE, None, initial.state.value, detail),
                                            (then, initial.state.value, moved_by.next_state.value, then_detail))
        for row in rows])
    _moved(session, kind.entity, [SimpleNamespace(**row) for row in written], [initial.state] * len(rows),
           moved_by.next_state)
    for effect in (initial.effect, moved_by.effect):
        if effect is not None:
            for row in rows:
                emit(session, Effect(effect, row["id"]))
    return [row["id"] for row in rows]


def _audit(
    session: Session, actor: Actor, entity: Entity, entity_id: str, event: Event, from_state: Term | None,
    to_state: Term | None, detail: dict[str, Any] | None,
) -> None:
    session.add(
        AuditEvent(
            actor_id=actor.user_id, actor_role=actor.role, entity_type=entity.value, entity_id=entity_id,
            event=event.value, from_state=from_state.value if from_state else None,
            to_state=to_state.value if to_state else None, detail=detail or {},
        )
    )
