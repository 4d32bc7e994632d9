"""Register numbers (số vào sổ): two decisions signed at the same moment in one ward both succeed, with distinct,
consecutive numbers; a decision that rolls back gives its numbers back."""

import itertools
import threading

from factories import make_citizen, make_staff, scores, submitted_application
from sqlmodel import Session, col, select

from workflows import decisions, register_numbers, review
from workflows.actors import Actor
from workflows.inputs import DecisionInput, ReviewInput, parse
from workflows.models import Certificate

_codes = itertools.count(1)


def _approved(session: Session, how_many: int) -> list[str]:
    reviewer = make_staff(session, "ward_reviewer")
    ids = []
    for _ in range(how_many):
        citizen, _ = make_citizen(session)
        aid = submitted_application(session, citizen)
        review.review(session, reviewer, aid,
                      parse(ReviewInput, {"action": "approve", "scores": scores(9), "version": 2}))
        ids.append(aid)
    session.commit()
    return ids


def _decide(session: Session, chair: Actor, number: str, ids: list[str]) -> list[Certificate]:
    _decision, certs = decisions.record_decision(
        session, chair, parse(DecisionInput, {"year": 2026, "number": number, "signed_on": "2026-11-02",
                                              "signer_name": "Nguyễn Văn Thắng", "application_ids": ids}),
        new_code=lambda: f"C{next(_codes):04d}-TEST", verify_url=lambda c: f"https://x/verify/{c}")
    return certs


def _numbers(session: Session) -> list[int]:
    found = session.exec(select(Certificate.register_number).where(col(Certificate.ward_code) == "00004"))
    return sorted(int(n.rsplit("-", 1)[1]) for n in found)


def test_two_decisions_at_once_in_one_ward_get_distinct_consecutive_numbers(session: Session) -> None:
    first_ids, second_ids = _approved(session, 3), _approved(session, 2)
    chair = make_staff(session, "ward_chair")
    engine = session.get_bind()
    errors: list[BaseException] = []
    second_done = threading.Event()
    with Session(engine, expire_on_commit=False) as one, Session(engine, expire_on_commit=False) as two:
        _decide(one, chair, "101/QĐ-UBND", first_ids)  # holds the ward's sequence until it commits

        def sign_second() -> None:
            try:
                _decide(two, chair, "102/QĐ-UBND", second_ids)
                two.commit()
            except BaseException as exc:
                errors.append(exc)
                two.rollback()
            finally:
                second_done.set()

        worker = threading.Thread(target=sign_second)
        worker.start()
        # The second decision waits for the first's row (PostgreSQL) or for its write lock (SQLite).
        assert not second_done.wait(1.0)
        one.commit()
        worker.join(30)
    assert not errors, errors
    session.expire_all()
    assert _numbers(session) == [1, 2, 3, 4, 5]
    assert register_numbers.check(session) == []


def test_a_decision_rolled_back_leaves_no_gap(session: Session) -> None:
    kept, dropped = _approved(session, 2), _approved(session, 2)
    chair = make_staff(session, "ward_chair")
    _decide(session, chair, "201/QĐ-UBND", dropped)
    session.rollback()
    _decide(session, chair, "202/QĐ-UBND", kept)
    session.commit()
    assert _numbers(session) == [1, 2]
    assert register_numbers.take(session, "00004", 2026, 3) == 3  # the next decision starts right after
    session.rollback()


def test_check_names_a_sequence_behind_its_certificates(session: Session) -> None:
    chair = make_staff(session, "ward_chair")
    _decide(session, chair, "301/QĐ-UBND", _approved(session, 2))
    session.commit()
    register_numbers.take(session, "00004", 2026, 1)  # a number taken with no certificate
    assert register_numbers.check(session) == [("00004", 2026, 2, 3)]
    assert register_numbers.rebuild(session) == 1
    assert register_numbers.check(session) == []
    session.commit()
