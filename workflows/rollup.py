"""Ward → city roll-ups against Plan 52 milestones: city = Σ numerators / Σ denominators, never a mean of rates."""

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session, col, select

from . import application_counters, holder_counters
from .actors import Actor
from .errors import NotFound
from .models import Population, Target, Ward
from .vocabulary import ApplicationState, DenominatorMode, Role, TargetIndicator

DEFAULT_MODE = DenominatorMode.RESIDENTS_15_PLUS


@dataclass(frozen=True)
class TargetView:
    """The milestone a year is judged against, and the straight-line value expected by that year."""

    milestone_year: int
    value: float
    expected_by_now: float
    source_document: str
    denominator_mode: str


@dataclass
class Figures:
    """Counts and rates of one ward or of the city."""

    code: str
    name: str
    population: int | None  # the title's denominator, in its target's mode
    cdht: int = 0
    digital: int = 0  # citizens holding basic digital skills in the year
    digital_population: int | None = None  # the digital target's denominator (its own mode)
    applications: int = 0  # applications of the year sent for review (not drafts)
    recognised_applications: int = 0  # of those, recognised by a decision

    @property
    def pass_rate(self) -> float | None:
        """Recognised over applications of the year: how the review goes, not how far the city is (coverage)."""
        return self.recognised_applications / self.applications if self.applications else None

    def rate(self, numerator: int | None) -> float | None:
        """Numerator over population; None when either is unknown or the denominator is zero."""
        return numerator / self.population if self.population and numerator is not None else None

    @property
    def digital_rate(self) -> float | None:
        """Holders of basic digital skills over the digital target's denominator."""
        return self.digital / self.digital_population if self.digital_population else None


def people_short(count: int, population: int | None, share: float | None) -> int | None:
    """How many more people the count needs to reach a share of the population (0 when reached; None if unknown)."""
    if not population or share is None:
        return None
    return max(0, math.ceil(round(share * population, 6)) - count)


@dataclass
class Rollup:
    """A year's roll-up: targets, the city line and one line per ward."""

    year: int
    targets: dict[TargetIndicator, TargetView | None]
    city: Figures
    wards: list[Figures] = field(default_factory=list)
    wards_without_population: int = 0
    milestones: list[Target] = field(default_factory=list)  # every milestone in force (unit-level ones too)
    inactive: list[str] = field(default_factory=list)  # wards no longer in use (merged away): never in the city line
    # The year's applications in each state, over the wards shown (the pipeline: waiting, returned, proposed…).
    pipeline: dict[str, int] = field(default_factory=dict)


def target_for(session: Session, indicator: str, year: int) -> TargetView | None:
    """Judge a year against the next milestone; expected-by-now follows the line from the previous one."""
    rows = session.exec(select(Target).where(Target.indicator == indicator, col(Target.superseded_at).is_(None))
                        .order_by(col(Target.year))).all()
    return judge(list(rows), year)


def milestones(session: Session) -> list[Target]:
    """Every milestone in force, of every indicator, in year order: one query."""
    return list(session.exec(select(Target).where(col(Target.superseded_at).is_(None)).order_by(col(Target.year))))


def _targets(rows: list[Target], year: int) -> dict[TargetIndicator, TargetView | None]:
    """The milestone each citizen-level indicator is judged against this year."""
    return {i: judge([t for t in rows if t.indicator == i], year) for i in TargetIndicator}


def judge(rows: list[Target], year: int) -> TargetView | None:
    """The milestone a year is judged against among rows of one indicator (in year order), and the straight line."""
    if not rows:
        return None
    upcoming = [t for t in rows if t.year >= year]
    previous = [t for t in rows if t.year < year]
    goal = upcoming[0] if upcoming else rows[-1]
    if not upcoming or not previous:
        expected = goal.value
    else:
        prev = previous[-1]
        expected = prev.value + (goal.value - prev.value) * (year - prev.year) / (goal.year - prev.year)
    return TargetView(goal.year, goal.value, round(expected, 6), goal.source_document, goal.denominator_mode)


def _populations(session: Session, year: int, mode: str) -> dict[str, int]:
    # The newest figure at or before the year stands for the year until a newer one is imported.
    rows = session.exec(
        select(col(Population.ward_code), col(Population.population))
        .where(col(Population.year) <= year, Population.mode == mode)
        .order_by(col(Population.year))
    ).all()
    return dict(rows)  # columns, not objects: the dashboard reads 126 of them on every request


def modes_of(targets: Mapping[TargetIndicator, TargetView | None]) -> dict[str, str]:
    """Each indicator's denominator mode: its target's, or the default when it has none."""
    return {str(i): (t.denominator_mode if t else DEFAULT_MODE) for i, t in targets.items()}


def numerators(session: Session, year: int, modes: Mapping[str, str]) -> dict[TargetIndicator, dict[str, int]]:
    """Holders of each indicator per ward, counted as its target's denominator counts people: only those aged 15 and
    over at the end of the year when the denominator is residents aged 15 and over (ADR 20).

    A title's holder is a live certificate (not revoked or superseded) from the decision on, and live_key is unique
    per citizen, title and year, so they are distinct citizens; the holder counters keep them per ward, split by
    age, moved by every transaction that moves a holder.
    """
    found: dict[TargetIndicator, dict[str, int]] = {i: {} for i in TargetIndicator}
    for (indicator, ward, adult), n in holder_counters.totals(session, year).items():
        if indicator in found and (adult or not adults_only(modes[indicator])):
            found[TargetIndicator(indicator)][ward] = found[TargetIndicator(indicator)].get(ward, 0) + n
    return found


def adults_only(mode: str) -> bool:
    """Whether a denominator mode counts only people aged 15 and over."""
    return mode == DenominatorMode.RESIDENTS_15_PLUS


def _applications(session: Session, year: int) -> tuple[dict[str, int], dict[str, int], dict[str, dict[str, int]]]:
    """Per ward: applications of the year sent for review, those recognised, and all per state (from the
    application counters, one statement)."""
    both = application_counters.of_year_by_state(session, year)
    sent = {ward: sum(n for state, n in states.items() if state != ApplicationState.DRAFT)
            for ward, states in both.items()}
    recognised = {ward: states.get(ApplicationState.RECOGNISED, 0) for ward, states in both.items()}
    return sent, recognised, both


def rollup(session: Session, actor: Actor, year: int) -> Rollup:
    """Compute the roll-up a city admin or the system (all wards) or ward staff (own ward only) may see."""
    if actor.role not in (Role.CITY_ADMIN, Role.SYSTEM) and not actor.is_ward_staff:
        raise NotFound()
    every_ward = session.exec(select(col(Ward.code), col(Ward.name), col(Ward.active)).order_by(col(Ward.code))).all()
    wards = [(code, name) for code, name, active in every_ward if active]
    every = milestones(session)
    targets = _targets(every, year)
    modes = modes_of(targets)
    populations = _populations(session, year, modes[TargetIndicator.CDHT])
    digital_populations = (populations if modes[TargetIndicator.DIGITAL] == modes[TargetIndicator.CDHT]
                           else _populations(session, year, modes[TargetIndicator.DIGITAL]))
    counted = numerators(session, year, modes)
    counts, holders = counted[TargetIndicator.CDHT], counted[TargetIndicator.DIGITAL]
    sent, recognised, per_state = _applications(session, year)
    lines = [Figures(code, name, populations.get(code), cdht=counts.get(code, 0), digital=holders.get(code, 0),
                     digital_population=digital_populations.get(code), applications=sent.get(code, 0),
                     recognised_applications=recognised.get(code, 0)) for code, name in wards]
    # Ratio of sums over the wards that have a denominator; a ward without one cannot raise the city rate.
    measured = [f for f in lines if f.population]
    digital_measured = [f for f in lines if f.digital_population]
    city = Figures("01", "Thành phố Hà Nội", sum(f.population or 0 for f in measured) or None,
                   cdht=sum(f.cdht for f in measured), digital=sum(f.digital for f in digital_measured),
                   digital_population=sum(f.digital_population or 0 for f in digital_measured) or None,
                   applications=sum(f.applications for f in lines),
                   recognised_applications=sum(f.recognised_applications for f in lines))
    without = len(lines) - len(measured)
    if actor.is_ward_staff:
        lines = [f for f in lines if f.code == actor.ward_code]
    pipeline: dict[str, int] = {}
    for f in lines:
        for state, n in per_state.get(f.code, {}).items():
            pipeline[state] = pipeline.get(state, 0) + n
    return Rollup(year=year, targets=targets, city=city, wards=lines, wards_without_population=without,
                  milestones=every, inactive=[code for code, _, active in every_ward if not active],
                  pipeline=pipeline)



def left_out(r: Rollup) -> dict[str, list[str]]:
    """The wards each indicator's city line leaves out: those without a denominator in its target's mode, and the
    wards no longer in use. Usually none: then whatever reads the counters for the city needs no filter."""
    return {TargetIndicator.CDHT.value: [w.code for w in r.wards if not w.population] + r.inactive,
            TargetIndicator.DIGITAL.value: [w.code for w in r.wards if not w.digital_population] + r.inactive}


def as_data(r: Rollup) -> dict[str, Any]:
    """A roll-up as plain data: counts, rates (fractions) and targets per ward and for the city (the API's answer,
    and what a frozen report keeps)."""
    cdht, digital = r.targets.get(TargetIndicator.CDHT), r.targets.get(TargetIndicator.DIGITAL)

    def line(f: Figures) -> dict[str, Any]:
        return {"code": f.code, "name": f.name, "population": f.population, "cdht": f.cdht,
                "cdht_rate": f.rate(f.cdht), "cdht_target": cdht.value if cdht else None,
                "digital": f.digital, "digital_population": f.digital_population, "digital_rate": f.digital_rate,
                "digital_target": digital.value if digital else None, "applications": f.applications,
                "recognised_applications": f.recognised_applications, "pass_rate": f.pass_rate}

    targets = {str(k): (None if t is None else {"milestone_year": t.milestone_year, "value": t.value,
                                                "expected_by_now": t.expected_by_now, "source": t.source_document})
               for k, t in r.targets.items()}
    return {"year": r.year, "targets": targets, "city": line(r.city), "wards": [line(w) for w in r.wards],
            "wards_without_population": r.wards_without_population}
