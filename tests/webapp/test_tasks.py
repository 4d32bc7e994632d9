"""The render task called directly in the app (no worker): a lost claim, an adopted stored file, the retry delay."""

import hashlib
from datetime import UTC, datetime, timedelta

import pytest
from celery.app.task import Task
from factories import citizen_data, make_staff
from sqlmodel import Session, col, func, select

import certificates
import webapp.tasks
from certificates import signed_payload, storage_key, verify
from workflows import issuance
from workflows.models import AuditEvent, Certificate


def _queued(api, session: Session) -> str:
    """A certificate row queued by a real decision; its id."""
    number = "51/QĐ-UBND"
    make_staff(session, "ward_reviewer", username=f"rev-{number}")
    make_staff(session, "ward_chair", username=f"chair-{number}")
    aid, _decision = api.recognised(citizen_data(), number)
    return session.exec(select(Certificate.id).where(Certificate.application_id == aid)).one()


class Renderer:
    """Stands in for WeasyPrint: counts its calls, and runs `during` inside the first one."""

    def __init__(self, during=None, fail: Exception | None = None) -> None:
        self.calls, self.during, self.fail = 0, during, fail

    def render(self, data, seal=None) -> bytes:
        self.calls += 1
        if self.fail is not None:
            raise self.fail
        if self.calls == 1 and self.during is not None:
            self.during()
        return f"%PDF-1.7 render {self.calls} of {data.code}".encode()


@pytest.fixture
def render_task(app):
    """The render task bound to this app (runs in its app context when called)."""
    return app.extensions["celery"].tasks["cdht.render_certificate"]


@pytest.fixture
def sent(monkeypatch) -> list[tuple[tuple, dict]]:
    """Tasks sent to the broker (recorded, not sent)."""
    calls: list[tuple[tuple, dict]] = []
    monkeypatch.setattr(Task, "apply_async", lambda self, args=None, kwargs=None, retry=True, **options: calls.append(
        (tuple(args or ()), options)))  # `retry` is how to publish, not what: left out
    return calls


def _completions(session: Session, cert_id: str) -> int:
    return session.exec(select(func.count()).select_from(AuditEvent).where(
        col(AuditEvent.entity_id) == cert_id, col(AuditEvent.event) == "complete")).one()


def test_a_lost_claim_returns_claim_lost_and_the_certificate_is_issued_once(
        app, api, session: Session, render_task, sent, monkeypatch) -> None:
    cert_id = _queued(api, session)
    engine = app.extensions["cdht"].engine

    def sweeper_then_other_worker() -> None:
        # While our render is slow, the sweeper releases our claim and another worker claims the row.
        with Session(engine) as other:
            cert = other.get(Certificate, cert_id)
            issuance.give_back(other, cert, "worker lost while rendering")
            assert issuance.claim(other, cert_id) is not None
            other.commit()

    renderer = Renderer(during=sweeper_then_other_worker)
    monkeypatch.setattr(certificates, "default_renderer", lambda: renderer)
    assert render_task(cert_id) == "claim lost"
    session.expire_all()
    cert = session.get(Certificate, cert_id)
    assert (cert.status, cert.attempts, _completions(session, cert_id)) == ("rendering", 2, 0)  # the other owns it
    stored = app.extensions["cdht"].storage.get(storage_key(cert.year, cert.ward_code, cert.code))

    # The other worker dies too; the sweeper releases it; the next run adopts the file our lost run stored.
    with Session(engine) as other:
        issuance.give_back(other, other.get(Certificate, cert_id), "worker lost while rendering")
        other.commit()
    assert render_task(cert_id) == "issued"
    session.expire_all()
    cert = session.get(Certificate, cert_id)
    assert (cert.status, _completions(session, cert_id), renderer.calls) == ("issued", 1, 1)
    assert cert.sha256 == hashlib.sha256(stored).hexdigest()


def test_a_stored_file_is_adopted_not_rendered_again(app, api, session: Session, render_task, monkeypatch) -> None:
    cert_id = _queued(api, session)
    rt = app.extensions["cdht"]
    cert = session.get(Certificate, cert_id)
    key = storage_key(cert.year, cert.ward_code, cert.code)
    earlier = b"%PDF-1.7 stored by a run that crashed before its commit"
    rt.storage.put(key, earlier)
    renderer = Renderer(fail=AssertionError("rendered again although the file was stored"))
    monkeypatch.setattr(certificates, "default_renderer", lambda: renderer)
    assert render_task(cert_id) == "issued"
    session.expire_all()
    cert = session.get(Certificate, cert_id)
    assert renderer.calls == 0 and rt.storage.get(key) == earlier
    assert (cert.status, cert.storage_key, cert.sha256) == ("issued", key, hashlib.sha256(earlier).hexdigest())
    assert verify(rt.public_key, signed_payload(cert.snapshot, cert.sha256), cert.signature)
    assert issuance.verify(session, cert.code, public_keys=[rt.public_key], storage=rt.storage).status == "valid"


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def test_failed_renders_wait_longer_each_time_then_fail(api, session: Session, render_task, sent,
                                                         monkeypatch) -> None:
    cert_id = _queued(api, session)
    monkeypatch.setattr(certificates, "default_renderer", lambda: Renderer(fail=RuntimeError("boom")))
    assert len(webapp.tasks.RETRY_DELAYS) == issuance.MAX_ATTEMPTS - 1
    for attempt in range(1, issuance.MAX_ATTEMPTS + 1):
        sent.clear()
        before = datetime.now(UTC)
        assert render_task(cert_id) == "failed"
        after = datetime.now(UTC)
        session.expire_all()
        cert = session.get(Certificate, cert_id)
        assert (cert.attempts, cert.last_error) == (attempt, "RuntimeError: boom")
        if attempt < issuance.MAX_ATTEMPTS:
            delay = timedelta(seconds=webapp.tasks.RETRY_DELAYS[attempt - 1])  # 5 s, 30 s, 2 min, 10 min
            assert cert.status == "queued"
            # The sweeper leaves it alone until the task's own retry is due ...
            assert before + delay <= _aware(cert.queued_at) <= after + delay
            # ... and the retry itself is sent once, with that delay.
            assert sent == [((cert_id,), {"countdown": delay.total_seconds()})]
        else:
            assert cert.status == "failed" and sent == []  # out of attempts: nothing more is sent


# ---- the batch task (ADR 32) ----------------------------------------------------------------------------------------


def _queued_many(api, session: Session, count: int) -> list[str]:
    """Certificates queued by real decisions (one each, so that their numbers differ); their ids."""
    ids = []
    for n in range(count):
        number = f"{60 + n}/QĐ-UBND"
        make_staff(session, "ward_reviewer", username=f"rev-{number}")
        make_staff(session, "ward_chair", username=f"chair-{number}")
        aid, _decision = api.recognised(citizen_data(year=1980 + n), number)
        ids.append(session.exec(select(Certificate.id).where(Certificate.application_id == aid)).one())
    return ids


def _events(session: Session, cert_id: str) -> list[tuple[str, dict]]:
    return [(e.event, e.detail) for e in session.exec(select(AuditEvent).where(
        col(AuditEvent.entity_id) == cert_id).order_by(col(AuditEvent.at), col(AuditEvent.id))).all()
        if e.event in ("claim", "complete", "release")]


def test_a_batch_is_claimed_and_completed_together_each_audited(app, api, session: Session, monkeypatch) -> None:
    ids = _queued_many(api, session, 3)
    rt = app.extensions["cdht"]
    renderer = Renderer()
    monkeypatch.setattr(certificates, "default_renderer", lambda: renderer)
    assert app.extensions["celery"].tasks["cdht.render_certificate"](ids[0]) == "issued"  # one done already
    batch = app.extensions["celery"].tasks["cdht.render_certificates"]
    assert batch([*ids, "no-such-id"]) == {"skipped": 2, "issued": 2}
    assert renderer.calls == 3  # each certificate rendered once
    session.expire_all()
    for cert_id in ids:
        cert = session.get(Certificate, cert_id)
        assert (cert.status, cert.attempts) == ("issued", 1)
        events = _events(session, cert_id)
        assert [e for e, _d in events] == ["claim", "complete"]
        assert events[0][1]["attempt"] == 1 and events[1][1] == {"sha256": cert.sha256, "key_id": rt.key_id}
        assert verify(rt.public_key, signed_payload(cert.snapshot, cert.sha256), cert.signature)
        assert issuance.verify(session, cert.code, public_keys=[rt.public_key], storage=rt.storage).status == "valid"


def test_a_failure_in_a_batch_is_given_back_alone(app, api, session: Session, sent, monkeypatch) -> None:
    ids = _queued_many(api, session, 3)
    failing = session.get(Certificate, ids[1]).code

    class Flaky(Renderer):
        def render(self, data, seal=None) -> bytes:
            if data.code == failing:
                raise RuntimeError("boom")
            return super().render(data, seal)

    monkeypatch.setattr(certificates, "default_renderer", lambda: Flaky())
    sent.clear()  # the decisions' own render tasks
    assert app.extensions["celery"].tasks["cdht.render_certificates"](ids) == {"failed": 1, "issued": 2}
    session.expire_all()
    statuses = [session.get(Certificate, cert_id).status for cert_id in ids]
    assert statuses == ["issued", "queued", "issued"]
    renders = [call for call in sent if len(call[0]) == 1]
    assert renders == [((ids[1],), {"countdown": float(webapp.tasks.RETRY_DELAYS[0])})]  # its own retry, delayed
    told = sorted(call[0] for call in sent if len(call[0]) == 2)  # the two issued holders' e-mails (ADR 33)
    assert told == sorted((i, "notify_certificate") for i in (ids[0], ids[2]))


def test_a_claim_lost_in_a_batch_leaves_the_others_issued(app, api, session: Session, sent, monkeypatch) -> None:
    ids = _queued_many(api, session, 3)
    engine = app.extensions["cdht"].engine

    def sweeper_then_other_worker() -> None:
        with Session(engine) as other:  # while the batch renders, the sweeper takes one row to another worker
            issuance.give_back(other, other.get(Certificate, ids[2]), "worker lost while rendering")
            assert issuance.claim(other, ids[2]) is not None
            other.commit()

    renderer = Renderer(during=sweeper_then_other_worker)
    monkeypatch.setattr(certificates, "default_renderer", lambda: renderer)
    assert app.extensions["celery"].tasks["cdht.render_certificates"](ids) == {"issued": 2, "claim lost": 1}
    session.expire_all()
    assert [session.get(Certificate, cert_id).status for cert_id in ids] == ["issued", "issued", "rendering"]
    assert [_completions(session, cert_id) for cert_id in ids] == [1, 1, 0]


def test_a_row_tried_before_is_rendered_on_its_own(app, api, session: Session, monkeypatch) -> None:
    """A released row may be the one that kills its worker: its batch-mates do not spend attempts with it."""
    ids = _queued_many(api, session, 3)
    retried = session.get(Certificate, ids[1])
    retried.attempts = 2
    session.add(retried)
    session.commit()
    claimed_together: list[list[str]] = []
    real = issuance.claim_many

    def spy(own: Session, certificate_ids):
        certs = real(own, certificate_ids)
        claimed_together.append(sorted(c.id for c in certs))
        return certs

    monkeypatch.setattr(issuance, "claim_many", spy)
    monkeypatch.setattr(certificates, "default_renderer", lambda: Renderer())
    assert app.extensions["celery"].tasks["cdht.render_certificates"](ids) == {"issued": 3}
    assert claimed_together == [sorted([ids[0], ids[2]])]
    session.expire_all()
    assert [session.get(Certificate, i).attempts for i in ids] == [1, 3, 1]
    assert [_completions(session, i) for i in ids] == [1, 1, 1]


def test_a_batch_skips_the_rows_another_worker_holds(app, api, session: Session) -> None:
    """PostgreSQL: the batch's read locks its rows and skips those locked by another claim in progress."""
    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("SQLite takes no row locks: the version fence catches the race (the test below)")
    ids = _queued_many(api, session, 3)
    engine = app.extensions["cdht"].engine
    with Session(engine) as other:  # another worker, in the middle of its claim of the first row
        other.exec(select(Certificate).where(Certificate.id == ids[0]).with_for_update()).one()
        with Session(engine) as own:
            assert sorted(c.id for c in issuance.claim_many(own, ids)) == sorted(ids[1:])
            own.commit()
        other.rollback()
    session.expire_all()
    assert [session.get(Certificate, i).status for i in ids] == ["queued", "rendering", "rendering"]


def test_a_batch_claim_that_races_falls_back_one_by_one(app, api, session: Session, monkeypatch) -> None:
    """SQLite: another worker claims one of the rows between the batch's read and its write (the version fence sees
    it): the batch takes its rows one by one, and each certificate is issued once, by one of them."""
    if session.get_bind().dialect.name == "postgresql":
        pytest.skip("PostgreSQL locks the rows the batch reads: no claim comes between (the test above)")
    ids = _queued_many(api, session, 3)
    engine = app.extensions["cdht"].engine
    real = issuance.apply_event_many

    def other_worker_first(own: Session, objs, event, *args, **kwargs):
        if event == "claim" and len(objs) == 3:
            with Session(engine) as other:
                assert issuance.claim(other, ids[0]) is not None
                other.commit()
        return real(own, objs, event, *args, **kwargs)

    monkeypatch.setattr(issuance, "apply_event_many", other_worker_first)
    monkeypatch.setattr(certificates, "default_renderer", lambda: Renderer())
    assert app.extensions["celery"].tasks["cdht.render_certificates"](ids) == {"skipped": 1, "issued": 2}
    session.expire_all()
    assert [session.get(Certificate, i).status for i in ids] == ["rendering", "issued", "issued"]
    assert [_completions(session, i) for i in ids] == [0, 1, 1]
