"""What every counter table shares: add to counters, compare them with a recount, replace them by a recount."""

from collections import Counter
from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, func, insert, literal, select, text, union_all
from sqlmodel import Session
from sqlmodel.sql.sqltypes import UTCDateTime

from .clock import now
from .db import dialect_insert


def add(session: Session, model: Any, key: tuple[str, ...], count: str,
        deltas: Iterable[tuple[tuple[Any, ...], int]]) -> None:
    """Add each (key values, delta) to its counter row: one statement for them all, in the session's transaction.

    A multi-row `INSERT … ON CONFLICT DO UPDATE SET n = n + excluded.n`: a first change creates its row; two
    transactions at once both count (the second waits for the first's row, never reads it). Rows are taken in key
    order, so two transactions never lock two counters in opposite orders.
    """
    summed: Counter[tuple[Any, ...]] = Counter()
    for values, delta in deltas:
        summed[values] += delta
    moment = now()
    rows = [dict(zip(key, values, strict=True)) | {count: delta, "updated_at": moment}
            for values, delta in sorted(summed.items()) if delta]
    if not rows:
        return
    stmt = dialect_insert(session, model).values(rows)
    stmt = stmt.on_conflict_do_update(index_elements=list(key), set_={
        count: getattr(model, count) + getattr(stmt.excluded, count), "updated_at": stmt.excluded.updated_at})
    session.execute(stmt)


def rows(session: Session, model: Any) -> int:
    """How many rows a counter table has."""
    return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def differences(session: Session, recount: Any, stored: Any) -> list[tuple[Any, ...]]:
    """(key…, counted, stored) for every key where `recount` and `stored` (two selects of key columns then a
    count, in the same order) disagree; a key missing on one side counts 0 there. Ordered by key.

    One statement (both sides summed per key), so it reads one snapshot: a change committing meanwhile is wholly
    in it or wholly out of it, never a false difference.
    """
    counted, kept = recount.subquery(), stored.subquery()
    *keys, n = counted.c
    *stored_keys, m = kept.c
    both = union_all(select(*keys, n.label("counted"), literal(0).label("stored")),
                     select(*stored_keys, literal(0), m)).subquery()
    key = list(both.c)[:-2]
    stmt = (select(*key, func.sum(both.c.counted), func.sum(both.c.stored)).group_by(*key)
            .having(func.sum(both.c.counted) != func.sum(both.c.stored)).order_by(*key))
    return [tuple(row) for row in session.execute(stmt)]


def replace(session: Session, model: Any, columns: list[str], recount: Any) -> int:
    """Replace every row of a counter table by `recount` (its key columns then the count, named by `columns`
    without `updated_at`); return the number of rows.

    On PostgreSQL the table is locked first (EXCLUSIVE: reads go on, counting writers wait), so a change running
    meanwhile is either in the recount or moves the rebuilt row after it, never lost or counted twice.
    """
    table = model.__table__
    if session.get_bind().dialect.name == "postgresql":
        session.connection().execute(text(f"LOCK TABLE {table.name} IN EXCLUSIVE MODE"))
    session.execute(delete(table))
    session.execute(insert(table).from_select([*columns, "updated_at"],
                                              recount.add_columns(literal(now(), UTCDateTime()))))
    return rows(session, model)
