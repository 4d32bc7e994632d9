"""generate(): a realistic synthetic Hà Nội in an empty database, for measuring (ADR 0009)."""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any, cast

from sqlalchemy import delete, func, insert, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from .. import application_counters, holder_counters, identity_seal, register_numbers, rollup_counters
from ..clock import now
from ..criteria import current_set, indicator_codes
from ..digital import counters as digital_counters
from ..digital import frameworks
from ..models import Citizen, DigitalAttainment, Hamlet, Population, UnitFigure, User, Ward
from ..passwords import hash_password
from ..vocabulary import DenominatorMode, ReportPeriod, Role, TitleType
from . import data, loading
from .rows import COLUMNS, Plan, Tally, WardInfo, stream, ward_hamlets, year_window

DEFAULT_PASSWORD = "demo-cdht-2026"  # the demo's password: one login story for `make run` and the city
DEFAULT_BASE_URL = "http://127.0.0.1:5000"
POPULATION_SOURCE = "Thành phố tổng hợp (synthetic), seed {seed}: không phải số liệu chính thức"
DIGITAL_SOURCE = "Bình dân học vụ số (tổng hợp, synthetic), seed {seed}"
UNIT_SOURCE = "Báo cáo tổng hợp (thành phố tổng hợp, synthetic), seed {seed}: không phải số liệu chính thức"
DIGITAL_SHARE = 0.55  # adults holding basic digital skills: about the line expected in 2026


class CityNotEmpty(Exception):
    """The database already has citizens: a synthetic city is only ever generated into an empty one."""


class NotSeeded(Exception):
    """The reference data (wards, criteria) is missing: run `flask seed` first."""


@dataclass(frozen=True)
class Report:
    """What generate() made: rows per table, seconds per phase, and the one password of every account."""

    citizens: int  # people made, backlogs included
    adults: int  # of them, aged 15 and over on 1 January of the year
    applications: int
    certificates: int
    live_certificates: int
    revoked_certificates: int
    decisions: int
    staff: int  # reviewer, chair (per ward) and admin accounts created because they were missing
    rows: dict[str, int] = field(default_factory=dict)  # table -> rows written
    states: dict[str, int] = field(default_factory=dict)  # application state -> applications
    seconds: dict[str, float] = field(default_factory=dict)  # phase -> seconds, and "total"
    password: str = DEFAULT_PASSWORD
    year: int = 0
    seed: int = 1


def generate(
    engine: Engine, *, citizens: int, year: int, seed: int = 1, backlog: dict[str, int] | None = None,
    progress: Callable[[int], None] | None = None, password: str = DEFAULT_PASSWORD,
    public_base_url: str = DEFAULT_BASE_URL,
) -> Report:
    """Fill an empty, migrated and seeded database with `citizens` people (plus each backlog's) of the year.

    `backlog` maps a ward code to a number of extra adults there, each with a submitted application (a reviewer's
    queue). `progress` is called with the number of people just loaded, chunk by chunk. Raises CityNotEmpty if the
    database has citizens, NotSeeded without wards or criteria, ValueError on bad arguments.
    """
    if citizens < 0 or any(n < 0 for n in (backlog or {}).values()):
        raise ValueError("citizens and backlogs cannot be negative")
    if year > now().year:
        raise ValueError(f"{year} has not begun")
    start, end = year_window(year, now())
    if end - start < 86400:
        raise ValueError(f"{year} has barely begun: a city needs at least a day of it")
    seconds: dict[str, float] = {}

    @contextmanager
    def phase(name: str) -> Iterator[None]:
        t0 = time.perf_counter()
        try:
            yield
        finally:
            seconds[name] = round(time.perf_counter() - t0, 3)

    began = time.perf_counter()
    with phase("prepare"), Session(engine, expire_on_commit=False) as session:
        if session.exec(select(Citizen.id).limit(1)).first() is not None:
            raise CityNotEmpty("the database already has citizens: generate a city into an empty database")
        password_hash = hash_password(password)
        wards, staff = _wards(session, seed, password_hash)
        codes = [w.code for w in wards]
        unknown = sorted(set(backlog or {}) - set(codes))
        if unknown:
            raise ValueError(f"unknown ward code(s) in the backlog: {', '.join(unknown)}")
        criteria = current_set(session, TitleType.CDHT, year)
        if criteria is None:
            raise NotSeeded(f"no criteria set valid in {year}: run `flask seed` first")
        plan = Plan(
            citizens=citizens, year=year, seed=seed, wards=tuple(wards),
            backlog=tuple((codes.index(code), n) for code, n in sorted((backlog or {}).items()) if n),
            criteria_set_id=criteria.id, indicator_codes=tuple(indicator_codes(session, criteria)),
            pass_total=criteria.pass_total, pass_min=criteria.pass_min_indicator, max_score=criteria.max_score,
            password_hash=password_hash, start=start, end=end,
            instant_suffix="+00" if engine.dialect.name == "postgresql" else ".000000",
            public_base_url=public_base_url.rstrip("/"), null="\\N" if engine.dialect.name == "postgresql" else None,
            seal=identity_seal.seal_of(engine).seal,
        )
        extra = _unnamed_columns()
        session.add_all(Hamlet(ward_code=w.code, code=code, name=name, position=n)
                        for w, places in zip(wards, ward_hamlets(wards), strict=True)
                        for n, (code, name) in enumerate(places))
        session.commit()
    tally = Tally()
    with phase("drop_indexes"):
        saved = loading.secondary_indexes(engine)
        loading.drop_indexes(engine, saved)
    try:
        chunk = 20_000 if engine.dialect.name == "postgresql" else 10_000
        with phase("load"):
            loading.load(engine, stream(plan, tally, chunk), extra, progress)
    finally:
        with phase("indexes"):
            loading.restore_indexes(engine, saved)
    with phase("analyze"):
        loading.analyze(engine, (*loading.BIG_TABLES, "decision"))
    with phase("population_and_counters"), Session(engine) as session:
        _populations(session, plan, tally)
        units = _unit_figures(session, plan, tally)
        with phase("digital_attainment"):
            digital = _digital_attainments(session, plan)
            session.commit()
            # The counters below join these millions of rows: without statistics the planner takes them for a few
            # dozen and sorts on disk (measured at 1 M citizens: the holder counters 56 s, 18 s after this and the
            # memory below).
            loading.analyze(engine, ("digital_attainment",))
        with phase("counters"):
            loading.aggregate_in_memory(session)
            _rebuild_counters(session, phase)
        session.commit()
    seconds["total"] = round(time.perf_counter() - began, 3)
    rows = dict(tally.rows)
    rows["app_user"] += staff
    rows["digital_attainment"] = digital
    rows["unit_figure"] = units
    return Report(
        citizens=tally.rows["citizen"], adults=sum(tally.adults.values()), applications=tally.rows["application"],
        certificates=tally.rows["certificate"], live_certificates=tally.live_certificates,
        revoked_certificates=tally.revoked_certificates, decisions=tally.rows["decision"], staff=staff, rows=rows,
        states=dict(sorted(tally.states.items())), seconds=seconds, password=password, year=year, seed=seed,
    )


def _wards(session: Session, seed: int, password_hash: str) -> tuple[list[WardInfo], int]:
    """Each active ward with its weight (uneven, fixed by code and seed) and its reviewer and chair accounts.

    Accounts that exist are kept (`reviewer00004` of the demo, say); missing ones are created with the shared hash,
    and so is the city administrator `admin`.
    """
    wards = session.exec(select(Ward).where(col(Ward.active)).order_by(col(Ward.code))).all()
    if not wards:
        raise NotSeeded("no wards: run `flask seed` first")
    wanted = {f"{kind}{w.code}" for w in wards for kind in ("reviewer", "chair")} | {"admin"}
    existing = {u.username: u for u in session.exec(select(User).where(col(User.username).in_(wanted))).all()}
    made: list[User] = []
    infos: list[WardInfo] = []
    for ward in wards:
        rng = random.Random(f"{seed}:{ward.code}")
        # Lognormal spread (a few wards three times the median), communes (xã) smaller than urban wards (phường).
        weight = math.exp(rng.gauss(0.0, 0.45)) * (1.4 if ward.division_type == "phường" else 0.8)
        chair_name = _person_name(rng)
        accounts: list[User] = []
        for kind, role, display in (("reviewer", Role.WARD_REVIEWER, _person_name(rng)),
                                    ("chair", Role.WARD_CHAIR, chair_name)):
            user = existing.get(f"{kind}{ward.code}")
            if user is None:
                # Staff hold their own identity number (the own-application guard): born 1975, one each.
                number = f"001075{len(infos) * 2 + len(accounts):06d}"
                user = User(username=f"{kind}{ward.code}", password_hash=password_hash, role=role,
                            ward_code=ward.code, display_name=display, cccd=number)
                made.append(user)
            accounts.append(user)
        infos.append(WardInfo(ward.code, ward.name, weight, accounts[0].id, accounts[1].id,
                              accounts[1].display_name or chair_name))
    if "admin" not in existing:
        made.append(User(username="admin", password_hash=password_hash, role=Role.CITY_ADMIN,
                         display_name="Quản trị thành phố", cccd="001075999999"))
    session.add_all(made)
    session.flush()
    return infos, len(made)


def _person_name(rng: random.Random) -> str:
    male = rng.random() < data.MALE_SHARE
    tables = (data.MIDDLE_MALE_OLDER, data.GIVEN_MALE) if male else (data.MIDDLE_FEMALE_OLDER, data.GIVEN_FEMALE)
    parts = [rng.choices([n for n, _ in t], weights=[w for _, w in t])[0] for t in (data.SURNAMES, *tables)]
    return " ".join(parts)


def _unnamed_columns() -> dict[str, dict[str, object]]:
    """Constant values for NOT NULL columns the rows do not name (added by a later migration with a default).

    A column without a constant default that cannot be NULL stops generation before anything is written, naming
    the column: the generator must learn it first.
    """
    from ..models import metadata

    extra: dict[str, dict[str, object]] = {}
    for name, cols in COLUMNS.items():
        table = metadata.tables[name]
        for column in table.columns:
            if column.name in cols or column.nullable or column.server_default is not None:
                continue
            default: Any = column.default
            if default is None or not default.is_scalar:
                raise RuntimeError(f"the synthetic city does not fill {name}.{column.name}: teach workflows/synthetic")
            extra.setdefault(name, {})[column.name] = default.arg
    return extra


def _populations(session: Session, plan: Plan, tally: Tally) -> None:
    """The year's denominators of every ward, counted from the people made (both modes); replaces earlier ones."""
    modes = (DenominatorMode.RESIDENTS_15_PLUS, DenominatorMode.ALL_RESIDENTS)
    session.execute(delete(Population).where(col(Population.year) == plan.year, col(Population.mode).in_(modes)))
    source = POPULATION_SOURCE.format(seed=plan.seed)
    for ward in plan.wards:
        for mode, counts in zip(modes, (tally.adults, tally.residents), strict=True):
            session.add(Population(ward_code=ward.code, year=plan.year, mode=mode, population=counts.get(ward.code, 0),
                                   source=source))
    session.flush()


def _digital_attainments(session: Session, plan: Plan) -> int:
    """A verified basic attainment, imported from the national platform, for about DIGITAL_SHARE of the adults (the
    same ones for a seed: chosen from the citizen's number), achieved early in the year; returns how many."""
    table: Any = cast(Any, DigitalAttainment).__table__
    columns = ["id", "citizen_id", "ward_code", "kind", "framework_id", "areas", "counts", "achieved_on",
               "first_year", "last_year", "source", "external_id", "state", "version", "created_at", "updated_at"]
    chosen = text("""
        SELECT 'D' || substr(c.id, 2), c.id, c.ward_code, 'import', :framework, '{}', true, :achieved, :year,
               :last_year, :source, 'SYN-' || c.id, 'verified', 2, :at, :at
        FROM citizen c
        WHERE c.date_of_birth <= :born_by AND CAST(substr(c.id, 17) AS BIGINT) * 7919 % 100 < :percent
    """).columns(*(table.c[c] for c in columns))
    loading.skip_reference_checks(session)
    session.execute(insert(table).from_select(columns, chosen), {
        "framework": frameworks.BASIC_FRAMEWORK, "achieved": date(plan.year, 3, 1), "year": plan.year,
        "last_year": plan.year + 2, "source": DIGITAL_SOURCE.format(seed=plan.seed), "at": now(),
        "born_by": date(plan.year - 15, 1, 1), "percent": round(DIGITAL_SHARE * 100)})
    return int(session.execute(select(func.count()).select_from(table)).scalar_one())  # the city was empty


def _unit_figures(session: Session, plan: Plan, tally: Tally) -> int:
    """Every ward's mid-year figure of each unit-level indicator, as a ward would report it: the units counted from
    the ward's size (UNIT_SIZES), the share meeting it drawn around the plan's milestone; returns how many."""
    rng = random.Random(f"synthetic-units:{plan.seed}")
    source = UNIT_SOURCE.format(seed=plan.seed)
    rows = []
    for ward in plan.wards:
        adults = tally.adults.get(ward.code, 0)
        for indicator, (per_adults, at_least, share) in data.UNIT_SIZES.items():
            total = max(at_least, round(adults * per_adults))
            achieved = min(total, round(total * min(1.0, rng.gauss(share, 0.08))))
            rows.append(UnitFigure(indicator=indicator, year=plan.year, period=ReportPeriod.MID_YEAR.value,
                                   ward_code=ward.code, achieved=max(0, achieved), total=total, source_note=source))
    session.add_all(rows)
    session.flush()
    return len(rows)


def _rebuild_counters(session: Session, phase: Callable[[str], AbstractContextManager[None]]) -> None:
    """Recount the counters from the rows just loaded without the domain (ADR 10, ADR 12, ADR 15, ADR 20)."""
    for name, rebuild in (("rollup_counters", rollup_counters.rebuild),
                          ("application_counters", application_counters.rebuild),
                          ("digital_counters", digital_counters.rebuild),
                          ("holder_counters", holder_counters.rebuild),
                          ("register_numbers", register_numbers.rebuild)):
        with phase(name):
            rebuild(session)
