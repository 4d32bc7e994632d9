"""Who issues and signs a ward's papers: defaults derived from the ward, or the ward's own settings."""

import pytest
from factories import make_citizen, make_staff, scores, submitted_application
from sqlmodel import Session

from certificates import CertificateData
from workflows import decisions, review
from workflows.inputs import DecisionInput, ReviewInput, parse
from workflows.models import Citizen, Ward
from workflows.signers import signer_from, split_name, ward_signer


def test_defaults_are_the_chair_for_the_committee() -> None:
    s = ward_signer(Ward(code="00004", name="Phường Ba Đình", division_type="phường", province_code="01"))
    assert (s.issuer_name, s.unit, s.place) == ("PHƯỜNG BA ĐÌNH", "phường Ba Đình", "Ba Đình")
    assert (s.signing_line, s.signer_title) == ("TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH")
    assert s.authority == "Ủy ban nhân dân phường Ba Đình"
    assert s.residence == "phường Ba Đình, thành phố Hà Nội"


def test_a_deputy_signing_for_the_chair_names_the_chair_as_authority() -> None:
    ward = Ward(code="09999", name="Xã Yên Xuân", division_type="xã", province_code="01", signing_mode="kt")
    s = ward_signer(ward)
    assert (s.signing_line, s.signer_title) == ("KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH")
    assert s.authority == "Chủ tịch Ủy ban nhân dân xã Yên Xuân"
    assert (s.issuer_name, s.place) == ("XÃ YÊN XUÂN", "Yên Xuân")


def test_the_ward_overrides_the_issuer_line_and_the_title() -> None:
    s = signer_from("Phường Ba Đình", "phường", issuer_name="Phường Ba Đình (thí điểm)", signer_title="Chủ tịch")
    assert (s.issuer_name, s.signer_title) == ("PHƯỜNG BA ĐÌNH (THÍ ĐIỂM)", "CHỦ TỊCH")


def test_split_name() -> None:
    assert split_name("Phường  Hoàn Kiếm") == ("phường", "Hoàn Kiếm")
    assert split_name("Xã Yên Xuân", "xã") == ("xã", "Yên Xuân")


def test_an_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="xx"):
        signer_from("Phường Ba Đình", signing_mode="xx")


def test_the_certificate_snapshot_carries_the_ward_signer(session: Session) -> None:
    ward = session.get(Ward, "00004")
    assert ward is not None
    ward.signing_mode = "kt"  # the ward table is seeded once, not emptied between tests: restored below
    session.add(ward)
    session.commit()
    try:
        _check_snapshot(session)
    finally:
        ward.signing_mode = "tm"
        session.add(ward)
        session.commit()


def _check_snapshot(session: Session) -> None:
    citizen_actor, _ = make_citizen(session)
    aid = submitted_application(session, citizen_actor)
    review.review(session, make_staff(session, "ward_reviewer"), aid,
                  parse(ReviewInput, {"action": "approve", "scores": scores(9), "version": 2}))
    _decision, (cert,) = decisions.record_decision(
        session, make_staff(session, "ward_chair"),
        parse(DecisionInput, {"year": 2026, "number": "7/QĐ-UBND", "signed_on": "2026-11-02",
                              "signer_name": "Trần Thị Hoa", "application_ids": [aid]}),
        new_code=lambda: "AAAAA-BBBBB", verify_url=lambda c: f"https://x/verify/{c}")
    citizen = session.get(Citizen, cert.citizen_id)
    assert citizen is not None
    snap = cert.snapshot
    assert snap["honorific"] == {"male": "Ông", "female": "Bà"}[citizen.sex]
    assert (snap["place"], snap["issuer_name"], snap["issuer_display"]) == ("Ba Đình", "PHƯỜNG BA ĐÌNH",
                                                                            "phường Ba Đình")
    assert (snap["signing_line"], snap["signer_title"]) == ("KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH")
    assert snap["authority"] == "Chủ tịch Ủy ban nhân dân phường Ba Đình"
    assert CertificateData.from_payload(snap).residence == "phường Ba Đình, thành phố Hà Nội"
