"""The audit trail is append-only and hash-chained (ADR 36): the database refuses edits and deletions, and
`flask audit verify` names an edit, a deletion and a reordering made by someone who got past the guard."""

import threading

import pytest
from conftest import audit_unguarded
from factories import make_citizen, make_staff, submitted_application
from flask import Flask
from sqlalchemy import insert, text
from sqlalchemy.exc import DatabaseError
from sqlmodel import Session, col, select

from workflows import audit_chain, states
from workflows.models import Application, AuditEvent


@pytest.fixture
def trail(app: Flask, session: Session) -> list[int]:
    """A short real history: citizens registered, an application submitted and approved; the chain's seqs."""
    for _ in range(2):
        citizen, _ = make_citizen(session)
        aid = submitted_application(session, citizen)
    reviewer = make_staff(session, "ward_reviewer")
    states.apply_event(session, session.get(Application, aid), "approve", reviewer)
    session.commit()
    seqs = list(session.exec(select(AuditEvent.chain_seq).order_by(col(AuditEvent.chain_seq))))
    session.commit()  # hold no lock on the table while a test alters it (TRUNCATE would wait for it)
    return seqs


def _verify(app: Flask) -> audit_chain.Report:
    with app.extensions["cdht"].engine.connect() as conn:
        return audit_chain.verify(conn)


def _cli(app: Flask, *args: str) -> tuple[int, str]:
    """Exit code and output (stdout and stderr, as click 8.2+ gives them together)."""
    result = app.test_cli_runner().invoke(args=["audit", *args])
    return result.exit_code, result.output


def test_every_commit_seals_its_records_in_order(app: Flask, trail: list[int]) -> None:
    assert trail == list(range(1, len(trail) + 1)) and len(trail) >= 6
    report = _verify(app)
    assert report.clean and report.checked == len(trail) and report.head_seq == len(trail) and report.unsealed == 0
    code, out = _cli(app, "verify")
    assert code == 0 and f"{len(trail)} records" in out


def test_a_record_committed_without_a_flush_is_sealed(app: Flask, trail: list[int]) -> None:
    """The commit's own flush comes after its before_commit hook: a record added just before is sealed all the same."""
    with Session(app.extensions["cdht"].engine) as s:
        s.add(AuditEvent(actor_role="system", entity_type="command", entity_id="by-commit", event="command"))
        s.commit()
    report = _verify(app)
    assert report.clean and report.unsealed == 0 and report.checked == len(trail) + 1


def test_a_rolled_back_transaction_takes_no_place_in_the_chain(app: Flask, session: Session, trail: list[int]) -> None:
    make_citizen(session)
    session.rollback()
    make_citizen(session)
    session.commit()
    seqs = list(session.exec(select(AuditEvent.chain_seq).order_by(col(AuditEvent.chain_seq))))
    assert seqs == list(range(1, len(seqs) + 1))
    assert _verify(app).clean


def test_the_database_refuses_to_edit_or_delete_a_record(app: Flask, trail: list[int]) -> None:
    engine = app.extensions["cdht"].engine
    for statement in ("UPDATE audit_event SET actor_role = 'city_admin' WHERE chain_seq = 2",
                      "UPDATE audit_event SET chain_hash = NULL, chain_seq = NULL WHERE chain_seq = 2",
                      "DELETE FROM audit_event WHERE chain_seq = 2",
                      "UPDATE audit_chain_head SET seq = 1",
                      "DELETE FROM audit_chain_head",
                      *(["TRUNCATE audit_event"] if engine.dialect.name == "postgresql" else [])):
        with pytest.raises(DatabaseError, match=r"append-only|only moves forward"), engine.begin() as conn:
            conn.execute(text(statement))
    assert _verify(app).clean


def _tamper(app: Flask, *statements: str) -> None:
    with app.extensions["cdht"].engine.begin() as conn, audit_unguarded(conn):
        for statement in statements:
            conn.execute(text(statement))


def test_verify_names_an_edited_record(app: Flask, trail: list[int]) -> None:
    _tamper(app, "UPDATE audit_event SET actor_role = 'city_admin' WHERE chain_seq = 3")
    report = _verify(app)
    assert not report.clean
    assert report.problems == [report.problems[0]] and "record 3 " in report.problems[0]
    code, out = _cli(app, "verify")
    assert code == 1 and "BROKEN: record 3 " in out


def test_verify_names_a_deleted_record_and_a_cut_tail(app: Flask, trail: list[int]) -> None:
    _tamper(app, "DELETE FROM audit_event WHERE chain_seq = 2")
    problems = _verify(app).problems
    assert any("record 2 of the chain is missing" in p for p in problems)
    assert any("record 3 " in p and "does not match" in p for p in problems)  # its link to record 2 is gone too
    last = trail[-1]
    _tamper(app, f"DELETE FROM audit_event WHERE chain_seq = {last}")
    assert any(f"names record {last}, the last record found is {last - 1}" in p for p in _verify(app).problems)


def test_verify_names_two_records_swapped(app: Flask, trail: list[int]) -> None:
    _tamper(app, "UPDATE audit_event SET chain_seq = -4 WHERE chain_seq = 4",
            "UPDATE audit_event SET chain_seq = 4 WHERE chain_seq = 5",
            "UPDATE audit_event SET chain_seq = 5 WHERE chain_seq = -4")
    problems = _verify(app).problems
    assert any("record 4 " in p for p in problems) and any("record 5 " in p for p in problems)
    code, _ = _cli(app, "verify")
    assert code == 1


def test_a_record_forged_without_the_key_does_not_verify(app: Flask, session: Session, trail: list[int]) -> None:
    """Someone with the database but not the key recomputes the seal of an edited record with a key of their own."""
    row = session.exec(select(AuditEvent).where(AuditEvent.chain_seq == 3)).one().model_dump()
    previous = session.exec(select(AuditEvent.chain_hash).where(AuditEvent.chain_seq == 2)).one()
    forged = audit_chain.seal_hash(b"a key that is not the app's", 3, previous, row | {"actor_role": "city_admin"})
    session.rollback()
    _tamper(app, f"UPDATE audit_event SET actor_role = 'city_admin', chain_hash = '{forged}' WHERE chain_seq = 3")
    assert any("record 3 " in p for p in _verify(app).problems)
    # With the app's key the forger can reseal that record and every later one, and the chain is whole again:
    # the key, kept off the database, is what the chain rests on.
    key, link = audit_chain.key_of(app.extensions["cdht"].engine), previous
    later = [r.model_dump() for r in session.exec(select(AuditEvent).where(col(AuditEvent.chain_seq) >= 3)
                                                  .order_by(col(AuditEvent.chain_seq)))]
    session.rollback()
    reseals = []
    for record in later:
        link = audit_chain.seal_hash(key, record["chain_seq"], link, record)
        reseals.append(f"UPDATE audit_event SET chain_hash = '{link}' WHERE chain_seq = {record['chain_seq']}")
    _tamper(app, *reseals, f"UPDATE audit_chain_head SET hash = '{link}'")
    assert _verify(app).clean


def test_records_written_around_the_app_are_sealed_by_the_command(app: Flask, session: Session,
                                                                  trail: list[int]) -> None:
    engine = app.extensions["cdht"].engine
    with engine.begin() as conn:  # a plain connection: no session, so no seal at commit
        conn.execute(insert(AuditEvent.__table__), [  # type: ignore[attr-defined]
            {"at": session.exec(select(AuditEvent.at)).first(), "actor_role": "system",
             "entity_type": "citizen", "entity_id": f"by-hand-{n}", "event": "change", "detail": {"n": n}}
            for n in range(3)])
    report = _verify(app)
    assert report.clean and report.unsealed == 3
    code, out = _cli(app, "verify")
    assert code == 0 and "3 records are not sealed" in out
    code, out = _cli(app, "seal")
    assert code == 0 and "sealed 3 records" in out
    report = _verify(app)
    assert report.clean and report.unsealed == 0 and report.checked == len(trail) + 3


def test_transactions_at_once_each_take_their_own_places(app: Flask) -> None:
    engine = app.extensions["cdht"].engine
    errors: list[BaseException] = []

    def register(n: int) -> None:
        try:
            for _ in range(n):
                with Session(engine) as s:
                    make_citizen(s)
                    s.commit()
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=register, args=(5,)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    report = _verify(app)
    assert report.clean and report.unsealed == 0 and report.checked >= 20
