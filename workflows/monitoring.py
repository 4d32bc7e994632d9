"""What the dashboard answers beyond the roll-up's line: the holders broken down, month by month, and where the
current pace leads by the end of the year. Read from the holder counters (ADR 20), a few hundred rows whatever the
city's size; counted as the target's denominator counts people (aged 15+ only when it is)."""

from calendar import monthrange
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, or_, select
from sqlmodel import Session, col

from .models import HolderCounter
from .rollup import adults_only
from .vocabulary import AgeBand, Breakdown, Sex, TargetGroup, TargetIndicator

SHOWN = (Breakdown.TARGET_GROUP, Breakdown.SEX, Breakdown.AGE_BAND, Breakdown.MONTH)
DIGITS = set("0123456789")  # ASCII only: "Tổ ①" or "²" are letters here, never int()
PACE_MONTHS = 3  # the pace is the net gain per month over the last three months (fewer early in the year)


@dataclass(frozen=True)
class MonthPoint:
    """Holders at the end of a month (so far, for the current one), and their share of the population."""

    month: date  # the first day of the month
    holders: int
    rate: float | None


@dataclass(frozen=True)
class Trend:
    """The year month by month, the pace of the last months, and where it leads by 31 December."""

    points: list[MonthPoint]
    pace: float | None  # net holders gained per month recently; None when the year is over or has not begun
    projected: int | None  # holders on 31 December at that pace
    projected_rate: float | None
    gained: int | None  # net holders gained over those months (0: nobody added, or as many added as lost)


@dataclass
class Breakdowns:
    """One indicator's holders by each breakdown, in the target's mode, and those left out by the 15+ rule."""

    by: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    under_15: int = 0  # holders under 15, not counted against a denominator of residents aged 15 and over
    months: dict[int, int] = field(default_factory=dict)  # YYYYMM -> holders who became holders that month


ORDER = {Breakdown.TARGET_GROUP: TargetGroup.values(), Breakdown.SEX: Sex.values(),
         Breakdown.AGE_BAND: AgeBand.values()}


def breakdowns(session: Session, year: int, modes: dict[str, str], ward_code: str | None = None,
               with_hamlets: bool = False, left_out: dict[str, list[str]] | None = None) -> dict[str, Breakdowns]:
    """{indicator: its breakdowns} for the city or one ward: one query over the counters. `left_out`: for the
    city, the wards of each indicator its line leaves out (rollup.left_out), left out here too."""
    names = [*SHOWN, Breakdown.HAMLET] if with_hamlets else list(SHOWN)
    stmt = (select(col(HolderCounter.indicator), col(HolderCounter.breakdown), col(HolderCounter.bucket),
                   col(HolderCounter.aged_15_plus), func.sum(HolderCounter.holders))
            .where(col(HolderCounter.year) == year, col(HolderCounter.breakdown).in_([str(n) for n in names]))
            .group_by(col(HolderCounter.indicator), col(HolderCounter.breakdown), col(HolderCounter.bucket),
                      col(HolderCounter.aged_15_plus)))
    if ward_code is not None:
        stmt = stmt.where(col(HolderCounter.ward_code) == ward_code)
    elif left_out:
        stmt = stmt.where(*[or_(col(HolderCounter.indicator) != indicator, col(HolderCounter.ward_code).not_in(codes))
                            for indicator, codes in left_out.items() if codes])
    counted: dict[str, dict[str, dict[str, int]]] = {}
    found = {indicator: Breakdowns() for indicator in modes}
    for indicator, name, bucket, adult, n in session.execute(stmt):
        if indicator not in modes or not n:
            continue
        if not adult and adults_only(modes[indicator]):
            if name == Breakdown.AGE_BAND:
                found[indicator].under_15 += int(n)
            continue
        into = counted.setdefault(indicator, {}).setdefault(name, {})
        into[bucket] = into.get(bucket, 0) + int(n)
    for indicator, by_name in counted.items():
        result = found[indicator]
        for name, buckets in by_name.items():
            if name == Breakdown.MONTH:
                result.months = {int(k): v for k, v in buckets.items()}
                continue
            result.by[name] = [(k, buckets[k]) for k in _ordered(name, buckets) if buckets[k]]
    return found


def _ordered(name: str, keys: Iterable[str]) -> list[str]:
    """A breakdown's buckets in the vocabulary's order (unknown ones after), or tổ dân phố/thôn in natural order."""
    order = ORDER.get(Breakdown(name))
    if order is None:
        return sorted(keys, key=_natural)
    return sorted(keys, key=lambda k: (order.index(k) if k in order else len(order), k))


def _natural(text: str) -> tuple[object, ...]:
    """Sort "Tổ dân phố số 10" after "số 9"; the unknown one ("") last."""
    parts = "".join(c if c in DIGITS else f" {c} " for c in text).split()
    return (text == "", *[(0, int(p)) if set(p) <= DIGITS else (1, p) for p in parts])


def trend(months: dict[int, int], year: int, population: int | None, today: date) -> Trend:
    """Holders month by month from January to the current month (or December, for a past year; later months when a
    decision for the year came after it), with the pace of the last months and the projection to 31 December."""
    last = max([*months, year * 100 + 1])
    if today.year == year:
        last = max(last, year * 100 + today.month)
    elif today.year > year:
        last = max(last, year * 100 + 12)
    points: list[MonthPoint] = []
    held = sum(n for m, n in months.items() if m < year * 100 + 1)
    y, m = year, 1
    while y * 100 + m <= last:
        held += months.get(y * 100 + m, 0)
        points.append(MonthPoint(date(y, m, 1), held, held / population if population else None))
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    if today.year != year or not points:
        return Trend(points, None, None, None, None)
    now_ix = today.month - 1
    start_ix = max(0, now_ix - PACE_MONTHS)
    if now_ix == start_ix:  # January: no month behind to measure a pace on
        return Trend(points, None, None, None, None)
    length = monthrange(today.year, today.month)[1]
    elapsed = now_ix - start_ix - 1 + today.day / length  # months from the end of the start month to today
    remaining = (length - today.day) / length + 12 - today.month
    gained = points[now_ix].holders - points[start_ix].holders
    pace = gained / elapsed
    projected = max(0, round(points[now_ix].holders + pace * remaining))
    return Trend(points, pace, projected, projected / population if population else None, gained)


def side_by_side(parts: dict[str, Breakdowns]) -> list[tuple[str, list[tuple[str, int, int]]]]:
    """The breakdowns of the title and of digital skills as tables of (bucket, title holders, digital holders), in
    the vocabulary's order (tổ dân phố/thôn: natural order), for each breakdown either indicator has."""
    cdht, digital = parts.get(TargetIndicator.CDHT, Breakdowns()), parts.get(TargetIndicator.DIGITAL, Breakdowns())
    tables = []
    for name in (Breakdown.TARGET_GROUP, Breakdown.SEX, Breakdown.AGE_BAND, Breakdown.HAMLET):
        first, second = dict(cdht.by.get(name, [])), dict(digital.by.get(name, []))
        if not first and not second:
            continue
        keys = _ordered(name, first.keys() | second.keys())
        tables.append((str(name), [(k, first.get(k, 0), second.get(k, 0)) for k in keys]))
    return tables


def as_data(session: Session, year: int, modes: dict[str, str],
            left_out: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """The city's breakdowns as plain data, for a frozen report: the tables and those under 15 left out."""
    parts = breakdowns(session, year, modes, left_out=left_out)
    return {"tables": [[name, [list(row) for row in rows]] for name, rows in side_by_side(parts)],
            "under_15": {indicator: b.under_15 for indicator, b in parts.items()}}
