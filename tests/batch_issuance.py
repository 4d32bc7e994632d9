"""Issuing a decision of many certificates through real workers, for integration tests: applications approved as
rows, the chair's decision sent through an app's broker, counting, waiting, the sweep after its wait, and the check
that every certificate was issued exactly once."""

import hashlib
import time
from datetime import date, timedelta
from pathlib import Path

from factories import PASSWORD, cccd_for
from sqlalchemy import func, update
from sqlmodel import Session, col, select

from certificates import new_code
from webapp.dispatch import commit
from workflows import application_counters, names
from workflows.actors import Actor
from workflows.clock import now
from workflows.criteria import current_set, indicator_codes
from workflows.decisions import record_decision
from workflows.inputs import DecisionInput, parse
from workflows.models import Application, AuditEvent, Certificate, Citizen, User
from workflows.passwords import hash_password

YEAR = 2026
WARD = "00004"


def approved(session: Session, count: int, reviewer: Actor) -> list[str]:
    """`count` applications approved by the reviewer, as rows: review is not what these tests are about, and 300
    reviews through the domain would cost a minute. The counters are moved as the domain would move them."""
    password_hash = hash_password(PASSWORD)
    criteria = current_set(session, "cdht", YEAR)
    assert criteria is not None
    scores = dict.fromkeys(indicator_codes(session, criteria), 9)
    users, citizens, apps = [], [], []
    for n in range(count):
        cccd = cccd_for(1960 + n % 40, female=n % 2 == 1)
        name = ["Lê Hoàng Yến", "Trần Đức Ấn", "Nguyễn Thị Ể", "Phạm Quỳnh Hương"][n % 4]
        users.append(User(username=cccd, password_hash=password_hash, role="citizen", display_name=name))
        citizens.append(Citizen(user_id=users[-1].id, cccd=cccd, full_name=name, name_folded=names.fold(name),
                                date_of_birth=date(1960 + n % 40, 5, 17), sex="female" if n % 2 else "male",
                                ward_code=WARD, target_group="resident", consent_at=now(), consent_version="2026-01"))
        apps.append(Application(citizen_id=citizens[-1].id, ward_code=WARD, criteria_set_id=criteria.id,
                                title_type="cdht", year=YEAR, target_group="resident", state="approved", version=3,
                                self_scores=scores, reviewer_scores=scores, total=90, passes=True,
                                reviewed_by=reviewer.user_id, submitted_at=now(), reviewed_at=now()))
    for rows in (users, citizens, apps):
        session.add_all(rows)
        session.flush()
    application_counters.move(session, [(WARD, YEAR, "approved", count)])
    session.commit()
    return [a.id for a in apps]


def count_of(session: Session, decision_id: str, status: str = "issued") -> int:
    session.expire_all()
    return session.exec(select(func.count()).select_from(Certificate).where(
        Certificate.decision_id == decision_id, Certificate.status == status)).one()


def wait_for(session: Session, decision_id: str, at_least: int, log: Path, seconds: float = 180) -> int:
    deadline = time.monotonic() + seconds
    while (issued := count_of(session, decision_id)) < at_least:
        assert time.monotonic() < deadline, f"{issued} issued of {at_least} wanted:\n" + log.read_text()[-4000:]
        time.sleep(0.1)
    return issued


def decide(app, session: Session, chair: Actor, ids: list[str], number: str) -> str:
    """The chair's decision over the applications, committed and its renders sent through `app`'s broker."""
    rt = app.extensions["cdht"]
    with Session(rt.engine, expire_on_commit=False) as own:
        decision, _certs = record_decision(own, chair, parse(DecisionInput, {
            "year": YEAR, "number": number, "signed_on": "2026-11-25", "signer_name": "Nguyễn Văn Thắng",
            "application_ids": ids}), new_code=new_code, verify_url=rt.verify_url)
        with app.app_context():
            commit(own)
        return decision.id


def sweep_after_the_wait(app, decision_id: str) -> None:
    """What the sweeper waits for in real time, the test moves the rows past (the clock is the one thing mocked)."""
    with app.extensions["cdht"].engine.begin() as conn:
        old = now() - timedelta(hours=1)
        conn.execute(update(Certificate).where(col(Certificate.decision_id) == decision_id,
                                               col(Certificate.status).in_(["queued", "rendering"]))
                     .values(queued_at=old, claimed_at=old))
    swept = app.test_cli_runner().invoke(args=["sweep"])
    assert swept.exit_code == 0, swept.output


def each_issued_once(app, session: Session, decision_id: str, count: int) -> list[Certificate]:
    """Every one of the decision's `count` certificates issued, completed once, its own register number and file,
    the file matching its hash; return them."""
    session.expire_all()
    certs = session.exec(select(Certificate).where(Certificate.decision_id == decision_id)).all()
    assert len(certs) == count and len({c.application_id for c in certs}) == count
    assert len({c.register_number for c in certs}) == count and len({c.storage_key for c in certs}) == count
    assert {c.status for c in certs} == {"issued"}
    completes = dict(session.exec(select(AuditEvent.entity_id, func.count()).where(
        col(AuditEvent.entity_id).in_([c.id for c in certs]), AuditEvent.event == "complete")
        .group_by(AuditEvent.entity_id)).all())
    assert sorted(completes.values()) == [1] * count
    storage = app.extensions["cdht"].storage
    for cert in certs:
        assert hashlib.sha256(storage.get(cert.storage_key)).hexdigest() == cert.sha256, cert.code
    return list(certs)
