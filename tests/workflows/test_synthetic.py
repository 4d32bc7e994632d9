"""The synthetic city (workflows.synthetic, ADR 0009): realistic, valid, consistent, and only ever in an empty database.

The city is generated once into a database of its own (a temporary SQLite file, or a fresh PostgreSQL database
under CDHT_TEST_RUNTIME=production), never into the suite's shared one; the CLI tests use the app's database.
"""

import os
import re
import unicodedata
import uuid
from collections import Counter
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, func, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from webapp.cli import alembic_config
from workflows import cccd, names
from workflows.db import make_engine, session_scope
from workflows.identity_seal import derive_key
from workflows.models import Application, Certificate, Citizen, Decision, Population, User, metadata
from workflows.seed import seed_reference
from workflows.synthetic import CityNotEmpty, Report, generate
from workflows.synthetic.data import SURNAMES
from workflows.vocabulary import ApplicationState, DenominatorMode

RUNTIME = os.environ.get("CDHT_TEST_RUNTIME", "embedded")
PG_ADMIN_URL = os.environ.get("CDHT_TEST_PG_ADMIN", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
YEAR = 2025
PEOPLE = 2000
BACKLOG = {"00070": 150}


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Engine, Report]]:
    """A migrated, seeded database of its own with a generated city of 2,000 people and a backlog of 150."""
    name = None
    if RUNTIME == "production":
        name = f"cdht_test_city_{uuid.uuid4().hex[:10]}"
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('city') / 'city.db'}"
    command.upgrade(alembic_config(url), "head")
    engine = make_engine(url, identity_key=derive_key(b"synthetic city test key, 32 bytes+"))
    try:
        with session_scope(engine) as session:
            seed_reference(session)
        yield engine, generate(engine, citizens=PEOPLE, year=YEAR, seed=7, backlog=BACKLOG)
    finally:
        engine.dispose()
        if name:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def _all(engine: Engine, stmt: Any) -> Any:
    with Session(engine) as session:
        return session.exec(stmt).all()


def test_report_counts_what_is_in_the_database(city) -> None:
    engine, report = city
    with Session(engine) as session:
        for table, rows in report.rows.items():
            assert session.execute(text(f"SELECT count(*) FROM {table}")).scalar_one() == rows, table
    assert report.citizens == PEOPLE + sum(BACKLOG.values())
    assert report.staff == 2 * 126 + 1  # a reviewer and a chair per ward, and the admin
    assert set(report.seconds) >= {"load", "indexes", "total"}


def test_every_identity_number_is_valid_unique_and_the_login(city) -> None:
    engine, _ = city
    people = _all(engine, select(Citizen.cccd, Citizen.date_of_birth, Citizen.sex, User.username)
                  .join(User, col(User.id) == col(Citizen.user_id)))
    assert [p for p in people if cccd.check(p[0], p[1], p[2]) is not None] == []
    assert len({p[0] for p in people}) == len(people)
    assert all(number == username for number, _, _, username in people)
    accounts = _all(engine, select(User.active, User.session_version, Citizen.email, Citizen.phone)
                    .join(Citizen, col(Citizen.user_id) == col(User.id)))
    assert all(active is True and version == 1 for active, version, _, _ in accounts)
    assert {email is None for _, _, email, _ in accounts} == {True, False}  # NULL, never the text "\\N"
    assert all(phone is None or re.fullmatch(r"09\d{8}", phone) for _, _, _, phone in accounts)
    provinces = Counter(p[0][:3] for p in people)
    assert 0.8 < provinces["001"] / len(people) < 0.95 and len(provinces) > 20


def test_names_are_nfc_vietnamese_and_folded(city) -> None:
    engine, _ = city
    people = _all(engine, select(Citizen.full_name, Citizen.name_folded))
    assert all(unicodedata.normalize("NFC", n) == n and folded == names.fold(n) for n, folded in people)
    assert sum(not n.isascii() for n, _ in people) / len(people) > 0.9
    surnames = Counter(n.split()[0] for n, _ in people)
    assert 0.33 < surnames["Nguyễn"] / len(people) < 0.43
    assert set(surnames) <= {s for s, _ in SURNAMES}
    assert all(unicodedata.normalize("NFC", s) == s for s, _ in SURNAMES)


def test_ages_and_target_groups(city) -> None:
    engine, report = city
    people = _all(engine, select(Citizen.date_of_birth, Citizen.target_group))
    born_before = date(YEAR - 15, 1, 1)
    assert 0.76 < sum(d < born_before for d, _ in people) / len(people) < 0.86
    assert report.adults == sum(d < born_before for d, _ in people)
    young = [g for d, g in people if date(YEAR - 25, 1, 1) <= d < date(YEAR - 15, 1, 1)]
    assert Counter(young).most_common(1)[0][0] == "learner"
    assert {g for _, g in people} == {"learner", "worker", "staff", "resident"}


def test_applications_in_every_state_with_plausible_shares(city) -> None:
    engine, report = city
    states = dict(_all(engine, select(Application.state, func.count()).group_by(col(Application.state))))
    assert set(states) == set(ApplicationState.values())
    assert states == report.states
    city_wide = report.applications - sum(BACKLOG.values())
    assert 0.67 < city_wide / (report.adults - sum(BACKLOG.values())) < 0.77
    assert states["recognised"] == max(states.values())
    queued = _all(engine, select(func.count()).select_from(Application).where(
        Application.ward_code == "00070", Application.state == "submitted"))
    assert queued[0] >= BACKLOG["00070"]


def test_certificates_of_recognised_applications(city) -> None:
    engine, report = city
    rows = _all(engine, select(Certificate, Application).join(Application,
                                                              col(Application.id) == col(Certificate.application_id)))
    assert len(rows) == report.certificates == report.states["recognised"]
    assert 0.40 < report.live_certificates / (report.adults - sum(BACKLOG.values())) < 0.48  # backlogs: none
    for cert, app in rows:
        assert app.state == "recognised" and app.decision_id == cert.decision_id
        assert (app.version, cert.version, cert.year, app.total >= 80) == (4, 4 if cert.live_key is None else 3, YEAR,
                                                                         True)  # numbers stored as numbers
        snap = cert.snapshot
        assert (snap["code"], snap["year"], snap["register_number"]) == (cert.code, cert.year, cert.register_number)
        assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}", cert.code)
        if cert.status == "issued":
            assert cert.live_key == f"{cert.citizen_id}:cdht:{YEAR}" and cert.revoke_reason is None
        else:
            assert cert.status == "revoked" and cert.live_key is None and cert.revoke_reason
    assert sum(c.status == "revoked" for c, _ in rows) == report.revoked_certificates > 0


def test_decisions_numbered_once_per_ward_and_year_in_the_year(city) -> None:
    engine, _ = city
    decisions = _all(engine, select(Decision))
    keys = [(d.ward_code, d.number_year, d.number) for d in decisions]
    assert len(keys) == len(set(keys))
    assert all(re.fullmatch(r"\d+/QĐ-UBND", d.number) for d in decisions)
    assert all(d.signed_on.year == d.number_year == d.year == YEAR for d in decisions)
    sizes = _all(engine, select(func.count()).select_from(Certificate).group_by(col(Certificate.decision_id)))
    assert max(sizes) <= 5000


def test_populations_and_counters_agree_with_the_people(city) -> None:
    engine, report = city
    adults = _all(engine, select(func.sum(Population.population)).where(
        Population.year == YEAR, Population.mode == DenominatorMode.RESIDENTS_15_PLUS))
    assert adults[0] == report.adults
    try:
        from workflows import rollup_counters
    except ImportError:
        return
    with Session(engine) as session:
        assert rollup_counters.check(session) == []
        from workflows import holder_counters

        assert holder_counters.check(session) == []
        # Most people's tổ dân phố/thôn is known, on their profile and their application alike.
        places = holder_counters.breakdown(session, YEAR, "hamlet")
        known = sum(n for k, n in places["cdht"].items() if k)
        assert 0.7 * sum(places["cdht"].values()) <= known < sum(places["cdht"].values())
        assert holder_counters.breakdown(session, YEAR, "total")["cdht"][""] == report.live_certificates


def test_indexes_come_back_without_drift_and_references_hold(city) -> None:
    engine, _ = city
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata) == []
        for table in metadata.sorted_tables:
            for fk in table.foreign_key_constraints:
                (column,) = fk.columns
                (element,) = fk.elements
                target = element.column
                orphans = conn.execute(text(
                    f"SELECT count(*) FROM {table.name} t LEFT JOIN {target.table.name} r ON r.{target.name} = "
                    f"t.{column.name} WHERE t.{column.name} IS NOT NULL AND r.{target.name} IS NULL")).scalar_one()
                assert orphans == 0, f"{table.name}.{column.name}"


def test_generating_twice_is_refused(city) -> None:
    engine, report = city
    with pytest.raises(CityNotEmpty):
        generate(engine, citizens=10, year=YEAR)
    with Session(engine) as session:
        assert session.exec(select(func.count()).select_from(Citizen)).one() == report.citizens


def test_cli_refuses_production(app, monkeypatch) -> None:
    monkeypatch.setattr(app.extensions["cdht"].settings, "env", "production")
    result = app.test_cli_runner().invoke(args=["demo", "generate", "--citizens", "10"])
    assert result.exit_code == 2 and "refused in production" in result.output


def test_cli_generates_once_then_refuses(app) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo", "generate", "--citizens", "300", "--backlog", "00004:20", "--year", "2025"])
    assert result.exit_code == 0, result.output
    assert "generated 320 citizens" in result.output and "password of every account" in result.output
    again = runner.invoke(args=["demo", "generate", "--citizens", "10"])
    assert again.exit_code == 2 and "already has citizens" in again.output
    bad = runner.invoke(args=["demo", "generate", "--citizens", "10", "--backlog", "4:x"])
    assert bad.exit_code == 2


def test_about_half_the_adults_hold_basic_digital_skills_counted_in_the_counters(city) -> None:
    engine, report = city
    from workflows.digital import counters as digital_counters
    from workflows.models import DigitalAttainment

    holders = report.rows["digital_attainment"]
    assert 0.45 * report.adults <= holders <= 0.65 * report.adults  # DIGITAL_SHARE of the adults, by number
    young = _all(engine, select(func.count()).select_from(DigitalAttainment).join(
        Citizen, col(Citizen.id) == col(DigitalAttainment.citizen_id)).where(
        col(Citizen.date_of_birth) > date(YEAR - 15, 1, 1)))
    assert young[0] == 0  # only people aged 15 and over
    with Session(engine) as session:
        assert digital_counters.check(session) == []
        assert sum(digital_counters.holders_by_ward(session, YEAR).values()) == holders


def test_every_ward_reports_each_unit_level_indicator(city) -> None:
    engine, report = city
    from workflows import unit_figures

    assert report.rows["unit_figure"] == 126 * 7
    with Session(engine) as session:
        lines = unit_figures.lines(session, YEAR)
        assert [line.wards_reporting for line in lines] == [126] * 7
        assert all(line.rate is not None and 0.3 < line.rate <= 1 for line in lines), lines
