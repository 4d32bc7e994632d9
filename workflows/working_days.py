"""Working days in Việt Nam: Monday to Friday, less the public holidays of the Labour Code 2019 (Article 112) and
the days off in lieu of a holiday that falls on a weekend (Article 111). Framework-free; the deadline of a citizen's
request about their personal data (ADR 41) is counted with it.

The fixed-date holidays are rules; the lunar ones (Tết Nguyên đán, Giỗ Tổ Hùng Vương) are a table, computed once
with the Vietnamese lunar calendar (UTC+7: Tết 2030 falls on 2 February here, on 3 February in China's) for
2025–2030. Tết is five days: the last day of the old year and the first four of the new one, as the Government has
set them in recent years; Quốc khánh is 2 September and the day before. The Government sometimes moves a day or
swaps one with a weekend: EXTRA_DAYS_OFF takes such days when a notice adds them.
"""

from datetime import date, timedelta
from functools import cache

# Year: (the first day of the lunar year, the 10th day of its 3rd month).
LUNAR: dict[int, tuple[date, date]] = {
    2025: (date(2025, 1, 29), date(2025, 4, 7)),
    2026: (date(2026, 2, 17), date(2026, 4, 26)),
    2027: (date(2027, 2, 6), date(2027, 4, 16)),
    2028: (date(2028, 1, 26), date(2028, 4, 4)),
    2029: (date(2029, 2, 13), date(2029, 4, 23)),
    2030: (date(2030, 2, 2), date(2030, 4, 12)),
}
FIXED = ((1, 1), (4, 30), (5, 1), (9, 1), (9, 2))  # Tết Dương lịch, 30/4, 1/5, Quốc khánh and the day before
EXTRA_DAYS_OFF: frozenset[date] = frozenset()  # days the Government adds for a year (none recorded yet)


@cache
def holidays(year: int) -> frozenset[date]:
    """The year's public holidays and the days off in lieu of those that fall on a Saturday or Sunday. A year past
    the lunar table has its fixed holidays only (a deadline is never refused; a test fails a year ahead, so that
    the table is extended in time)."""
    days = {date(year, m, d) for m, d in FIXED}
    if year in LUNAR:
        tet, hung_kings = LUNAR[year]
        days |= {tet + timedelta(days=n) for n in range(-1, 4)} | {hung_kings}
    days |= {d for d in EXTRA_DAYS_OFF if d.year == year}
    in_lieu: set[date] = set()
    for day in sorted(days):
        if day.weekday() >= 5:  # the next weekday that is neither a holiday nor already given in lieu
            other = day + timedelta(days=1)
            while other.weekday() >= 5 or other in days or other in in_lieu:
                other += timedelta(days=1)
            in_lieu.add(other)
    return frozenset(days | in_lieu)


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in holidays(day.year)


def add_working_days(start: date, count: int) -> date:
    """The `count`-th working day after `start` (a request filed on a Friday, or on a Saturday, with 2: Tuesday)."""
    day = start
    while count > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            count -= 1
    return day
