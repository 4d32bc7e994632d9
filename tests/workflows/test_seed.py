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
    targets = {(t.indicator, t.year): t.value for t in session.exec(select(Target)).all()}
    assert targets == {("cdht", 2025): 0.5, ("cdht", 2030): 0.7, ("digital", 2025): 0.5, ("digital", 2030): 0.7}
