"""The reviewer's queue: cursor pages that stay correct while the list changes, and the name search."""

import pytest
from sqlmodel import Session

from tests.factories import make_citizen, make_staff, submitted_application
from workflows import application_counters
from workflows import review_queue as reviewing
from workflows.errors import Invalid, NotFound
from workflows.models import Application
from workflows.vocabulary import ApplicationState, Role

SIZE = 4


@pytest.fixture
def ward(session: Session) -> tuple[object, list[str]]:
    """A reviewer and eleven submitted applications of their ward, oldest first; one more in another ward."""
    reviewer = make_staff(session, Role.WARD_REVIEWER, ward="00070")
    ids = []
    for n in range(11):
        citizen, _ = make_citizen(session, ward="00070", full_name=f"Trần Thị Ánh {n:02d}" if n % 2 else f"Lê Văn {n}")
        ids.append(submitted_application(session, citizen))
    other, _ = make_citizen(session, ward="00004")
    submitted_application(session, other)
    return reviewer, ids


def _walk(session: Session, reviewer: object, **filters: object) -> list[list[str]]:
    pages, found = [], reviewing.queue(session, reviewer, page_size=SIZE, **filters)  # type: ignore[arg-type]
    pages.append([r.id for r in found.rows])
    while found.after:
        found = reviewing.queue(session, reviewer, page_size=SIZE, after=found.after, **filters)  # type: ignore[arg-type]
        pages.append([r.id for r in found.rows])
    return pages


def test_cursor_pages_visit_every_row_once_in_order(session: Session, ward) -> None:
    _cursor_tokens_round_trip_and_damaged_ones_are_named(session, ward)
    _next_to_review_follows_the_current_one_and_wraps(session, ward)
    _citizens_have_no_queue(session, ward)
    reviewer, ids = ward
    pages = _walk(session, reviewer)
    assert pages == [ids[0:4], ids[4:8], ids[8:11]]
    first = reviewing.queue(session, reviewer, page_size=SIZE)
    assert first.before is None and first.page == 1 and first.total == 11
    # The counts come from the counters, which every birth and submission moved: they agree with a recount.
    assert first.counts[ApplicationState.SUBMITTED] == 11 and first.counts[ApplicationState.APPROVED] == 0
    assert application_counters.check(session) == []


def _rows_leaving_the_list_do_not_make_the_next_page_skip_any(session: Session, ward) -> None:
    reviewer, ids = ward
    first = reviewing.queue(session, reviewer, page_size=SIZE)
    for app_id in ids[:3]:  # another reviewer approves three rows of page 1 meanwhile
        app = session.get(Application, app_id)
        assert app is not None
        app.state = ApplicationState.APPROVED
        session.add(app)
    session.commit()
    second = reviewing.queue(session, reviewer, page_size=SIZE, after=first.after, page=2)
    assert [r.id for r in second.rows] == ids[4:8]  # an offset of 4 would have started at ids[7]
    assert second.page == 2


def test_previous_page_by_cursor_and_back_to_the_top(session: Session, ward) -> None:
    """Then: another reviewer approves rows of page 1 while this one reads it."""
    _previous_page_by_cursor_and_back_to_the_top(session, ward)
    _rows_leaving_the_list_do_not_make_the_next_page_skip_any(session, ward)


def _previous_page_by_cursor_and_back_to_the_top(session: Session, ward) -> None:
    reviewer, ids = ward
    first = reviewing.queue(session, reviewer, page_size=SIZE)
    second = reviewing.queue(session, reviewer, page_size=SIZE, after=first.after, page=2)
    third = reviewing.queue(session, reviewer, page_size=SIZE, after=second.after, page=3)
    assert third.after is None and [r.id for r in third.rows] == ids[8:]
    back = reviewing.queue(session, reviewer, page_size=SIZE, before=third.before, page=2)
    assert [r.id for r in back.rows] == ids[4:8] and back.page == 2 and back.after is not None
    top = reviewing.queue(session, reviewer, page_size=SIZE, before=back.before, page=1)
    assert [r.id for r in top.rows] == ids[:4] and top.page == 1 and top.before is None


def test_a_numbered_page_still_works_and_search_folds_diacritics(session: Session, ward) -> None:
    reviewer, ids = ward
    assert [r.id for r in reviewing.queue(session, reviewer, page_size=SIZE, page=3).rows] == ids[8:]
    found = reviewing.queue(session, reviewer, q="tran thi anh", page_size=SIZE)
    assert found.total == 5 and all(r.citizen_name.startswith("Trần Thị Ánh") for r in found.rows)
    assert [i for page in _walk(session, reviewer, q="ÁNH") for i in page] == ids[1::2]


def _cursor_tokens_round_trip_and_damaged_ones_are_named(session: Session, ward) -> None:
    reviewer, _ = ward
    cursor = reviewing.queue(session, reviewer, page_size=SIZE).after
    assert cursor is not None
    assert reviewing.Cursor.parse(cursor.token()) == cursor
    for bad in ("", "%%%", "bm90IGEgY3Vyc29y", "MjAyNi0xMS0yN1QwMDowMDowMHxhYmM"):
        with pytest.raises(Invalid) as caught:
            reviewing.Cursor.parse(bad)
        assert caught.value.fields == {"cursor": "invalid"}


def _next_to_review_follows_the_current_one_and_wraps(session: Session, ward) -> None:
    reviewer, ids = ward
    current = session.get(Application, ids[5])
    assert reviewing.next_to_review(session, reviewer, current) == ids[6]
    last = session.get(Application, ids[10])
    assert reviewing.next_to_review(session, reviewer, last) == ids[0]


def _citizens_have_no_queue(session: Session, ward) -> None:
    citizen, _ = make_citizen(session, ward="00070")
    with pytest.raises(NotFound):
        reviewing.queue(session, citizen)
