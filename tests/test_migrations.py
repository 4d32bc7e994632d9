"""Alembic from the first table: `upgrade head` on an empty database, and no drift from the models."""

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Connection

from webapp.cli import alembic_config
from workflows.identity_seal import Seal, derive_key
from workflows.models import metadata

PG_ADMIN_URL = os.environ.get("CDHT_TEST_PG_ADMIN", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
REQUIRED = os.environ.get("CI") == "true" or os.environ.get("CDHT_TEST_RUNTIME") == "production"


def _check(url: str) -> None:
    command.upgrade(alembic_config(url), "head")
    engine = create_engine(url)
    with engine.connect() as conn:
        assert set(metadata.tables) <= set(inspect(conn).get_table_names())
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    engine.dispose()
    assert diff == [], f"models and migrations differ: {diff}"
    command.downgrade(alembic_config(url), "base")
    command.upgrade(alembic_config(url), "head")


def test_sqlite_upgrade_head_and_no_drift(tmp_path) -> None:
    _check(f"sqlite:///{tmp_path / 'm.db'}")


@contextmanager
def scratch_postgresql() -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database, dropped afterwards (skipped without a server, unless required)."""
    name = f"cdht_mig_{uuid.uuid4().hex[:8]}"
    try:
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        if REQUIRED:
            raise
        pytest.skip(f"PostgreSQL not reachable: {exc}")
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_postgresql_upgrade_head_and_no_drift() -> None:
    with scratch_postgresql() as url:
        _check(url)


def test_criteria_versions_backfill_an_existing_set(tmp_path) -> None:
    """ADR 22 on a database that has the QĐ 324 set of before (one wording per indicator): it becomes published,
    with its criteria's names and the wording of every target group from the file; QĐ 244 is added, published."""
    url = f"sqlite:///{tmp_path / 'b.db'}"
    command.upgrade(alembic_config(url), "f1c2d3e4a5b6")
    engine = create_engine(url)
    codes = ("I.1", "I.2", "I.3", "I.4", "II.1", "II.2", "II.3", "II.4", "III.1", "III.2")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO criteriaset (id, code, title_type, name, source_document, valid_from_year, "
                          "min_score, max_score, pass_total, pass_min_indicator) VALUES ('old324', "
                          "'QD-324-KHVN-2023', 'cdht', 'Bộ tiêu chí', 'QĐ 324', 2024, 0, 10, 80, 5)"))
        for n, code in enumerate(codes):
            conn.execute(text("INSERT INTO indicator (id, criteria_set_id, code, competence, text_vi, text_en, "
                              "position) VALUES (:id, 'old324', :code, :competence, 'cũ', 'old', :n)"),
                         {"id": f"ind{n}", "code": code, "competence": code.split(".")[0], "n": n})
    command.upgrade(alembic_config(url), "head")
    with engine.connect() as conn:
        sets = conn.execute(text("SELECT code, state, valid_from_year FROM criteriaset ORDER BY code")).all()
        assert [tuple(s) for s in sets] == [("QD-244-KHVN-2022", "published", 2022),
                                            ("QD-324-KHVN-2023", "published", 2024)]
        names = conn.execute(text("SELECT code, name_vi FROM criteria_competence WHERE criteria_set_id = 'old324' "
                                  "ORDER BY position")).all()
        assert names[0] == ("I", "Năng lực tự học và học tập suốt đời") and len(names) == 3
        groups = conn.execute(text("SELECT target_group, COUNT(*) FROM indicator_wording WHERE criteria_set_id = "
                                   "'old324' GROUP BY target_group")).all()
        assert dict(groups) == {"resident": 10, "worker": 10, "staff": 10, "learner": 10}
        worker = conn.execute(text("SELECT text_vi FROM indicator_wording WHERE indicator_id = 'ind4' AND "
                                   "target_group = 'worker'")).scalar_one()
        assert "tại nơi làm việc" in worker
    command.downgrade(alembic_config(url), "f1c2d3e4a5b6")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT text_vi FROM indicator WHERE id = 'ind0'")).scalar_one().startswith("Tìm")
    engine.dispose()


KEY = derive_key(b"the key of the migration test, 32+ bytes")


def _upgrade_with_rows(url: str) -> None:
    """Every migration since f1c2d3e4a5b6 on a database that has rows pointing at each other (on SQLite a batch
    migration rebuilds tables: it must keep them, and every reference): nothing lost, the new columns filled."""
    command.upgrade(alembic_config(url), "f1c2d3e4a5b6")
    engine = create_engine(url)
    codes = ("I.1", "I.2", "I.3", "I.4", "II.1", "II.2", "II.3", "II.4", "III.1", "III.2")
    good = "{" + ", ".join(f'"{c}": 9' for c in codes) + "}"
    poor = "{" + ", ".join(f'"{c}": 3' for c in codes) + "}"
    at = "2026-11-20 08:00:00"
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO ward (code, name, division_type, province_code, active) VALUES "
                          "('99999', 'Phường Thử', 'phường', '01', true)"))
        conn.execute(text("INSERT INTO criteriaset (id, code, title_type, name, source_document, valid_from_year, "
                          "min_score, max_score, pass_total, pass_min_indicator) VALUES ('old324', "
                          "'QD-324-KHVN-2023', 'cdht', 'Bộ tiêu chí', 'QĐ 324', 2024, 0, 10, 80, 5)"))
        for n, code in enumerate(codes):
            conn.execute(text("INSERT INTO indicator (id, criteria_set_id, code, competence, text_vi, text_en, "
                              "position) VALUES (:id, 'old324', :code, :competence, 'cũ', 'old', :n)"),
                         {"id": f"ind{n}", "code": code, "competence": code.split(".")[0], "n": n})
        for n, (state, own, ward) in enumerate([("submitted", good, "{}"), ("rejected", good, poor),
                                               ("returned", good, poor)]):
            conn.execute(text("INSERT INTO app_user (id, username, password_hash, role, display_name, active, "
                              "session_version, created_at) VALUES (:id, :u, 'x', 'citizen', '', true, 1, :at)"),
                         {"id": f"u{n}", "u": f"00109000000{n}", "at": at})
            conn.execute(text(
                "INSERT INTO citizen (id, user_id, cccd, full_name, name_folded, date_of_birth, sex, ward_code, "
                "target_group, hamlet, consent_at, consent_version, created_at) VALUES (:id, :u, :cccd, 'Lê An', "
                "'le an', '1990-01-01', 'male', '99999', 'resident', 'Tổ 1', :at, '2026-01', :at)"),
                {"id": f"c{n}", "u": f"u{n}", "cccd": f"00109000000{n}", "at": at})
            conn.execute(text(
                "INSERT INTO application (id, citizen_id, ward_code, criteria_set_id, title_type, year, target_group, "
                "hamlet, state, version, self_scores, reviewer_scores, submitted_at, created_at, updated_at, "
                "name_folded) VALUES (:id, :c, '99999', 'old324', 'cdht', 2026, 'resident', 'Tổ 1', :state, 2, "
                ":own, :ward, :at, :at, :at, 'le an')"),
                {"id": f"a{n}", "c": f"c{n}", "state": state, "own": own, "ward": ward, "at": at})
        conn.execute(text("INSERT INTO activity (id, application_id, title, kind, hours, started_on, "
                          "indicator_codes, evidence_key, created_at) VALUES ('v0', 'a0', 'Lớp học', 'course', 10, "
                          "'2026-03-01', '[]', 'evidence/x.pdf', :at)"), {"at": at})
        conn.execute(text("INSERT INTO decision (id, ward_code, year, number, number_year, signed_on, signer_name, "
                          "created_by, created_at) VALUES ('d0', '99999', 2026, '1/QĐ-UBND', 2026, '2026-11-20', "
                          "'Nguyễn Văn Thắng', 'u0', :at)"), {"at": at})
        conn.execute(text("INSERT INTO certificate (id, code, register_number, application_id, citizen_id, "
                          "decision_id, ward_code, title_type, year, status, version, live_key, snapshot, attempts, "
                          "queued_at) VALUES ('k0', 'ABCDE-12345', 'HN-99999-2026-000001', 'a0', 'c0', 'd0', "
                          "'99999', 'cdht', 2026, 'issued', 3, 'c0:cdht:2026', '{}', 1, :at)"), {"at": at})
    command.upgrade(alembic_config(url, KEY), "head")
    with engine.connect() as conn:
        for table, n in (("citizen", 3), ("application", 3), ("activity", 1), ("app_user", 3), ("decision", 1),
                         ("certificate", 1)):
            assert conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one() == n
        rows = conn.execute(text("SELECT id, passes, has_evidence, hamlet_code, assignee_id FROM application "
                                 "ORDER BY id")).all()
        assert [(i, bool(p), bool(e), h, who) for i, p, e, h, who in rows] == [
            ("a0", True, True, None, None), ("a1", False, False, None, None), ("a2", True, False, None, None)]
        assert {r[0] for r in conn.execute(text("SELECT consent_channel FROM citizen"))} == {"online"}
        certificate = conn.execute(text("SELECT status, live_key, supersedes, superseded_by, superseded_at "
                                        "FROM certificate")).one()
        assert tuple(certificate) == ("issued", "c0:cdht:2026", None, None, None)  # superseded by nothing
        if conn.dialect.name == "sqlite":
            assert conn.execute(text("PRAGMA foreign_key_check")).all() == []
        _assert_identity_numbers(conn, sealed=True)
    command.downgrade(alembic_config(url, KEY), "2b3c4d5e6f70")  # before ADR 42: plain numbers again
    with engine.connect() as conn:
        _assert_identity_numbers(conn, sealed=False)
    engine.dispose()


def _assert_identity_numbers(conn: Connection, sealed: bool) -> None:
    """The three citizens' CCCDs and usernames, sealed with KEY (ADR 42) or plain, and nothing else changed."""
    seal = Seal(KEY)
    plain = [f"00109000000{n}" for n in range(3)]
    for column, table in (("cccd", "citizen"), ("username", "app_user")):
        stored = list(conn.execute(text(f"SELECT {column} FROM {table} ORDER BY id")).scalars())
        assert stored == ([seal.seal(p) for p in plain] if sealed else plain)


def test_sqlite_upgrade_keeps_rows_and_references(tmp_path) -> None:
    _upgrade_with_rows(f"sqlite:///{tmp_path / 'rows.db'}")


def test_postgresql_upgrade_keeps_rows_and_references() -> None:
    with scratch_postgresql() as url:
        _upgrade_with_rows(url)
