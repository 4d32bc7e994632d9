"""Working days in Việt Nam (workflows.working_days): weekends, the fixed holidays, Tết and Giỗ Tổ Hùng Vương from
the lunar table, and a day off in lieu of a holiday that falls on a weekend."""

from datetime import date

import pytest

from workflows.clock import today
from workflows.working_days import LUNAR, add_working_days, holidays, is_working_day


def test_the_lunar_table_covers_2025_to_2030_on_the_vietnamese_calendar() -> None:
    assert sorted(LUNAR) == list(range(2025, 2031))
    assert LUNAR[2026] == (date(2026, 2, 17), date(2026, 4, 26))
    assert LUNAR[2030][0] == date(2030, 2, 2)  # UTC+7; China's calendar says 3 February
    for tet, hung_kings in LUNAR.values():
        assert date(tet.year, 1, 20) <= tet <= date(tet.year, 2, 20)
        assert 40 <= (hung_kings - tet).days <= 90


@pytest.mark.parametrize(("filed", "due"), [
    (date(2026, 11, 23), date(2026, 11, 25)),  # Monday → Wednesday
    (date(2026, 11, 27), date(2026, 12, 1)),  # Friday → Tuesday
    (date(2026, 11, 28), date(2026, 12, 1)),  # Saturday → Tuesday
    (date(2026, 4, 29), date(2026, 5, 5)),  # 30/4 and 1/5 (Thursday, Friday), the weekend → Monday 4/5 is the 1st
    (date(2026, 2, 13), date(2026, 2, 24)),  # Tết 2026: 16–20/2 → Monday 23/2, Tuesday 24/2
    (date(2026, 4, 24), date(2026, 4, 29)),  # Giỗ Tổ on Sunday 26/4: Monday 27/4 off in lieu
    (date(2026, 8, 31), date(2026, 9, 4)),  # Quốc khánh 1–2/9 (Tuesday, Wednesday)
    (date(2026, 12, 31), date(2027, 1, 5)),  # 1/1/2027 is a Friday, then the weekend
])
def test_two_working_days_after_filing(filed: date, due: date) -> None:
    assert add_working_days(filed, 2) == due


def test_a_holiday_on_a_weekend_gives_the_next_working_day_off() -> None:
    assert date(2028, 1, 1).weekday() == 5 and date(2028, 1, 3) in holidays(2028)  # Saturday → Monday
    assert not is_working_day(date(2026, 4, 27)) and is_working_day(date(2026, 4, 28))
    assert len([d for d in holidays(2026) if d.weekday() < 5]) >= 11  # 11 statutory days, all on weekdays or moved


def test_the_table_reaches_next_year_and_a_later_year_still_counts_its_fixed_holidays() -> None:
    assert today().year + 1 in LUNAR, "extend workflows.working_days.LUNAR with next year's Tết and Giỗ Tổ"
    assert holidays(2031) == {date(2031, 1, 1), date(2031, 4, 30), date(2031, 5, 1), date(2031, 9, 1),
                              date(2031, 9, 2)}
