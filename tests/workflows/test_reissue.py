"""Reissue after a correction (ADR 28): a new certificate supersedes the issued one, counters stay exact, the old
one verifies as superseded and points to the newest, and what cannot be reissued is refused with a reason."""

import unicodedata
from datetime import date
from itertools import count

import pytest
from factories import make_citizen, make_staff, scores, submitted_application
from issued import PUBLIC_KEY, issue_signed
from sqlmodel import Session, col, select

from certificates import FileStorage
from workflows import (
    application_counters,
    decisions,
    holder_counters,
    issuance,
    register_numbers,
    reissue,
    review,
    rollup_counters,
)
from workflows.digital import counters as digital_counters
from workflows.effects import PENDING, EffectKind
from workflows.errors import Conflict, Forbidden, Invalid, NotFound
from workflows.inputs import DecisionInput, ReissueInput, ReviewInput, RevocationInput, parse
from workflows.models import AuditEvent, Certificate, Citizen

CODES = count(1)


def _new_code() -> str:
    return f"RISSU-{next(CODES):05d}"


def _url(code: str) -> str:
    return f"https://x/verify/{code}"


def _issued(session: Session, storage: FileStorage, ward: str = "00004") -> tuple[Certificate, object]:
    """A certificate recognised by a decision and issued the way the render task does (a stand-in PDF)."""
    citizen, _ = make_citizen(session, ward=ward, full_name="Nguyễn Văn Ấn")
    aid = submitted_application(session, citizen)
    reviewer = make_staff(session, "ward_reviewer", ward=ward)
    review.review(session, reviewer, aid, parse(ReviewInput, {"action": "approve", "scores": scores(9), "version": 2}))
    chair = make_staff(session, "ward_chair", ward=ward)
    _decision, certs = decisions.record_decision(
        session, chair, parse(DecisionInput, {"year": 2026, "number": f"{aid[:6]}/QĐ", "signed_on": "2026-11-02",
                                              "signer_name": "Nguyễn Văn Thắng", "application_ids": [aid]}),
        new_code=_new_code, verify_url=_url)
    session.commit()
    issue_signed(session, certs[0], storage)
    return certs[0], chair


def _fix(**fields: str) -> ReissueInput:
    return parse(ReissueInput, {"reason": "Sai chính tả họ tên", **fields})


def _clean(session: Session) -> None:
    """What `flask rollup check` compares: every counter against a recount from the base tables."""
    assert register_numbers.check(session) == []
    assert rollup_counters.check(session) == []
    assert application_counters.check(session) == []
    assert digital_counters.check(session) == []
    assert holder_counters.check(session) == []


def test_reissue_writes_a_new_queued_certificate_that_supersedes_the_old(session: Session, tmp_path) -> None:
    storage = FileStorage(tmp_path)
    old, chair = _issued(session, storage)
    live_before = rollup_counters.live_by_ward(session, 2026, "cdht")
    holders_before = holder_counters.totals(session, 2026)
    typed = unicodedata.normalize("NFD", "Nguyễn Văn  An")  # decomposed and with two spaces, as some keyboards send
    done = reissue.reissue(session, chair, old.code, _fix(full_name=typed, date_of_birth="1990-06-17"),
                           new_code=_new_code, verify_url=_url)
    effects = list(session.info.get(PENDING, []))
    session.commit()
    new = done.new
    assert (new.status, new.supersedes, new.decision_id, new.application_id, new.year, new.title_type) == (
        "queued", old.id, old.decision_id, old.application_id, old.year, old.title_type)
    assert new.code != old.code and new.register_number == "HN-00004-2026-000002"  # the ward's next number
    assert (new.snapshot["holder_name"], new.snapshot["date_of_birth"]) == ("Nguyễn Văn An", "1990-06-17")
    assert unicodedata.is_normalized("NFC", new.snapshot["holder_name"])
    assert new.snapshot["verify_url"] == _url(new.code) and new.snapshot["code"] == new.code
    assert {k: v for k, v in new.snapshot.items() if k not in ("code", "register_number", "holder_name",
                                                                "date_of_birth", "verify_url")} == {
        k: v for k, v in old.snapshot.items() if k not in ("code", "register_number", "holder_name",
                                                           "date_of_birth", "verify_url")}
    session.expire_all()
    old = session.get(Certificate, old.id)
    assert (old.status, old.live_key, old.superseded_by) == ("superseded", None, new.id)
    assert old.superseded_at is not None
    assert [(e.kind, e.entity_id) for e in effects] == [(EffectKind.RENDER_CERTIFICATE, new.id)]  # only the new one
    citizen = session.get(Citizen, new.citizen_id)
    assert (citizen.full_name, citizen.name_folded, citizen.date_of_birth) == (
        "Nguyễn Văn An", "nguyen van an", date(1990, 6, 17))
    # Counted once, as before: the old one left the counters, the new one joined them.
    assert rollup_counters.live_by_ward(session, 2026, "cdht") == live_before
    assert holder_counters.totals(session, 2026) == holders_before
    _clean(session)
    audits = {(a.entity_id, a.event): a for a in session.exec(select(AuditEvent)).all()}
    superseded = audits[(old.id, "supersede")]
    assert (superseded.from_state, superseded.to_state, superseded.detail["reason"], superseded.actor_role) == (
        "issued", "superseded", "Sai chính tả họ tên", "ward_chair")
    created = audits[(new.id, "create")]
    assert (created.to_state, created.detail["supersedes"]) == ("queued", old.code)
    corrected = audits[(citizen.id, "correct")]
    assert corrected.detail["full_name"] == {"from": "Nguyễn Văn Ấn", "to": "Nguyễn Văn An"}
    assert corrected.detail["date_of_birth"] == {"from": "1990-05-17", "to": "1990-06-17"}


def test_the_old_verifies_as_superseded_and_a_chain_points_to_the_newest(session: Session, tmp_path) -> None:
    storage = FileStorage(tmp_path)
    keys = {"public_keys": [PUBLIC_KEY], "storage": storage}
    first, chair = _issued(session, storage)
    second = reissue.reissue(session, chair, first.code, _fix(full_name="Nguyễn Văn An", date_of_birth="1990-06-17"),
                             new_code=_new_code, verify_url=_url).new
    session.commit()
    seen = issuance.verify(session, first.code, **keys)  # its own snapshot still checks out (the old birth date)
    assert (seen.valid, seen.status, seen.superseded_by, seen.holder_name) == (
        False, "superseded", second.code, "Nguyễn Văn Ấn")
    assert issuance.verify(session, second.code, **keys).status == "pending"
    issue_signed(session, second, storage)
    assert issuance.verify(session, second.code, **keys).valid
    third = reissue.reissue(session, chair, second.code, _fix(full_name="Nguyễn Văn Anh"), new_code=_new_code,
                            verify_url=_url).new
    session.commit()
    issue_signed(session, third, storage)
    for old in (first, second):
        result = issuance.verify(session, old.code, **keys)
        assert (result.valid, result.status, result.superseded_by) == (False, "superseded", third.code)
    newest = issuance.verify(session, third.code, **keys)
    assert (newest.valid, newest.holder_name, newest.superseded_by) == (True, "Nguyễn Văn Anh", None)
    assert [c.register_number[-6:] for c in (first, second, third)] == ["000001", "000002", "000003"]
    _clean(session)
    live = session.exec(select(Certificate).where(col(Certificate.live_key).is_not(None))).all()
    assert [c.code for c in live] == [third.code]  # one live certificate for the citizen, title and year


def test_what_cannot_be_reissued_is_refused(session: Session, tmp_path) -> None:
    storage = FileStorage(tmp_path)
    cert, chair = _issued(session, storage)
    reviewer = make_staff(session, "ward_reviewer")
    admin = make_staff(session, "city_admin", ward=None)
    other_chair = make_staff(session, "ward_chair", ward="00070")
    fix = _fix(full_name="Nguyễn Văn An")
    with pytest.raises(Forbidden):
        reissue.reissue(session, reviewer, cert.code, fix, new_code=_new_code, verify_url=_url)
    with pytest.raises(NotFound):
        reissue.reissue(session, other_chair, cert.code, fix, new_code=_new_code, verify_url=_url)
    with pytest.raises(NotFound):
        reissue.reissue(session, chair, "ZZZZZ-ZZZZZ", fix, new_code=_new_code, verify_url=_url)
    with pytest.raises(Invalid) as nothing:  # the name it already prints
        reissue.reissue(session, chair, cert.code, _fix(full_name="Nguyễn  Văn Ấn"), new_code=_new_code,
                        verify_url=_url)
    assert nothing.value.code == "nothing_to_correct"
    with pytest.raises(Invalid) as wrong_year:  # the CCCD says 1990
        reissue.reissue(session, chair, cert.code, _fix(date_of_birth="1991-05-17"), new_code=_new_code,
                        verify_url=_url)
    assert wrong_year.value.fields == {"date_of_birth": "cccd_birth_mismatch"}
    with pytest.raises(Invalid) as short:
        reissue.reissue(session, chair, cert.code, _fix(full_name="A"), new_code=_new_code, verify_url=_url)
    assert short.value.fields == {"full_name": "too_short"}
    with pytest.raises(Invalid):
        parse(ReissueInput, {"full_name": "Nguyễn Văn An", "reason": " "})  # a reason is required
    with pytest.raises(Invalid):
        parse(ReissueInput, {"full_name": "Nguyễn Văn An", "reason": "x" * 501})
    session.rollback()
    new = reissue.reissue(session, admin, cert.code, fix, new_code=_new_code, verify_url=_url).new  # a city admin
    session.commit()
    with pytest.raises(Conflict) as twice:
        reissue.reissue(session, chair, cert.code, _fix(full_name="Nguyễn Văn Anh"), new_code=_new_code,
                        verify_url=_url)
    assert twice.value.code == "certificate_superseded"
    with pytest.raises(Conflict) as queued:
        reissue.reissue(session, chair, new.code, _fix(full_name="Nguyễn Văn Anh"), new_code=_new_code,
                        verify_url=_url)
    assert queued.value.code == "certificate_not_issued"
    session.rollback()
    issue_signed(session, new, storage)
    issuance.revoke(session, chair, new.code, parse(RevocationInput, {"reason": "Cấp nhầm người"}))
    session.commit()
    with pytest.raises(Conflict) as revoked:
        reissue.reissue(session, chair, new.code, _fix(full_name="Nguyễn Văn Anh"), new_code=_new_code,
                        verify_url=_url)
    assert revoked.value.code == "certificate_revoked"
    session.rollback()
    _clean(session)


def test_a_birth_date_correction_leaves_other_certificates_of_the_holder_valid(session: Session, tmp_path) -> None:
    """The same citizen's certificate of another year prints the old date: it stays valid (the CCCD still agrees)."""
    storage = FileStorage(tmp_path)
    keys = {"public_keys": [PUBLIC_KEY], "storage": storage}
    cert, chair = _issued(session, storage)
    other = Certificate(**{**cert.model_dump(exclude={"id", "code", "register_number", "live_key", "snapshot",
                                                       "storage_key", "sha256", "signature", "status", "version"}),
                           "code": "OTHER-00001", "register_number": "HN-00004-2025-000001", "year": 2025,
                           "status": "queued", "live_key": None,
                           "snapshot": {**cert.snapshot, "code": "OTHER-00001", "year": 2025,
                                        "register_number": "HN-00004-2025-000001"}})
    session.add(other)
    session.commit()
    issue_signed(session, other, storage)
    reissue.reissue(session, chair, cert.code, _fix(date_of_birth="1990-06-17"), new_code=_new_code,
                    verify_url=_url)
    session.commit()
    assert issuance.verify(session, other.code, **keys).status == "valid"
    assert issuance.verify(session, cert.code, **keys).status == "superseded"
