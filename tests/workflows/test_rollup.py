"""Roll-up arithmetic: next milestone, straight-line expectation, city = Σ numerators / Σ denominators."""

from datetime import date

from factories import cccd_for, make_staff
from sqlmodel import Session, col

from workflows import holder_counters, rollup, rollup_counters
from workflows.clock import now
from workflows.criteria import current_set
from workflows.models import Application, Certificate, Citizen, Decision, Population, User
from workflows.passwords import dummy_hash

YEAR = 2031


def test_year_between_milestones_is_judged_against_the_next(session: Session) -> None:
    t2026 = rollup.target_for(session, "cdht", 2026)
    assert t2026 is not None and (t2026.milestone_year, t2026.value) == (2030, 0.7)
    assert abs(t2026.expected_by_now - 0.54) < 1e-9
    t2025 = rollup.target_for(session, "cdht", 2025)
    assert t2025 is not None and (t2025.value, t2025.expected_by_now) == (0.5, 0.5)


def _citizen(session: Session, ward: str) -> Citizen:
    cccd = cccd_for(1970)
    user = User(username=cccd, password_hash=dummy_hash(), role="citizen")
    session.add(user)
    session.flush()
    citizen = Citizen(user_id=user.id, cccd=cccd, full_name="A", name_folded="a", date_of_birth=date(1970, 1, 1),
                      sex="male", ward_code=ward, target_group="resident", consent_at=now(), consent_version="t")
    session.add(citizen)
    session.flush()
    return citizen


def _holders(session: Session, ward: str, count: int, revoked: int = 0) -> None:
    """`count` live certificates in the ward, plus `revoked` ones that must not count."""
    chair = make_staff(session, "ward_chair", ward=ward)
    decision = Decision(ward_code=ward, year=YEAR, number=f"T-{ward}", number_year=YEAR, signed_on=date(YEAR, 11, 1),
                        signer_name="X", created_by=chair.user_id)
    session.add(decision)
    cset = current_set(session, "cdht", YEAR)
    assert cset is not None
    certificates = []
    for i in range(count + revoked):
        citizen = _citizen(session, ward)
        app = Application(citizen_id=citizen.id, ward_code=ward, criteria_set_id=cset.id, title_type="cdht",
                          year=YEAR, target_group="resident", state="recognised")
        session.add(app)
        session.flush()
        live = i < count
        certificates.append(Certificate(
            code=f"T{ward}{i:05d}", register_number=f"R-{ward}-{i}", application_id=app.id, citizen_id=citizen.id,
            decision_id=decision.id, ward_code=ward, title_type="cdht", year=YEAR,
            status="issued" if live else "revoked", live_key=f"{citizen.id}:cdht:{YEAR}" if live else None))
    session.add_all(certificates)
    session.flush()
    # Rows written by hand: counted as the domain counts them, in the same transaction (ADR 10, ADR 20).
    rollup_counters.add_live(session, certificates)
    session.commit()


def test_city_rate_is_ratio_of_sums_not_mean_of_rates(session: Session) -> None:
    for ward, population in (("00004", 100), ("00070", 900)):
        session.add(Population(ward_code=ward, year=YEAR, population=population, source="test"))
    session.commit()
    _holders(session, "00004", 50, revoked=3)
    _holders(session, "00070", 90)
    assert rollup_counters.check(session) == [] and holder_counters.check(session) == []
    admin = make_staff(session, "city_admin", ward=None)
    result = rollup.rollup(session, admin, YEAR)
    lines = {w.code: w for w in result.wards}
    assert (lines["00004"].cdht, lines["00004"].rate(lines["00004"].cdht)) == (50, 0.5)
    assert (lines["00070"].cdht, lines["00070"].rate(lines["00070"].cdht)) == (90, 0.1)
    assert result.city.cdht == 140
    assert result.city.population == sum(w.population or 0 for w in result.wards)
    # Only these two wards have denominators here: the city rate is 140/1000, not the mean (0.5+0.1)/2.
    assert result.city.rate(result.city.cdht) == 0.14
    reviewer = make_staff(session, "ward_reviewer", ward="00070")
    assert [w.code for w in rollup.rollup(session, reviewer, YEAR).wards] == ["00070"]


def test_citizens_cannot_see_rollups(session: Session) -> None:
    import pytest
    from factories import make_citizen

    from workflows.errors import NotFound

    citizen, _ = make_citizen(session)
    with pytest.raises(NotFound):
        rollup.rollup(session, citizen, YEAR)


def test_ward_without_denominator_cannot_raise_the_city_rate(session: Session) -> None:
    session.add(Population(ward_code="00004", year=YEAR, population=1000, source="test"))
    session.commit()
    _holders(session, "00004", 5)
    _holders(session, "00070", 7)  # no population figure for this ward
    admin = make_staff(session, "city_admin", ward=None)
    result = rollup.rollup(session, admin, YEAR)
    assert (result.city.cdht, result.city.population) == (5, 1000)
    assert result.wards_without_population == 125
    assert {w.code: w.cdht for w in result.wards}["00070"] == 7  # still shown for the ward itself
    assert result.city.digital == 0 and result.city.digital_rate == 0  # measured: nobody holds them yet


def test_city_figures_equal_an_independent_ratio_of_sums_over_wards_with_a_denominator(session: Session) -> None:
    """Random holders and population figures over 40 wards, some without a figure: the city's counts and rates are
    Σ numerators ÷ Σ denominators over the wards that have one, computed here again from the inputs."""
    import random

    from holders import add_adults
    from sqlmodel import select

    from workflows.actors import SYSTEM_ACTOR
    from workflows.models import Ward

    rng = random.Random(8)
    wards = list(session.exec(select(Ward.code).order_by(Ward.code)).all())[:40]
    given: dict[str, tuple[int | None, int | None, int, int]] = {}
    for code in wards:
        people = rng.choice([None, rng.randint(1_000, 90_000)])
        digital_people = rng.choice([None, rng.randint(1_000, 90_000)])
        cdht, digital = rng.randint(0, 40_000), rng.randint(0, 40_000)
        given[code] = (people, digital_people, cdht, digital)
        for mode, figure in (("residents_15_plus", people), ("all_residents", digital_people)):
            if figure is not None:
                session.add(Population(ward_code=code, year=YEAR, mode=mode, population=figure, source="thử"))
        add_adults(session, "cdht", code, YEAR, cdht)
        add_adults(session, "digital", code, YEAR, digital)
    session.flush()
    # The digital target counts all residents here: its denominator comes from its own mode.
    from workflows.models import Target

    digital_target = session.exec(select(Target).where(Target.indicator == "digital", Target.year == 2030,
                                                       col(Target.superseded_at).is_(None))).one()
    digital_target.denominator_mode = "all_residents"
    session.flush()
    city = rollup.rollup(session, SYSTEM_ACTOR, YEAR).city
    session.rollback()  # the seeded target back as it was
    with_people = [v for v in given.values() if v[0] is not None]
    with_digital = [v for v in given.values() if v[1] is not None]
    assert (city.cdht, city.population) == (sum(v[2] for v in with_people), sum(v[0] for v in with_people))
    assert (city.digital, city.digital_population) == (sum(v[3] for v in with_digital),
                                                        sum(v[1] for v in with_digital))
    assert city.rate(city.cdht) == sum(v[2] for v in with_people) / sum(v[0] for v in with_people)
    assert city.digital_rate == sum(v[3] for v in with_digital) / sum(v[1] for v in with_digital)
    assert 0 < len(with_people) < 40 and 0 < len(with_digital) < 40
