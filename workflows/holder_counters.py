"""Holder counters (ADR 20): the holders of each indicator per ward and year, broken down by target group, sex, age
band, tổ dân phố/thôn and month, and split by whether they are aged 15 and over at the end of the year.

One row per (year, indicator, breakdown, bucket, ward, aged 15+): every breakdown of a ward, year and indicator adds up
to the same holders, so the dashboard reads any breakdown, or the total in a target's own denominator mode, from a
few hundred rows. The indicator is a title type ("cdht") for a title's live certificates, or "digital" for holders of
basic digital skills.

Who a holder is, as counted:
- a title's holder: the live certificate's ward (the ward that recognised them: resident there at the decision), the
  target group and tổ dân phố/thôn kept on the application, sex and birth year, and the month of the decision;
- a digital holder: the citizen as they are now (ward, group, tổ dân phố/thôn), and the month from which they hold
  the skills in that year (the earliest achievement covering it, and January for one achieved in an earlier year).

Whatever moves a holder calls `add` in the same transaction (workflows.rollup_counters for titles,
workflows.digital.counters for attainments and for a citizen's change of residence); `check` recounts everything
from the base tables in one statement and names every difference; `rebuild` replaces the counters by that recount.
"""

from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Integer, String, and_, case, cast, extract, func, literal, select, union_all
from sqlmodel import Session, col

from . import recount
from .models import Application, Certificate, Citizen, Decision, DigitalAttainment, HolderCounter
from .vocabulary import ADULT_AGE, AGE_BAND_FROM, AgeBand, AttainmentState, Breakdown, TargetIndicator

KEY = ("year", "indicator", "breakdown", "bucket", "ward_code", "aged_15_plus")
DIGITAL = TargetIndicator.DIGITAL.value
BANDS = [b.value for b in AgeBand]


@dataclass(frozen=True)
class Holder:
    """Who a holder is, as the breakdowns see them."""

    ward_code: str
    target_group: str
    sex: str
    birth_year: int
    hamlet: str | None


@dataclass(frozen=True)
class Change:
    """A holder gained (+1) or lost (-1) for an indicator and year, in a month (YYYYMM)."""

    indicator: str
    year: int
    holder: Holder
    month: int
    sign: int


@dataclass(frozen=True)
class Difference:
    """A counter that disagrees with the base tables: `counted` by the recount, `stored` in the counter."""

    year: int
    indicator: str
    breakdown: str
    bucket: str
    ward_code: str
    aged_15_plus: bool
    counted: int
    stored: int


def age_band(age: int) -> str:
    """The band of an age reached in the year counted."""
    return BANDS[max(0, bisect_right(AGE_BAND_FROM, age) - 1)]


def month_of(day: date) -> int:
    """A date's month as YYYYMM, the month breakdown's bucket."""
    return day.year * 100 + day.month


def buckets(holder: Holder, year: int, month: int) -> list[tuple[str, str]]:
    """The bucket of each breakdown a holder falls in, for a year."""
    return [(Breakdown.TOTAL, ""), (Breakdown.TARGET_GROUP, holder.target_group), (Breakdown.SEX, holder.sex),
            (Breakdown.AGE_BAND, age_band(year - holder.birth_year)), (Breakdown.HAMLET, holder.hamlet or ""),
            (Breakdown.MONTH, str(month))]


def deltas(changes: Iterable[Change]) -> Iterator[tuple[tuple[Any, ...], int]]:
    """The counter rows each change moves, with the amount."""
    for c in changes:
        adult = c.year - c.holder.birth_year >= ADULT_AGE
        for breakdown, bucket in buckets(c.holder, c.year, c.month):
            yield (c.year, c.indicator, str(breakdown), bucket, c.holder.ward_code, adult), c.sign


def add(session: Session, changes: Iterable[Change]) -> None:
    """Apply changes to the counters: one statement for them all, in the session's transaction."""
    recount.add(session, HolderCounter, KEY, "holders", deltas(changes))


def totals(session: Session, year: int) -> dict[tuple[str, str, bool], int]:
    """{(indicator, ward, aged 15+): holders} for a year: what the roll-up's numerators are made of."""
    rows = session.execute(select(col(HolderCounter.indicator), col(HolderCounter.ward_code),
                                  col(HolderCounter.aged_15_plus), col(HolderCounter.holders))
                           .where(col(HolderCounter.year) == year, col(HolderCounter.breakdown) == Breakdown.TOTAL))
    return {(indicator, ward, bool(adult)): int(n) for indicator, ward, adult, n in rows}


def breakdown(session: Session, year: int, name: str, ward_code: str | None = None,
              adults_only: bool = False) -> dict[str, dict[str, int]]:
    """{indicator: {bucket: holders}} of one breakdown for a year, for the city or one ward, all ages or 15+ only."""
    stmt = (select(col(HolderCounter.indicator), col(HolderCounter.bucket), func.sum(HolderCounter.holders))
            .where(col(HolderCounter.year) == year, col(HolderCounter.breakdown) == name)
            .group_by(col(HolderCounter.indicator), col(HolderCounter.bucket)))
    if ward_code is not None:
        stmt = stmt.where(col(HolderCounter.ward_code) == ward_code)
    if adults_only:
        stmt = stmt.where(col(HolderCounter.aged_15_plus).is_(True))
    found: dict[str, dict[str, int]] = {}
    for indicator, bucket, n in session.execute(stmt):
        if n:
            found.setdefault(indicator, {})[bucket] = int(n)
    return found


def rows(session: Session) -> int:
    """How many counter rows there are."""
    return recount.rows(session, HolderCounter)


def _title_holders() -> Any:
    """One row per live certificate: its holder as the breakdowns see them."""
    return (select(col(Certificate.year).label("year"), col(Certificate.title_type).label("indicator"),
                   col(Certificate.ward_code).label("ward_code"), col(Application.target_group).label("target_group"),
                   col(Application.hamlet).label("hamlet"), col(Citizen.sex).label("sex"),
                   (col(Certificate.year) - cast(extract("year", col(Citizen.date_of_birth)), Integer)).label("age"),
                   (cast(extract("year", col(Decision.signed_on)), Integer) * 100
                    + cast(extract("month", col(Decision.signed_on)), Integer)).label("month"))
            .select_from(Certificate)
            .join(Application, col(Application.id) == col(Certificate.application_id))
            .join(Citizen, col(Citizen.id) == col(Certificate.citizen_id))
            .join(Decision, col(Decision.id) == col(Certificate.decision_id))
            .where(col(Certificate.live_key).is_not(None)))


def _digital_holders(session: Session) -> Any:
    """One row per citizen and year they hold basic digital skills: the citizen as they are now, and the month from
    which they hold them that year."""
    counted = (col(DigitalAttainment.state) == AttainmentState.VERIFIED.value, col(DigitalAttainment.counts).is_(True))
    first, last = session.execute(select(func.min(DigitalAttainment.first_year), func.max(DigitalAttainment.last_year))
                                  .where(*counted)).one()
    span = range(first, last + 1) if first is not None else range(0)
    years = union_all(*[select(literal(y).label("year")) for y in span] or
                      [select(literal(0).label("year")).where(literal(False))]).subquery()
    achieved = col(DigitalAttainment.achieved_on)
    achieved_year = cast(extract("year", achieved), Integer)
    since = case((achieved_year < years.c.year, years.c.year * 100 + 1),
                 else_=achieved_year * 100 + cast(extract("month", achieved), Integer))
    held = (select(col(DigitalAttainment.citizen_id).label("citizen_id"), years.c.year.label("year"),
                   func.min(since).label("month"))
            .select_from(DigitalAttainment)
            .join(years, and_(years.c.year >= col(DigitalAttainment.first_year),
                              years.c.year <= col(DigitalAttainment.last_year)))
            .where(*counted)
            .group_by(col(DigitalAttainment.citizen_id), years.c.year)).subquery()
    return (select(held.c.year, literal(DIGITAL).label("indicator"), col(Citizen.ward_code).label("ward_code"),
                   col(Citizen.target_group).label("target_group"), col(Citizen.hamlet).label("hamlet"),
                   col(Citizen.sex).label("sex"),
                   (held.c.year - cast(extract("year", col(Citizen.date_of_birth)), Integer)).label("age"),
                   held.c.month)
            .select_from(held).join(Citizen, col(Citizen.id) == held.c.citizen_id))


def _recount(session: Session) -> Any:
    """Every counter row from the base tables: the holders are read once (a materialised CTE), then grouped by each
    breakdown. Columns in KEY order, then the holders."""
    holders = union_all(_title_holders(), _digital_holders(session)).cte("holders").prefix_with("MATERIALIZED")
    h = holders.c
    band = case(*[(h.age < start, BANDS[i - 1]) for i, start in enumerate(AGE_BAND_FROM) if i],
                else_=BANDS[-1])
    by = {Breakdown.TOTAL: literal(""), Breakdown.TARGET_GROUP: h.target_group, Breakdown.SEX: h.sex,
          Breakdown.AGE_BAND: band, Breakdown.HAMLET: func.coalesce(h.hamlet, ""),
          Breakdown.MONTH: cast(h.month, String)}
    adult = h.age >= ADULT_AGE
    parts = [select(h.year, h.indicator, literal(str(name)).label("breakdown"), bucket.label("bucket"), h.ward_code,
                    adult.label("aged_15_plus"), func.count().label("holders"))
             .group_by(h.year, h.indicator, bucket, h.ward_code, adult) for name, bucket in by.items()]
    every = union_all(*parts).subquery()
    return select(*every.c)


def check(session: Session) -> list[Difference]:
    """Recount from the base tables and compare with every counter; return each difference (none: they agree)."""
    stored = select(*(getattr(HolderCounter, k) for k in KEY), col(HolderCounter.holders))
    return [Difference(int(y), i, b, k, w, bool(a), int(n), int(s))
            for y, i, b, k, w, a, n, s in recount.differences(session, _recount(session), stored)]


def rebuild(session: Session) -> int:
    """Replace every counter by a recount from the base tables; return the number of rows."""
    return recount.replace(session, HolderCounter, [*KEY, "holders"], _recount(session))

