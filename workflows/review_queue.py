"""The reviewer's queue: a ward's applications page by page, counts per state, a name search (ADR 11, ADR 12)."""

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Self

from sqlalchemy import Integer, String, func, literal, tuple_, union_all
from sqlalchemy import select as sa_select  # sqlmodel's select types at most four columns
from sqlmodel import Session, col, select

from . import application_counters, names
from .actors import WARD_STAFF, Actor
from .clock import as_utc
from .errors import Invalid, NotFound
from .models import Application, Citizen
from .vocabulary import ApplicationState

PAGE_SIZE = 25
QUEUE_STATES = tuple(s for s in ApplicationState if s is not ApplicationState.DRAFT)


@dataclass(frozen=True)
class QueueRow:
    """One line of the reviewer's queue."""

    id: str
    state: ApplicationState
    version: int
    citizen_name: str
    target_group: str
    submitted_at: Any
    total: int | None


@dataclass(frozen=True)
class Cursor:
    """A place in the queue's order (submitted_at, id): pages run from here, not from an offset.

    A link built on a cursor stays correct while other reviewers move applications out of the list: the next page
    starts after the last row one saw, where an offset would skip rows that slid up.
    """

    submitted_at: datetime
    id: str

    @classmethod
    def of(cls, row: "QueueRow") -> Self:
        return cls(as_utc(row.submitted_at), row.id)

    def token(self) -> str:
        """An opaque, URL-safe token for links and the API."""
        raw = f"{as_utc(self.submitted_at).isoformat()}|{self.id}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def parse(cls, token: str, field: str = "cursor") -> Self:
        """The cursor a token names; Invalid (the field named) for anything else."""
        try:
            at, _, ident = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode().partition("|")
            when = datetime.fromisoformat(at)
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise Invalid(fields={field: "invalid"}) from None
        if not ident or len(ident) > 32 or when.tzinfo is None:
            raise Invalid(fields={field: "invalid"})
        return cls(as_utc(when), ident)


@dataclass(frozen=True)
class QueuePage:
    """One page of a ward's queue, the number of rows behind it, the count per state (for the filter links), and
    the cursors of the pages before and after it (None at either end)."""

    rows: list[QueueRow]
    total: int
    counts: dict[ApplicationState, int]
    page: int = 1
    before: Cursor | None = None
    after: Cursor | None = None


def queue(
    session: Session, actor: Actor, *, state: ApplicationState | None = ApplicationState.SUBMITTED,
    q: str | None = None, page: int = 1, after: Cursor | None = None, before: Cursor | None = None,
    page_size: int | None = None,
) -> QueuePage:
    """One page of the actor's ward queue, oldest submission first; other wards are never visible.

    Two statements whatever the ward's size. Without a search: the counts per state from the application counters,
    then the page. With a name search (diacritics optional): one scan of the ward's part of the queue index finds
    the matches, counts them per state and picks the page, then the page's rows are read (ADR 12).

    Pages are reached by cursor: `after` the last row of the page before, or `before` the first row of the page
    after, each a seek on the (ward, state, submitted_at, id) index; `page` alone (a page typed in, or the API's
    page number) walks that index to an offset. `page` is otherwise only the number shown.
    """
    if actor.role not in WARD_STAFF or actor.ward_code is None:
        raise NotFound()
    size = page_size or PAGE_SIZE
    backwards = before is not None
    where = _ward_filter(actor.ward_code, q)
    if q:
        matches = sa_select(col(Application.id), col(Application.state), col(Application.submitted_at)) \
            .where(*where).cte("matches")  # read twice below: PostgreSQL computes it once
        picked = _page_ids(matches.c.id, matches.c.state, matches.c.submitted_at, state=state, page=page,
                           after=after, before=before, size=size)
        both = union_all(
            sa_select(matches.c.state, func.count(), literal(None, String)).group_by(matches.c.state),
            sa_select(literal(None, String), literal(None, Integer), picked.c.id))
        per_state: dict[str, int] = {}
        ids: list[str] = []
        for st, n, ident in session.execute(both):
            if ident is None:
                per_state[st] = int(n)
            else:
                ids.append(ident)
        chosen: Any = col(Application.id).in_(ids)
    else:  # the whole queue's counts are kept by every change of state (ADR 12)
        per_state = application_counters.by_state(session, actor.ward_code)
        page_ids = _page_ids(col(Application.id), col(Application.state), col(Application.submitted_at),
                             state=state, page=page, after=after, before=before, size=size, where=where)
        chosen = col(Application.id).in_(sa_select(page_ids.c.id))
    counts: dict[ApplicationState, int] = {s: per_state.get(s, 0) for s in QUEUE_STATES}
    total = counts.get(state, 0) if state else sum(counts.values())
    order = ((col(Application.submitted_at).desc(), col(Application.id).desc()) if backwards
             else (col(Application.submitted_at), col(Application.id)))
    found = session.execute(
        sa_select(col(Application.id), col(Application.state), col(Application.version), col(Citizen.full_name),
                  col(Application.target_group), col(Application.submitted_at), col(Application.total))
        .join(Citizen, col(Citizen.id) == col(Application.citizen_id))
        .where(chosen).order_by(*order)
    ).all()
    rows = [QueueRow(id=i, state=ApplicationState(st), version=v, citizen_name=name, target_group=group,
                     submitted_at=at, total=t) for i, st, v, name, group, at, t in found]
    more = len(rows) > size  # one row past the page says there is another page that way
    rows = rows[:size]
    if backwards:
        rows.reverse()
        if not rows:  # everything before has gone: start again at the top
            return queue(session, actor, state=state, q=q, page=1, page_size=size)
        page = max(2, page) if more else 1
    elif after is not None:
        page = max(2, page)
    has_prev = more if backwards else (after is not None or page > 1)
    has_next = True if backwards else more
    return QueuePage(rows=rows, total=total, counts=counts, page=page,
                     before=Cursor.of(rows[0]) if rows and has_prev else None,
                     after=Cursor.of(rows[-1]) if rows and has_next else None)


def _page_ids(
    ident: Any, state_column: Any, submitted_at: Any, *, state: ApplicationState | None, page: int,
    after: Cursor | None, before: Cursor | None, size: int, where: list[Any] | None = None,
) -> Any:
    """The ids of one page (and one more row, to tell whether another follows) over the given columns: the
    application table's, or a search's matches."""
    conditions = [*(where or []), *([state_column == state] if state else [])]
    key = tuple_(submitted_at, ident)
    if before is not None:
        conditions.append(key < tuple_(as_utc(before.submitted_at), before.id))
    elif after is not None:
        conditions.append(key > tuple_(as_utc(after.submitted_at), after.id))
    order = (submitted_at.desc(), ident.desc()) if before is not None else (submitted_at, ident)
    ids = sa_select(ident.label("id")).where(*conditions).order_by(*order).limit(size + 1)
    if before is None and after is None:
        ids = ids.offset((page - 1) * size)
    return ids.subquery()


def next_to_review(session: Session, actor: Actor, current: Application, q: str | None = None) -> str | None:
    """The submitted application that follows `current` in the ward's queue (wrapping to the top), or None.

    One seek on the queue index: what a reviewer opens after saving a verdict.
    """
    if actor.role not in WARD_STAFF or actor.ward_code is None:
        return None
    where = [*_ward_filter(actor.ward_code, q), col(Application.state) == ApplicationState.SUBMITTED,
             col(Application.id) != current.id]
    order = (col(Application.submitted_at), col(Application.id))
    if current.submitted_at is not None:
        later = tuple_(*order) > tuple_(as_utc(current.submitted_at), current.id)
        found = session.exec(select(Application.id).where(*where, later).order_by(*order).limit(1)).first()
        if found:
            return found
    return session.exec(select(Application.id).where(*where).order_by(*order).limit(1)).first()


def _ward_filter(ward_code: str, q: str | None) -> list[Any]:
    """The conditions every queue query shares: the ward's submitted-or-later applications, optionally by name.

    The name is matched anywhere in the folded name kept on the application, which the queue index carries: a
    search reads the ward's part of that index and never the table, whatever the size of the city (ADR 12).
    """
    where: list[Any] = [col(Application.ward_code) == ward_code, col(Application.state) != ApplicationState.DRAFT]
    if q and (folded := names.fold(q)):
        where.append(col(Application.name_folded).contains(folded, autoescape=True))
    return where
