"""Consent as data (ADR 41): every way of registering records one consent row per purpose of the current text, in
the registration's transaction; the texts are versioned data; the migration turns the profiles' consent columns into
rows with one INSERT … SELECT."""

from datetime import UTC, date, datetime

import pytest
from factories import cccd_for, citizen_data, make_citizen, make_staff
from sqlalchemy import create_engine, text
from sqlmodel import Session, col, select

from webapp.cli import alembic_config
from workflows import assisted, consent
from workflows.errors import Invalid
from workflows.models import ConsentRecord, User
from workflows.registration import CONSENT_VERSION


def _consents(session: Session, citizen_id: str) -> list[ConsentRecord]:
    return list(session.exec(select(ConsentRecord).where(ConsentRecord.citizen_id == citizen_id)
                             .order_by(col(ConsentRecord.purpose))))


def test_the_texts_are_versioned_data_and_every_purpose_is_named_in_both_languages() -> None:
    assert CONSENT_VERSION == consent.CURRENT and consent.current().version == consent.CURRENT
    for version, t in consent.TEXTS.items():
        assert t.version == version and t.purposes and len(t.vi) == len(t.en)
        assert all(code in consent.PURPOSES for code in t.purposes)
        assert len(t.purpose_names("vi")) == len(t.purposes) == len(t.purpose_names("en"))
    # The current text names the rights and how to use them, the deadline, and what is kept whatever is asked.
    joined = " ".join(consent.current().en)
    for promise in ("“My data”", "download", "correction or deletion", "2 working days", "Withdrawing consent",
                    "masked", "never written in the system's logs", "date of birth", "law on archives"):
        assert promise in joined, promise
    assert "Dữ liệu của tôi" in " ".join(consent.current().vi)


def test_self_registration_records_a_consent_per_purpose_online(session: Session) -> None:
    actor, _ = make_citizen(session)
    assert actor.citizen_id is not None
    rows = _consents(session, actor.citizen_id)
    assert sorted(r.purpose for r in rows) == sorted(consent.current().purposes)
    assert {(r.text_version, r.channel, r.reference, r.given_by, r.withdrawn_at) for r in rows} == {
        (consent.CURRENT, "online", None, actor.user_id, None)}


def test_assisted_registration_and_the_import_record_paper_consents_through_the_official(session: Session) -> None:
    reviewer = make_staff(session, "ward_reviewer")
    data = citizen_data(consent_paper=True, consent_reference="PĐK-0042")
    for key in ("password", "consent", "ward_code"):
        data.pop(key)
    done = assisted.register(session, reviewer, data)
    session.commit()
    rows = _consents(session, done.citizen.id)
    assert len(rows) == len(consent.current().purposes)
    assert {(r.channel, r.reference, r.given_by) for r in rows} == {("paper", "PĐK-0042", reviewer.user_id)}

    lines = "".join(f"{cccd_for(1980)},Người Thứ {n},1980-03-0{n + 1},nam,resident,,,,PĐK-{n}\n" for n in range(3))
    report = assisted.import_citizens(session, reviewer, "00004", assisted.parse(
        ("cccd,full_name,date_of_birth,sex,target_group,hamlet,phone,email,consent_reference\n" + lines).encode()))
    session.commit()
    assert report.created == 3
    imported = session.exec(select(ConsentRecord).where(ConsentRecord.reference == "PĐK-1")).all()
    assert len(imported) == len(consent.current().purposes)
    assert {(r.channel, r.given_by, r.text_version) for r in imported} == {("paper", reviewer.user_id,
                                                                            consent.CURRENT)}


def test_a_failed_registration_records_no_consent(session: Session) -> None:
    with pytest.raises(Invalid):
        make_citizen(session, consent=False)
    session.rollback()
    assert session.exec(select(ConsentRecord.id)).all() == []
    assert session.exec(select(User.id)).all() == []


def _migrate_two_profiles(url: str) -> list[tuple[object, ...]]:
    """Two profiles of before (online, and on paper through an official), then the migration: their consent rows."""
    from alembic import command

    command.upgrade(alembic_config(url), "2b3c4d5e6f70")
    engine = create_engine(url)
    at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO ward (code, name, division_type, province_code, active, signing_mode) "
                          "VALUES ('99999', 'Phường Thử', 'phường', '01', :yes, 'tm')"), {"yes": True})
        for n, paper in enumerate((False, True)):
            conn.execute(text("INSERT INTO app_user (id, username, password_hash, role, display_name, active, "
                              "session_version, created_at) VALUES (:id, :u, 'x', 'citizen', '', :yes, 1, :at)"),
                         {"id": f"u{n}", "u": f"user{n}", "yes": True, "at": at})
            conn.execute(text(
                "INSERT INTO citizen (id, user_id, cccd, full_name, name_folded, date_of_birth, sex, ward_code, "
                "target_group, consent_at, consent_version, consent_channel, consent_reference, registered_by, "
                "created_at) VALUES (:id, :user, :cccd, 'An', 'an', :dob, 'male', '99999', 'resident', :at, "
                "'2026-01', :channel, :ref, :by, :at)"),
                {"id": f"c{n}", "user": f"u{n}", "cccd": f"00109000000{n}", "dob": date(1990, 5, 17), "at": at,
                 "channel": "paper" if paper else "online", "ref": "PĐK-9" if paper else None,
                 "by": "u0" if paper else None})
    command.upgrade(alembic_config(url), "5e6f708192a3")
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT citizen_id, purpose, text_version, channel, reference, given_by, "
                                 "length(id) FROM consent_record ORDER BY citizen_id")).all()
    engine.dispose()
    return [tuple(r) for r in rows]


EXPECTED = [("c0", "recognition", "2026-01", "online", None, "u0", 22),
            ("c1", "recognition", "2026-01", "paper", "PĐK-9", "u0", 22)]


def test_the_migration_turns_each_profiles_consent_into_a_row_on_sqlite(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert _migrate_two_profiles(f"sqlite:///{tmp_path / 'c.db'}") == EXPECTED


def test_the_migration_turns_each_profiles_consent_into_a_row_on_postgresql() -> None:
    from test_migrations import scratch_postgresql

    with scratch_postgresql() as url:
        assert _migrate_two_profiles(url) == EXPECTED
