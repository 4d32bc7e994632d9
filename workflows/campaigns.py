"""Campaigns (đợt đánh giá, công nhận): when, in a year, citizens may open an application (registration), change
their activities and self-scores and submit (self-assessment), when reviewers' verdicts are due, and when the
mid-year and year-end reports are sent (DOMAIN §2: the title is annual, 1 January to 31 December).

A city administrator sets the city's campaign of a year and may give a ward or commune its own dates: a ward's row
replaces all the city's dates for that ward. A year without a row runs on DEFAULTS. A closed year (`closed_at` on the
city's row) takes no new application and no submission. Reviews go on after the review deadline (the work must
finish); what is still waiting is shown as overdue. Every change is audited with the dates before and after.

One statement finds a ward's campaign (its own row and the city's); the staff banner reads it together with the
submitted applications waiting past the deadline, from the application counters.
"""

from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from .actors import Actor
from .clock import now, today
from .errors import Conflict, Forbidden, Invalid
from .inputs import FIRST_YEAR, LAST_YEAR, CampaignInput
from .models import ApplicationCounter, AuditEvent, Campaign, Citizen, Ward
from .vocabulary import ApplicationState, CampaignDate, Entity, Event, Role

# The dates of a year without a campaign row, as (month, day) of that year: what Hà Nội's wards have worked to
# (registration most of the year, a few days to finish self-assessments, reviews done before the yearly totals of
# mid-December, the mid-year report in August). One place: the admin page, the CLI and the ADR read them here.
DEFAULTS: dict[CampaignDate, tuple[int, int]] = {
    CampaignDate.REGISTRATION_OPENS: (1, 1),
    CampaignDate.REGISTRATION_CLOSES: (11, 30),
    CampaignDate.SELF_ASSESSMENT_OPENS: (1, 1),
    CampaignDate.SELF_ASSESSMENT_CLOSES: (12, 5),
    CampaignDate.REVIEW_DEADLINE: (12, 10),
    CampaignDate.MID_YEAR_REPORT: (8, 15),
    CampaignDate.YEAR_END_REPORT: (12, 15),
}
DATES = tuple(CampaignDate)

# Each rule of order: (earlier, later, the error code given to the later field).
ORDER: tuple[tuple[CampaignDate, CampaignDate, str], ...] = (
    (CampaignDate.REGISTRATION_OPENS, CampaignDate.REGISTRATION_CLOSES, "closes_before_opens"),
    (CampaignDate.SELF_ASSESSMENT_OPENS, CampaignDate.SELF_ASSESSMENT_CLOSES, "closes_before_opens"),
    (CampaignDate.REGISTRATION_OPENS, CampaignDate.SELF_ASSESSMENT_OPENS, "self_assessment_before_registration"),
    (CampaignDate.REGISTRATION_CLOSES, CampaignDate.SELF_ASSESSMENT_CLOSES, "submission_closes_before_registration"),
    (CampaignDate.SELF_ASSESSMENT_CLOSES, CampaignDate.REVIEW_DEADLINE, "review_before_submission_closes"),
    (CampaignDate.MID_YEAR_REPORT, CampaignDate.YEAR_END_REPORT, "year_end_before_mid_year"),
    (CampaignDate.REVIEW_DEADLINE, CampaignDate.YEAR_END_REPORT, "year_end_before_review"),
)
# The dates staff are reminded of, in the order they come in a year.
REMINDED = (CampaignDate.REGISTRATION_CLOSES, CampaignDate.MID_YEAR_REPORT, CampaignDate.SELF_ASSESSMENT_CLOSES,
            CampaignDate.REVIEW_DEADLINE, CampaignDate.YEAR_END_REPORT)


def default_dates(year: int) -> dict[CampaignDate, date]:
    """The dates of a year that has no campaign row."""
    return {which: date(year, month, day) for which, (month, day) in DEFAULTS.items()}


@dataclass(frozen=True)
class Dates:
    """A ward's (or the city's) campaign of a year as it applies: its own row, the city's, or the defaults."""

    year: int
    registration_opens: date
    registration_closes: date
    self_assessment_opens: date
    self_assessment_closes: date
    review_deadline: date
    mid_year_report_on: date
    year_end_report_on: date
    source: str  # "ward" (the ward's own row), "city" (the city's row) or "default"
    closed_at: datetime | None = None  # the year was closed (on the city's row)

    def on(self, which: CampaignDate) -> date:
        """The date of one of the campaign's dates."""
        value: date = getattr(self, which.value)
        return value

    def as_dict(self) -> dict[CampaignDate, date]:
        """Every date, by its name."""
        return {which: self.on(which) for which in DATES}

    def registration_open(self, day: date) -> bool:
        """Whether an application of the year may be opened on this day."""
        return self.closed_at is None and self.registration_opens <= day <= self.registration_closes


def _dates(year: int, source: str, values: dict[CampaignDate, date], closed_at: datetime | None) -> Dates:
    return Dates(year=year, source=source, closed_at=closed_at, **{k.value: v for k, v in values.items()})


def _row_dates(row: Campaign) -> dict[CampaignDate, date]:
    return {which: getattr(row, which.value) for which in DATES}


def _choose(year: int, ward_code: str | None, rows: list[Campaign]) -> Dates:
    """The ward's own row wins over the city's, and the city's over the defaults; a closed city closes its wards."""
    city = next((r for r in rows if r.ward_code is None), None)
    own = next((r for r in rows if ward_code is not None and r.ward_code == ward_code), None)
    closed = city.closed_at if city is not None else None
    if own is not None:
        return _dates(year, "ward", _row_dates(own), closed)
    if city is not None:
        return _dates(year, "city", _row_dates(city), closed)
    return _dates(year, "default", default_dates(year), None)


def _rows_for(year: int, ward_code: str | None) -> Any:
    where: Any = col(Campaign.ward_code).is_(None)
    if ward_code is not None:
        where = sa.or_(where, col(Campaign.ward_code) == ward_code)
    return select(Campaign).where(col(Campaign.year) == year, where)


def for_ward(session: Session, ward_code: str | None, year: int) -> Dates:
    """The campaign that applies to a ward (or, with None, the city's) in a year: one statement."""
    return _choose(year, ward_code, list(session.exec(_rows_for(year, ward_code))))


def for_citizen(session: Session, citizen_id: str, year: int) -> Dates:
    """The campaign that applies to a citizen's ward in a year (their ward read in the same statement)."""
    ward = sa.select(col(Citizen.ward_code)).where(col(Citizen.id) == citizen_id).scalar_subquery()
    rows = list(session.exec(select(Campaign).where(
        col(Campaign.year) == year, sa.or_(col(Campaign.ward_code).is_(None), col(Campaign.ward_code) == ward))))
    return _choose(year, next((r.ward_code for r in rows if r.ward_code is not None), None), rows)


def _require_open(session: Session, ward_code: str, year: int, opens: CampaignDate, closes: CampaignDate,
                  code: str) -> Dates:
    dates = for_ward(session, ward_code, year)
    if dates.closed_at is not None:
        raise Conflict("year_closed", year=year)
    if not dates.on(opens) <= today() <= dates.on(closes):
        raise Conflict(code, year=year, opens=dates.on(opens), closes=dates.on(closes))
    return dates


def require_registration_open(session: Session, ward_code: str, year: int) -> Dates:
    """Conflict naming the registration period (or the closed year) unless an application may be opened today."""
    return _require_open(session, ward_code, year, CampaignDate.REGISTRATION_OPENS,
                         CampaignDate.REGISTRATION_CLOSES, "registration_closed")


def require_self_assessment_open(session: Session, ward_code: str, year: int) -> Dates:
    """Conflict naming the self-assessment period (or the closed year) unless activities, self-scores and a
    submission are taken today."""
    return _require_open(session, ward_code, year, CampaignDate.SELF_ASSESSMENT_OPENS,
                         CampaignDate.SELF_ASSESSMENT_CLOSES, "self_assessment_closed")


# --- what staff see ------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Deadline:
    """One date of the campaign and how far it is from today (0: today; negative: passed)."""

    which: CampaignDate
    on: date
    days: int


@dataclass(frozen=True)
class StaffDeadlines:
    """The ward's campaign of the current year as staff see it: the review deadline, the next date to come (when it
    is another one), and the submitted applications still waiting past their review deadline."""

    year: int
    review: Deadline
    upcoming: Deadline | None
    overdue: int
    closed: bool


def _deadline(which: CampaignDate, on: date, day: date) -> Deadline:
    return Deadline(which, on, (on - day).days)


def for_staff(session: Session, ward_code: str, day: date | None = None) -> StaffDeadlines:
    """The banner of the reviewer's and the chair's pages: one statement reads the ward's and the city's campaign
    rows of the year together with the ward's submitted applications, from the application counters (those of
    earlier years, whose deadlines have all passed, and those of this year)."""
    day = day or today()
    year = day.year
    counter = ApplicationCounter
    waiting = (sa.select(
        sa.func.coalesce(sa.func.sum(sa.case((col(counter.year) < year, col(counter.applications)), else_=0)), 0)
        .label("earlier"),
        sa.func.coalesce(sa.func.sum(sa.case((col(counter.year) == year, col(counter.applications)), else_=0)), 0)
        .label("this_year"))
        .where(col(counter.ward_code) == ward_code, col(counter.state) == ApplicationState.SUBMITTED.value,
               col(counter.year) <= year)
        .subquery())
    table = sa.inspect(Campaign).local_table
    stmt = (sa.select(waiting.c.earlier, waiting.c.this_year, *table.c)
            .select_from(waiting)
            .outerjoin(table, sa.and_(table.c.year == year,
                                      sa.or_(table.c.ward_code.is_(None), table.c.ward_code == ward_code))))
    found = session.execute(stmt).all()
    earlier, this_year = int(found[0].earlier), int(found[0].this_year)
    rows = [Campaign(**{c.name: getattr(r, c.name) for c in table.c}) for r in found if r.id is not None]
    dates = _choose(year, ward_code, rows)
    review = _deadline(CampaignDate.REVIEW_DEADLINE, dates.review_deadline, day)
    overdue = earlier + (this_year if review.days < 0 else 0)
    coming = [_deadline(w, dates.on(w), day) for w in REMINDED if dates.on(w) >= day]
    upcoming = min(coming, key=lambda d: d.on) if coming else None
    if upcoming is not None and upcoming.which == CampaignDate.REVIEW_DEADLINE:
        upcoming = None
    return StaffDeadlines(year, review, upcoming, overdue, dates.closed_at is not None)


def review_overdue(session: Session, ward_code: str, year: int, state: str, day: date | None = None
                   ) -> Deadline | None:
    """The passed review deadline of a submitted application still waiting, or None (not submitted, or in time)."""
    if state != ApplicationState.SUBMITTED:
        return None  # no statement for the others
    day = day or today()
    deadline = _deadline(CampaignDate.REVIEW_DEADLINE, for_ward(session, ward_code, year).review_deadline, day)
    return deadline if deadline.days < 0 else None


# --- what a city administrator does --------------------------------------------------------------------------------

def _admin(actor: Actor) -> None:
    if actor.role not in (Role.CITY_ADMIN, Role.SYSTEM):
        raise Forbidden("role_not_allowed")


def check(cmd: CampaignInput) -> dict[str, str]:
    """Field error codes of a campaign's dates: each inside its year, and in order."""
    return check_dates(cmd.year, {which: getattr(cmd, which.value) for which in DATES})


def check_dates(year: int, values: dict[CampaignDate, date | None]) -> dict[str, str]:
    """The same rules on the dates known so far (a form with some dates unreadable still hears about the others)."""
    errors = {which.value: "outside_campaign_year" for which, on in values.items() if on and on.year != year}
    for earlier, later, code in ORDER:
        first, then = values.get(earlier), values.get(later)
        if first is not None and then is not None and then < first:
            errors.setdefault(later.value, code)
    return errors


def _iso(values: dict[CampaignDate, date]) -> dict[str, str]:
    return {which.value: on.isoformat() for which, on in values.items()}


def _city_row(session: Session, year: int) -> Campaign | None:
    return session.exec(select(Campaign).where(Campaign.year == year, col(Campaign.ward_code).is_(None))).first()


def _save(session: Session, row: Campaign) -> None:
    """Write a campaign row; two administrators creating the same year's row at once: the second is told."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise Conflict("campaign_changed") from None


def set_campaign(session: Session, actor: Actor, cmd: CampaignInput) -> tuple[Campaign, bool]:
    """Set the city's campaign of a year, or a ward's own dates; returns the row and whether anything changed.
    Invalid naming each bad date; Conflict when the year is closed."""
    _admin(actor)
    if cmd.ward_code is not None:
        ward = session.get(Ward, cmd.ward_code)
        if ward is None or not ward.active:
            raise Invalid(fields={"ward_code": "unknown_ward"})
    errors = check(cmd)
    if errors:
        raise Invalid(fields=errors, year=cmd.year)
    city = _city_row(session, cmd.year)
    if city is not None and city.closed_at is not None:
        raise Conflict("year_closed", year=cmd.year)
    row = city if cmd.ward_code is None else session.exec(select(Campaign).where(
        Campaign.year == cmd.year, Campaign.ward_code == cmd.ward_code)).first()
    after = {which: getattr(cmd, which.value) for which in DATES}
    before = _row_dates(row) if row is not None else None
    if before == after and row is not None:
        return row, False
    moment = now()
    created = row is None
    if row is None:
        given: dict[str, Any] = {k.value: v for k, v in after.items()}
        row = Campaign(year=cmd.year, ward_code=cmd.ward_code, **given)
    for which, on in after.items():
        setattr(row, which.value, on)
    row.updated_at, row.updated_by = moment, actor.user_id
    _save(session, row)
    session.add(AuditEvent(at=moment, actor_id=actor.user_id, actor_role=actor.role.value,
                           entity_type=Entity.CAMPAIGN.value, entity_id=row.id,
                           event=(Event.CREATE if created else Event.CHANGE).value,
                           detail={"year": cmd.year, "ward_code": cmd.ward_code, "after": _iso(after),
                                   "before": _iso(before) if before is not None else None}))
    session.flush()
    return row, True


def close_year(session: Session, actor: Actor, year: int, operator: str | None = None) -> tuple[Campaign, bool]:
    """Close a year for the whole city: no new application and no submission any more (reviews and decisions go
    on). Keeps the city's dates (the defaults, when it had no row). Returns the city's row and whether it changed;
    the audit names the administrator, or the operator who ran the command."""
    _admin(actor)
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise Invalid(fields={"year": "out_of_range"})
    row = _city_row(session, year)
    if row is not None and row.closed_at is not None:
        return row, False
    moment = now()
    if row is None:
        defaults: dict[str, Any] = {k.value: v for k, v in default_dates(year).items()}
        row = Campaign(year=year, ward_code=None, updated_at=moment, updated_by=actor.user_id, **defaults)
    row.closed_at, row.closed_by = moment, actor.user_id
    _save(session, row)
    session.add(AuditEvent(at=moment, actor_id=actor.user_id, actor_role=actor.role.value,
                           entity_type=Entity.CAMPAIGN.value, entity_id=row.id, event=Event.CLOSE.value,
                           detail={"year": year, "operator": operator, "dates": _iso(_row_dates(row))}))
    session.flush()
    return row, True


@dataclass(frozen=True)
class YearView:
    """A year on the admin page: the city's campaign as it applies, and the wards with their own dates."""

    city: Dates
    wards: list[tuple[str, Dates]]


def year_view(session: Session, year: int) -> YearView:
    """Every campaign row of a year: one statement."""
    rows = list(session.exec(select(Campaign).where(Campaign.year == year).order_by(col(Campaign.ward_code))))
    city = _choose(year, None, rows)
    closed = city.closed_at
    wards = [(r.ward_code, _dates(year, "ward", _row_dates(r), closed)) for r in rows if r.ward_code is not None]
    return YearView(city, wards)


def as_input(year: int, ward_code: str | None, dates: Dates) -> dict[str, Any]:
    """A campaign's dates as the raw input of CampaignInput (what a form or the CLI starts from)."""
    return {"year": year, "ward_code": ward_code} | {f.name: getattr(dates, f.name).isoformat()
                                                      for f in fields(Dates) if f.name in CampaignDate.values()}


def open_all_year(session: Session, actor: Actor, year: int) -> Campaign | None:
    """Give a year without a city row a campaign open from 1 January to 31 December (the demo: tried on any day);
    a year that has its dates keeps them. Returns the row written, or None."""
    if _city_row(session, year) is not None:
        return None
    last = date(year, 12, 31)
    dates = {which: date(year, month, day) for which, (month, day) in DEFAULTS.items()}
    dates |= dict.fromkeys((CampaignDate.REGISTRATION_CLOSES, CampaignDate.SELF_ASSESSMENT_CLOSES,
                            CampaignDate.REVIEW_DEADLINE, CampaignDate.YEAR_END_REPORT), last)
    given: dict[str, Any] = {k.value: v for k, v in dates.items()}
    cmd = CampaignInput(year=year, **given)
    return set_campaign(session, actor, cmd)[0]
