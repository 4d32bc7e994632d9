"""The holder counters computed again in plain Python from the rows, sharing no code with workflows.holder_counters:
what the tests compare the stored counters and the SQL recount with."""

from collections import Counter
from typing import Any

from sqlmodel import Session, col, select

from workflows.models import Application, Certificate, Citizen, Decision, DigitalAttainment, HolderCounter

# Written out again on purpose (not read from the vocabulary): the bands the issue asks for.
BANDS = ((60, "60_plus"), (45, "45_59"), (35, "35_44"), (25, "25_34"), (15, "15_24"))


def _band(age: int) -> str:
    return next((name for low, name in BANDS if age >= low), "0_14")


def _rows(counts: Counter[tuple[Any, ...]], year: int, indicator: str, ward: str, group: str, sex: str, born: int,
          hamlet: str | None, month: int) -> None:
    age = year - born
    for breakdown, bucket in (("total", ""), ("target_group", group), ("sex", sex), ("age_band", _band(age)),
                              ("hamlet", hamlet or ""), ("month", str(month))):
        counts[(year, indicator, breakdown, bucket, ward, age >= 15)] += 1


def independent(session: Session) -> Counter[tuple[Any, ...]]:
    """{(year, indicator, breakdown, bucket, ward, aged 15+): holders}, zero rows left out."""
    counts: Counter[tuple[Any, ...]] = Counter()
    citizens = {c.id: c for c in session.exec(select(Citizen))}
    apps = {a.id: a for a in session.exec(select(Application))}
    decisions = {d.id: d for d in session.exec(select(Decision))}
    for cert in session.exec(select(Certificate).where(col(Certificate.live_key).is_not(None))):
        app, person, decision = apps[cert.application_id], citizens[cert.citizen_id], decisions[cert.decision_id]
        _rows(counts, cert.year, cert.title_type, cert.ward_code, app.target_group, person.sex,
              person.date_of_birth.year, app.hamlet, decision.signed_on.year * 100 + decision.signed_on.month)
    since: dict[tuple[str, int], int] = {}
    for a in session.exec(select(DigitalAttainment)):
        if a.state != "verified" or not a.counts:
            continue
        for year in range(a.first_year, a.last_year + 1):
            month = year * 100 + 1 if a.achieved_on.year < year else a.achieved_on.year * 100 + a.achieved_on.month
            since[(a.citizen_id, year)] = min(since.get((a.citizen_id, year), month), month)
    for (citizen_id, year), month in since.items():
        p = citizens[citizen_id]
        _rows(counts, year, "digital", p.ward_code, p.target_group, p.sex, p.date_of_birth.year, p.hamlet, month)
    return +counts


def stored(session: Session) -> Counter[tuple[Any, ...]]:
    """The counters as stored, zero rows left out (a negative one stays: it is a bug to see)."""
    return Counter({(r.year, r.indicator, r.breakdown, r.bucket, r.ward_code, bool(r.aged_15_plus)): r.holders
                    for r in session.exec(select(HolderCounter)) if r.holders})


def add_adults(session: Session, indicator: str, ward: str, year: int, n: int) -> None:
    """Move a ward's total of holders aged 15+ by n, as a test's shortcut past the rows that would make them."""
    from workflows import recount
    from workflows.holder_counters import KEY

    recount.add(session, HolderCounter, KEY, "holders", [((year, indicator, "total", "", ward, True), n)])
