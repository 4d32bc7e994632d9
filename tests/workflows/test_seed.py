"""Reference data comes from its sources, not from typing."""

from sqlmodel import Session, func, select

from workflows.models import CriteriaSet, Indicator, Target, Ward
from workflows.seed import seed_reference


def test_hanoi_has_126_wards_51_phuong_75_xa(session: Session) -> None:
    rows = session.exec(select(Ward.division_type, func.count()).group_by(Ward.division_type)).all()
    assert dict(rows) == {"phường": 51, "xã": 75}
    assert session.get(Ward, "00070").name == "Phường Hoàn Kiếm"
    assert session.get(Ward, "00004").name == "Phường Ba Đình"


def test_seeding_twice_changes_nothing(session: Session) -> None:
    def counts() -> tuple[int, ...]:
        return tuple(session.exec(select(func.count()).select_from(t)).one()
                     for t in (Ward, Target, CriteriaSet, Indicator))

    before = counts()
    seed_reference(session)
    session.commit()
    assert counts() == before
    targets = {(t.indicator, t.year): (t.value, t.denominator_mode) for t in session.exec(select(Target)).all()}
    adults = "residents_15_plus"
    assert targets == {("cdht", 2025): (0.5, adults), ("cdht", 2030): (0.7, adults), ("digital", 2025): (0.5, adults),
                       ("digital", 2030): (0.7, adults),
                       # the plan's unit-level milestones (DOMAIN §1), shares of the units counted with each figure
                       ("cadres_digital", 2025): (1.0, "units"), ("cadres_data", 2025): (0.5, "units"),
                       ("schools_digital", 2025): (0.8, "units"), ("schools_digital", 2030): (0.9, "units"),
                       ("centres_it", 2025): (0.7, "units"), ("centres_it", 2030): (0.9, "units"),
                       ("schools_standard", 2025): (0.8, "units"), ("schools_standard", 2030): (0.85, "units"),
                       ("workers_trained", 2030): (0.8, "units"), ("workers_certified", 2030): (0.6, "units")}
