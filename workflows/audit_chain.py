"""The audit trail's seal: every audit record is chained to the one before it by a keyed hash (ADR 36).

A record is sealed when the transaction that wrote it commits: under a lock on the chain's head (one row), the
transaction's new records get the next sequence numbers, in the order they were written, and each gets
`HMAC(key, previous hash + its own content)`. The head keeps the last number and hash. The lock is held only from
the seal to the commit, so transactions that audit queue there and nowhere else. Three statements on PostgreSQL
(lock the head; read the unsealed records, in a snapshot taken after the lock; seal them and move the head), four
on SQLite.

`verify` walks the chain in order and names every record whose content, place or neighbour no longer matches its
seal: an edited record, a deleted one (a gap, or a head beyond the last record), two records swapped. Without the
key (kept out of the database, AUDIT_KEY) a consistent forgery cannot be recomputed from the database alone. The
database refuses updates and deletions of sealed records by trigger (migration 1a2b3c4d5e6f), so an edit needs an
owner who disables the trigger first, and the chain shows it.

Framework-free: the web app and the worker register their engine's key with `use_key`; sessions seal themselves.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import weakref
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import ORMExecuteState
from sqlalchemy.orm import Session as OrmSession

from .models import AuditEvent

GENESIS = "0" * 64  # the hash before the first record
UNKEYED = b"cdht audit chain: no key configured"  # engines made without a key (tests, benchmarks, scratch tools)
_KEYS: weakref.WeakKeyDictionary[Engine, bytes] = weakref.WeakKeyDictionary()
_PENDING = "cdht.audit_pending"
_FIELDS = ("id", "at", "actor_id", "actor_role", "entity_type", "entity_id", "event", "from_state", "to_state",
           "detail")
BATCH = 5_000  # records read at once while verifying
_HEAD_MOVES = text("UPDATE audit_chain_head SET seq = :seq, hash = :hash WHERE id = 1")
_SEAL_ON_POSTGRESQL = text(
    "WITH sealed AS (UPDATE audit_event SET chain_seq = v.s, chain_hash = v.h "
    "FROM unnest(CAST(:i AS integer[]), CAST(:s AS bigint[]), CAST(:h AS varchar[])) AS v(i, s, h) "
    "WHERE audit_event.id = v.i RETURNING 1) "
    "UPDATE audit_chain_head SET seq = :seq, hash = :hash WHERE id = 1")


def use_key(engine: Engine, key: bytes) -> None:
    """Seal and verify the records of this engine's database with `key`."""
    _KEYS[engine] = key


def key_of(engine: Engine) -> bytes:
    """The key registered for `engine` (UNKEYED when none was)."""
    return _KEYS.get(engine, UNKEYED)


def _moment(at: datetime) -> str:
    """A timestamp as the database gives it back, in one spelling whatever the driver (UTC, microseconds)."""
    if at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    return at.isoformat(timespec="microseconds")


def content(row: Mapping[str, Any]) -> bytes:
    """A record's sealed content: its fields in a fixed order, canonical JSON."""
    values = [row[name] for name in _FIELDS]
    values[1] = _moment(values[1])
    return json.dumps(values, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str).encode()


def seal_hash(key: bytes, seq: int, previous: str, row: Mapping[str, Any]) -> str:
    """The record's link in the chain: its number, the hash before it and its content, under the key."""
    return hmac.new(key, f"{seq}:{previous}:".encode() + content(row), hashlib.sha256).hexdigest()


def _record(row: Any) -> dict[str, Any]:
    """A row read with text SQL as PostgreSQL gives it back: SQLite's JSON arrives as text, its time as a string."""
    record = dict(row._mapping)
    if isinstance(record["detail"], str):
        record["detail"] = json.loads(record["detail"])
    if isinstance(record["at"], str):
        record["at"] = datetime.fromisoformat(record["at"])
    return record


# --- sealing at commit ---------------------------------------------------------------------------------------------

def _mark(session: OrmSession) -> None:
    session.info[_PENDING] = True


@event.listens_for(OrmSession, "before_flush")
def _noticed_added(session: OrmSession, _context: Any, _instances: Any) -> None:
    if any(isinstance(obj, AuditEvent) for obj in session.new):
        _mark(session)


@event.listens_for(OrmSession, "do_orm_execute")
def _noticed_inserted(state: ORMExecuteState) -> None:
    statement = state.statement
    if state.is_insert and getattr(getattr(statement, "table", None), "name", None) == AuditEvent.__tablename__:
        _mark(state.session)


@event.listens_for(OrmSession, "before_commit")
def _seal_on_commit(session: OrmSession) -> None:
    # A record added and committed without a flush in between is noticed here: the commit's flush comes after.
    if not (session.info.pop(_PENDING, False) or any(isinstance(obj, AuditEvent) for obj in session.new)):
        return
    session.flush()
    seal(session.connection())


@event.listens_for(OrmSession, "after_rollback")
def _forget(session: OrmSession) -> None:
    session.info.pop(_PENDING, None)


def seal(conn: Connection, limit: int | None = None) -> int:
    """Seal the unsealed records this connection sees (its own transaction's, and any written around the app), in
    the order they were written; return how many. The caller commits."""
    key = key_of(conn.engine)
    lock = " FOR UPDATE" if conn.dialect.name == "postgresql" else ""
    head = conn.execute(text(f"SELECT seq, hash FROM audit_chain_head WHERE id = 1{lock}")).one()  # noqa: S608
    seq, previous = int(head.seq), str(head.hash)
    cap = f" LIMIT {int(limit)}" if limit else ""
    rows = conn.execute(text(f"SELECT {', '.join(_FIELDS)} FROM audit_event "  # noqa: S608
                             f"WHERE chain_seq IS NULL ORDER BY id{cap}")).all()
    if not rows:
        return 0
    sealed = []
    for row in map(_record, rows):
        seq += 1
        previous = seal_hash(key, seq, previous, row)
        sealed.append({"i": row["id"], "s": seq, "h": previous})
    if conn.dialect.name == "postgresql":  # the records and the head in one statement
        conn.execute(_SEAL_ON_POSTGRESQL, {"i": [r["i"] for r in sealed], "s": [r["s"] for r in sealed],
                                           "h": [r["h"] for r in sealed], "seq": seq, "hash": previous})
    else:
        conn.execute(text("UPDATE audit_event SET chain_seq = :s, chain_hash = :h WHERE id = :i"), sealed)
        conn.execute(_HEAD_MOVES, {"seq": seq, "hash": previous})
    return len(sealed)


# --- verification --------------------------------------------------------------------------------------------------

@dataclass
class Report:
    """What a walk of the chain found."""

    checked: int = 0
    head_seq: int = 0
    unsealed: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        """True when every record matches its seal and the chain is whole."""
        return not self.problems


def _chain(conn: Connection) -> Iterator[dict[str, Any]]:
    last = 0
    while True:
        rows = conn.execute(text(f"SELECT chain_seq, chain_hash, {', '.join(_FIELDS)} FROM audit_event "  # noqa: S608
                                 "WHERE chain_seq > :after ORDER BY chain_seq LIMIT :n"),
                            {"after": last, "n": BATCH}).all()
        if not rows:
            return
        yield from map(_record, rows)
        last = int(rows[-1].chain_seq)


MAX_PROBLEMS = 100  # named one by one; past that, counted


def verify(conn: Connection) -> Report:
    """Walk the chain from its first record and name every break (see the module's docstring)."""
    key = key_of(conn.engine)
    report = Report()
    broken = 0

    def problem(message: str) -> None:
        nonlocal broken
        broken += 1
        if len(report.problems) < MAX_PROBLEMS:
            report.problems.append(message)

    expected, previous = 1, GENESIS
    for row in _chain(conn):
        seq = int(row["chain_seq"])
        if seq != expected:
            problem(f"records {expected}–{seq - 1} of the chain are missing (deleted)" if seq > expected + 1
                    else f"record {expected} of the chain is missing (deleted)")
        if not hmac.compare_digest(seal_hash(key, seq, previous, row), str(row["chain_hash"])):
            problem(f"record {seq} (audit id {row['id']}) does not match its seal (edited, or moved from its place)")
        previous, expected = str(row["chain_hash"]), seq + 1
        report.checked += 1
    head = conn.execute(text("SELECT seq, hash FROM audit_chain_head WHERE id = 1")).one_or_none()
    report.head_seq = int(head.seq) if head else 0
    if head is not None and int(head.seq) != expected - 1:
        problem(f"the chain's head names record {int(head.seq)}, the last record found is {expected - 1} "
                "(records deleted from the end, or the head changed)")
    elif head is not None and head.hash != previous:
        problem("the chain's head does not match its last record")
    report.unsealed = int(conn.execute(text("SELECT count(*) FROM audit_event WHERE chain_seq IS NULL")).scalar_one())
    if broken > MAX_PROBLEMS:
        report.problems.append(f"… and {broken - MAX_PROBLEMS} more")
    return report
