"""The reviewer's queue: a ward's applications page by page, counts per state, a name search (ADR 11, ADR 12)."""

import base64
import binascii
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Self

from sqlalchemy import Integer, String, func, literal, tuple_, union_all
from sqlalchemy import select as sa_select  # sqlmodel's select types at most four columns
from sqlmodel import Session, col, select

from . import application_counters, names
from .actors import WARD_STAFF, Actor
from .clock import as_utc, now
from .db import IN_CHUNK
from .errors import Invalid, NotFound
from .models import Application, Citizen, User
from .vocabulary import ApplicationState

PAGE_SIZE = 25
# A filtered view counts each state's matches up to here and says "at least" beyond: a reviewer needs to know there
# are thousands, not how many thousands, and counting a ward's 100,000 exactly costs a scan of all of them.
COUNT_CAP = 10_000
QUEUE_STATES = tuple(s for s in ApplicationState if s is not ApplicationState.DRAFT)
# The queue's orders: oldest submission first (the default: first come, first served), newest first, or by name in
# the order of Vietnamese lists (given name, family name, middle names). Each is a walk of one index.
OLDEST, NEWEST, BY_NAME = "oldest", "newest", "name"
SORTS = (OLDEST, NEWEST, BY_NAME)


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
    hamlet: str | None = None
    assignee_name: str | None = None
    passes: bool = False
    has_evidence: bool = False
    birth_year: int | None = None  # with the tổ dân phố / thôn, tells namesakes apart
    name_sort: str = ""  # the name's key in list order (workflows.names.sort_key)


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
class NameCursor:
    """A place in the queue's order by name (name key, id); its token starts with "~", which no time token does."""

    name: str
    id: str

    @classmethod
    def of(cls, row: "QueueRow") -> Self:
        return cls(row.name_sort, row.id)

    def token(self) -> str:
        return "~" + base64.urlsafe_b64encode(f"{self.name}|{self.id}".encode()).decode().rstrip("=")

    @classmethod
    def parse(cls, token: str, field: str = "cursor") -> Self:
        try:
            raw = base64.urlsafe_b64decode(token[1:] + "=" * (-len(token[1:]) % 4)).decode()
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise Invalid(fields={field: "invalid"}) from None
        name, _, ident = raw.rpartition("|")
        if not token.startswith("~") or not ident or len(ident) > 32 or len(name) > 200:
            raise Invalid(fields={field: "invalid"})
        return cls(name, ident)


def parse_cursor(token: str, sort: str = OLDEST, field: str = "cursor") -> "Cursor | NameCursor":
    """The cursor a token of the given order names; Invalid (the field named) for anything else, including a token
    of another order."""
    return NameCursor.parse(token, field) if sort == BY_NAME else Cursor.parse(token, field)


AnyCursor = Cursor | NameCursor

NOBODY = "none"  # the assignee filter's value for applications nobody holds yet


@dataclass(frozen=True)
class Filters:
    """What a reviewer narrows the queue by, besides the state (ADR 26). None: not filtered by it."""

    q: str | None = None  # a name, diacritics optional
    target_group: str | None = None
    hamlet: str | None = None  # a code of the ward's list of tổ dân phố / thôn
    assignee: str | None = None  # a user id, or NOBODY
    waited_days: int | None = None  # submitted at least this many days ago
    has_evidence: bool | None = None
    passes: bool | None = None

    def any(self) -> bool:
        """Whether any filter is set (the state aside)."""
        return any(v not in (None, "") for v in vars(self).values())


@dataclass(frozen=True)
class QueuePage:
    """One page of a ward's queue, the number of rows behind it, the count per state (for the filter links), and
    the cursors of the pages before and after it (None at either end)."""

    rows: list[QueueRow]
    total: int
    counts: dict[ApplicationState, int]
    page: int = 1
    before: AnyCursor | None = None
    after: AnyCursor | None = None
    # Filtered counts stop at COUNT_CAP: the states whose count is "at least", and whether `total` is exact.
    capped: frozenset[ApplicationState] = frozenset()
    total_exact: bool = True


def queue(
    session: Session, actor: Actor, *, state: ApplicationState | None = ApplicationState.SUBMITTED,
    q: str | None = None, page: int = 1, after: AnyCursor | None = None, before: AnyCursor | None = None,
    page_size: int | None = None, filters: Filters | None = None, sort: str = OLDEST,
) -> QueuePage:
    """One page of the actor's ward queue in the order `sort` names (SORTS; oldest submission first unless asked);
    other wards are never visible.

    Two statements whatever the ward's size. Without a filter: the counts per state from the application counters,
    then the page. With a name search: one scan of the matches counts them per state and picks the page (ADR 12).
    With any other filter, or for a reviewer of some tổ dân phố / thôn: one statement counts each state's matches on
    a queue index (up to COUNT_CAP, then "at least") and picks the page (ADR 26). Then the page's rows are read.

    Pages are reached by cursor: `after` the last row of the page before, or `before` the first row of the page
    after, each a seek on the (ward, state, submitted_at, id) index; `page` alone (a page typed in, or the API's
    page number) walks that index to an offset. `page` is otherwise only the number shown.
    """
    if actor.role not in WARD_STAFF or actor.ward_code is None:
        raise NotFound()
    if sort not in SORTS:
        raise Invalid(fields={"sort": "invalid"})
    for cursor in (after, before):
        if cursor is not None and isinstance(cursor, NameCursor) != (sort == BY_NAME):
            raise Invalid(fields={"cursor": "invalid"})  # a link of another order
    size = page_size or PAGE_SIZE
    backwards = before is not None
    filters = filters or Filters()
    if q:
        filters = replace(filters, q=q)
    where = _conditions(actor, filters)
    capped: set[ApplicationState] = set()
    if filters.q:
        # A name search: one scan of the matching part of the index finds the matches (few, as a name is rare; a
        # common one is still one scan), counts them exactly per state and picks the page (ADR 12).
        # Only the order's own column rides along, so that the matches are read from that order's index alone.
        matches = sa_select(col(Application.id), col(Application.state),
                            _key_column(Application, sort).label("key")).where(*where).cte("matches")  # read twice
        found_ids = _page_ids(matches.c.id, matches.c.state, matches.c.key, state=state, page=page,
                              after=after, before=before, size=size, descending=sort == NEWEST)
        both = union_all(
            sa_select(matches.c.state, func.count(), literal(None, String)).group_by(matches.c.state),
            sa_select(literal(None, String), literal(None, Integer), found_ids.c.id))
        per_state: dict[str, int] = {}
        ids: list[str] = []
        for st, n, ident in session.execute(both):
            if ident is None:
                per_state[st] = int(n)
            else:
                ids.append(ident)
        chosen: Any = col(Application.id).in_(ids)
    elif filters.any() or actor.hamlets is not None:
        # One statement: each state's matches counted up to COUNT_CAP + 1 (a seek on the queue index per state that
        # stops there: a filter most rows pass costs no more than a narrow one), and the page's ids (ADR 26).
        picked = _page_ids(col(Application.id), col(Application.state), _key_column(Application, sort),
                           state=state, page=page, after=after, before=before, size=size, where=where,
                           descending=sort == NEWEST)
        parts: list[Any] = [
            sa_select(literal(s.value, String), func.count(), literal(None, String)).select_from(
                sa_select(literal(1).label("one")).where(*where, col(Application.state) == s)
                .limit(COUNT_CAP + 1).subquery())
            for s in QUEUE_STATES]
        parts.append(sa_select(literal(None, String), literal(None, Integer), picked.c.id))
        per_state, ids = {}, []
        for st, n, ident in session.execute(union_all(*parts)):
            if ident is None:
                per_state[st] = min(int(n), COUNT_CAP)
                if int(n) > COUNT_CAP:
                    capped.add(ApplicationState(st))
            else:
                ids.append(ident)
        chosen = col(Application.id).in_(ids)
    else:  # the whole queue's counts are kept by every change of state (ADR 12)
        per_state = application_counters.by_state(session, actor.ward_code)
        page_ids = _page_ids(col(Application.id), col(Application.state), _key_column(Application, sort),
                             state=state, page=page, after=after, before=before, size=size, where=where,
                             descending=sort == NEWEST)
        chosen = col(Application.id).in_(sa_select(page_ids.c.id))
    counts: dict[ApplicationState, int] = {s: per_state.get(s, 0) for s in QUEUE_STATES}
    total = counts.get(state, 0) if state else sum(counts.values())
    key = _key_column(Application, sort)
    order = ((key.desc(), col(Application.id).desc()) if backwards != (sort == NEWEST)
             else (key, col(Application.id)))
    found = session.execute(
        sa_select(col(Application.id), col(Application.state), col(Application.version), col(Citizen.full_name),
                  col(Application.target_group), col(Application.submitted_at), col(Application.total),
                  col(Application.hamlet), col(User.display_name), col(Application.passes),
                  col(Application.has_evidence), col(Citizen.date_of_birth), col(Application.name_sort))
        .join(Citizen, col(Citizen.id) == col(Application.citizen_id))
        .outerjoin(User, col(User.id) == col(Application.assignee_id))
        .where(chosen).order_by(*order)
    ).all()
    rows = [QueueRow(id=i, state=ApplicationState(st), version=v, citizen_name=name, target_group=group,
                     submitted_at=at, total=t, hamlet=hamlet, assignee_name=holder, passes=bool(ok),
                     has_evidence=bool(ev), birth_year=born.year if born else None, name_sort=key_name)
            for i, st, v, name, group, at, t, hamlet, holder, ok, ev, born, key_name in found]
    more = len(rows) > size  # one row past the page says there is another page that way
    rows = rows[:size]
    if backwards:
        rows.reverse()
        if not rows:  # everything before has gone: start again at the top
            return queue(session, actor, state=state, page=1, page_size=size, filters=filters, sort=sort)
        page = max(2, page) if more else 1
    elif after is not None:
        page = max(2, page)
    has_prev = more if backwards else (after is not None or page > 1)
    has_next = True if backwards else more
    place = NameCursor.of if sort == BY_NAME else Cursor.of
    return QueuePage(rows=rows, total=total, counts=counts, page=page,
                     before=place(rows[0]) if rows and has_prev else None,
                     after=place(rows[-1]) if rows and has_next else None,
                     capped=frozenset(capped), total_exact=not (capped & ({state} if state else set(QUEUE_STATES))))


def _key_column(source: Any, sort: str) -> Any:
    """The column a sort orders by (then by id)."""
    return source.name_sort if sort == BY_NAME else source.submitted_at


def _key_value(cursor: AnyCursor) -> Any:
    return cursor.name if isinstance(cursor, NameCursor) else as_utc(cursor.submitted_at)


def _page_ids(
    ident: Any, state_column: Any, key_column: Any, *, state: ApplicationState | None, page: int,
    after: AnyCursor | None, before: AnyCursor | None, size: int, where: list[Any] | None = None,
    descending: bool = False,
) -> Any:
    """The ids of one page (and one more row, to tell whether another follows) over the given columns: the
    application table's, or a search's matches; in the order of `key_column` then id (descending: newest first)."""
    conditions = [*(where or []), *([state_column == state] if state else [])]
    key = tuple_(key_column, ident)
    if before is not None:  # the rows just before the cursor, walking back
        place = tuple_(_key_value(before), before.id)
        conditions.append(key > place if descending else key < place)
    elif after is not None:
        place = tuple_(_key_value(after), after.id)
        conditions.append(key < place if descending else key > place)
    backwards = (before is not None) != descending
    order = (key_column.desc(), ident.desc()) if backwards else (key_column, ident)
    ids = sa_select(ident.label("id")).where(*conditions).order_by(*order).limit(size + 1)
    if before is None and after is None:
        ids = ids.offset((page - 1) * size)
    return ids.subquery()


def next_to_review(session: Session, actor: Actor, current: Application, q: str | None = None,
                   filters: Filters | None = None) -> str | None:
    """The submitted application that follows `current` in the ward's queue (wrapping to the top), or None.

    One seek on the queue index: what a reviewer opens after saving a verdict.
    """
    if actor.role not in WARD_STAFF or actor.ward_code is None:
        return None
    where = [*_conditions(actor, filters or Filters(q=q)), col(Application.state) == ApplicationState.SUBMITTED,
             col(Application.id) != current.id]
    order = (col(Application.submitted_at), col(Application.id))
    if current.submitted_at is not None:
        later = tuple_(*order) > tuple_(as_utc(current.submitted_at), current.id)
        found = session.exec(select(Application.id).where(*where, later).order_by(*order).limit(1)).first()
        if found:
            return found
    return session.exec(select(Application.id).where(*where).order_by(*order).limit(1)).first()


def _conditions(actor: Actor, filters: Filters) -> list[Any]:
    """The conditions of a queue query: the actor's ward (and their tổ dân phố / thôn, for a reviewer of some),
    submitted or later, and the filters set.

    Every column they test is carried by the queue indexes: a filtered page is read from an index, never from the
    table (ADR 12, ADR 26). The name is matched anywhere in the folded name kept on the application.
    """
    assert actor.ward_code is not None
    where: list[Any] = [col(Application.ward_code) == actor.ward_code,
                        col(Application.state) != ApplicationState.DRAFT]
    if actor.hamlets is not None:
        where.append(col(Application.hamlet_code).in_(actor.hamlets))
    if filters.q and (folded := names.fold(filters.q)):
        where.append(col(Application.name_folded).contains(folded, autoescape=True))
    if filters.target_group:
        where.append(col(Application.target_group) == filters.target_group)
    if filters.hamlet:
        where.append(col(Application.hamlet_code) == filters.hamlet)
    if filters.assignee == NOBODY:
        where.append(col(Application.assignee_id).is_(None))
    elif filters.assignee:
        where.append(col(Application.assignee_id) == filters.assignee)
    if filters.waited_days is not None:
        where.append(col(Application.submitted_at) <= now() - timedelta(days=filters.waited_days))
    if filters.has_evidence is not None:
        where.append(col(Application.has_evidence) == filters.has_evidence)
    if filters.passes is not None:
        where.append(col(Application.passes) == filters.passes)
    return where


def matching(session: Session, actor: Actor, filters: Filters, *, limit: int) -> list[tuple[str, int]]:
    """(id, version) of the submitted applications matching the filters whose scores pass the rule, oldest first, at
    most `limit`: what "propose all that match" proposes. One read of a queue index."""
    if actor.role not in WARD_STAFF or actor.ward_code is None:
        raise NotFound()
    stmt = (sa_select(col(Application.id), col(Application.version))
            .where(*_conditions(actor, replace(filters, passes=True)),
                   col(Application.state) == ApplicationState.SUBMITTED)
            .order_by(col(Application.submitted_at), col(Application.id)).limit(limit))
    return [(i, int(v)) for i, v in session.execute(stmt)]


def names_of(session: Session, actor: Actor, ids: list[str]) -> dict[str, str]:
    """{application id: the citizen's name} for a few applications of the actor's queue (the ones a bulk step left
    as they were); another ward's or another area's never."""
    if actor.role not in WARD_STAFF or actor.ward_code is None:
        return {}
    found: dict[str, str] = {}
    mine = _conditions(actor, Filters())
    for start in range(0, len(ids), IN_CHUNK):
        found.update((i, name) for i, name in session.execute(
            sa_select(col(Application.id), col(Citizen.full_name))
            .join(Citizen, col(Citizen.id) == col(Application.citizen_id))
            .where(col(Application.id).in_(ids[start:start + IN_CHUNK]), *mine)))
    return found


EXPORT_MAX = 100_000  # a ward's whole year fits; more is a question for the city's reports


@dataclass(frozen=True)
class ExportRow:
    """One line of the queue's list as a file: no identity number, the birth year to tell namesakes apart."""

    name: str
    birth_year: int
    sex: str
    hamlet: str | None
    target_group: str
    submitted_at: Any
    total: int | None
    passes: bool
    has_evidence: bool
    assignee: str | None
    state: str


def export(session: Session, actor: Actor, filters: Filters, *,
           state: ApplicationState | None = ApplicationState.SUBMITTED) -> list[ExportRow]:
    """Every application of the queue the filters select (the actor's part of the ward), oldest first, at most
    EXPORT_MAX: one statement over the queue index and the citizens' rows."""
    if actor.role not in WARD_STAFF or actor.ward_code is None:
        raise NotFound()
    where = _conditions(actor, filters) + ([col(Application.state) == state] if state else [])
    stmt = (sa_select(col(Citizen.full_name), col(Citizen.date_of_birth), col(Citizen.sex), col(Application.hamlet),
                      col(Application.target_group), col(Application.submitted_at), col(Application.total),
                      col(Application.passes), col(Application.has_evidence), col(User.display_name),
                      col(Application.state))
            .join(Citizen, col(Citizen.id) == col(Application.citizen_id))
            .outerjoin(User, col(User.id) == col(Application.assignee_id))
            .where(*where).order_by(col(Application.submitted_at), col(Application.id)).limit(EXPORT_MAX))
    return [ExportRow(name, born.year, sex, hamlet, group, at, total, bool(ok), bool(ev), holder, st)
            for name, born, sex, hamlet, group, at, total, ok, ev, holder, st in session.execute(stmt)]
