"""Campaigns: the registration and self-assessment windows, a ward's own dates, closing a year, the staff's
deadlines and overdue count, each change audited. On the real default dates (the marker), the clock moved."""

from datetime import UTC, date, datetime

import pytest
from factories import make_citizen, make_staff, scores, submitted_application
from sqlmodel import Session, select

import workflows.clock
from workflows import applications, campaigns
from workflows.actors import SYSTEM_ACTOR
from workflows.errors import Conflict, Forbidden, Invalid
from workflows.inputs import ActivityInput, ApplicationInput, CampaignInput, SelfAssessmentInput, parse
from workflows.models import AuditEvent, Campaign

pytestmark = pytest.mark.campaign_rules


def at(monkeypatch: pytest.MonkeyPatch, day: date, hour: int = 10) -> None:
    """Move the clock to a day, at an hour of Hà Nội."""
    moment = datetime(day.year, day.month, day.day, hour, tzinfo=UTC) - workflows.clock.HANOI_OFFSET
    monkeypatch.setattr(workflows.clock, "now", lambda: moment)


def dates(year: int = 2026, ward_code: str | None = None, **changed: str) -> CampaignInput:
    """The defaults of a year as a command, with some dates changed (ISO strings)."""
    raw = {k.value: v.isoformat() for k, v in campaigns.default_dates(year).items()}
    return parse(CampaignInput, {"year": year, "ward_code": ward_code} | raw | changed)


def open_year(session: Session, citizen, year: int = 2026) -> str:
    return applications.open_application(session, citizen, parse(ApplicationInput, {"year": year})).id


def test_defaults_are_one_table_of_dates_in_the_year() -> None:
    d = campaigns.default_dates(2026)
    assert [d[k] for k in campaigns.DATES] == [date(2026, 1, 1), date(2026, 11, 30), date(2026, 1, 1),
                                               date(2026, 12, 5), date(2026, 12, 10), date(2026, 8, 15),
                                               date(2026, 12, 15)]
    assert not campaigns.check(dates())  # the defaults pass their own rules


def test_opening_outside_the_registration_period_is_refused_with_its_dates(session: Session, monkeypatch) -> None:
    citizen, _ = make_citizen(session)
    at(monkeypatch, date(2026, 12, 1))
    with pytest.raises(Conflict) as caught:
        open_year(session, citizen)
    assert caught.value.code == "registration_closed"
    assert caught.value.params == {"year": 2026, "opens": date(2026, 1, 1), "closes": date(2026, 11, 30)}
    session.rollback()
    at(monkeypatch, date(2026, 11, 30), hour=23)  # the last day is in the period, to its end in Hà Nội
    assert open_year(session, citizen)


def test_self_assessment_and_submission_close_with_their_period(session: Session, monkeypatch) -> None:
    citizen, _ = make_citizen(session)
    at(monkeypatch, date(2026, 11, 20))
    aid = open_year(session, citizen)
    applications.add_activity(session, citizen, aid, parse(ActivityInput, {
        "title": "Lớp tin học", "kind": "course", "hours": 10, "started_on": "2026-03-01"}))
    applications.set_self_assessment(session, citizen, aid, parse(SelfAssessmentInput, {"scores": scores(9)}))
    session.commit()
    at(monkeypatch, date(2026, 12, 6))
    for change in (lambda: applications.submit(session, citizen, aid),
                   lambda: applications.set_self_assessment(session, citizen, aid,
                                                            parse(SelfAssessmentInput, {"scores": scores(8)})),
                   lambda: applications.add_activity(session, citizen, aid, parse(ActivityInput, {
                       "title": "CLB", "kind": "club", "hours": 2, "started_on": "2026-04-01"}))):
        with pytest.raises(Conflict) as caught:
            change()
        session.rollback()
        assert caught.value.code == "self_assessment_closed"
        assert caught.value.params["closes"] == date(2026, 12, 5)
    at(monkeypatch, date(2026, 12, 5))
    assert applications.submit(session, citizen, aid).state == "submitted"


def test_a_wards_own_dates_win_over_the_citys(session: Session, monkeypatch) -> None:
    at(monkeypatch, date(2026, 7, 15))
    campaigns.set_campaign(session, SYSTEM_ACTOR, dates(registration_closes="2026-06-30"))
    campaigns.set_campaign(session, SYSTEM_ACTOR, dates(ward_code="00070", registration_closes="2026-09-30"))
    session.commit()
    in_ba_dinh, _ = make_citizen(session, ward="00004")
    in_hoan_kiem, _ = make_citizen(session, ward="00070")
    with pytest.raises(Conflict) as caught:
        open_year(session, in_ba_dinh)
    assert caught.value.params["closes"] == date(2026, 6, 30)  # the city's row
    session.rollback()
    assert open_year(session, in_hoan_kiem)  # its ward's own row
    assert campaigns.for_ward(session, "00070", 2026).source == "ward"
    assert campaigns.for_ward(session, "00004", 2026).source == "city"
    assert campaigns.for_ward(session, "00004", 2027).source == "default"


def test_closing_a_year_stops_new_applications_and_submissions_but_not_reviews(session: Session,
                                                                              monkeypatch) -> None:
    at(monkeypatch, date(2026, 6, 1))
    first, _ = make_citizen(session)
    waiting = submitted_application(session, first)
    draft_owner, _ = make_citizen(session)
    draft = open_year(session, draft_owner)
    late, _ = make_citizen(session)
    admin = make_staff(session, "city_admin", ward=None)
    row, changed = campaigns.close_year(session, admin, 2026)
    session.commit()
    assert changed and row.closed_at is not None and row.closed_by == admin.user_id
    assert campaigns.close_year(session, admin, 2026)[1] is False  # once
    for refused in (lambda: open_year(session, late), lambda: applications.submit(session, draft_owner, draft)):
        with pytest.raises(Conflict) as caught:
            refused()
        session.rollback()
        assert caught.value.code == "year_closed" and caught.value.params == {"year": 2026}
    with pytest.raises(Conflict) as caught:  # nor are its dates changed any more
        campaigns.set_campaign(session, admin, dates())
    session.rollback()
    from workflows import review
    from workflows.inputs import ReviewInput

    reviewer = make_staff(session, "ward_reviewer")
    review.review(session, reviewer, waiting, parse(ReviewInput, {"action": "approve", "version": 2,
                                                                  "scores": scores(9)}))
    session.commit()
    [audit] = session.exec(select(AuditEvent).where(AuditEvent.entity_type == "campaign")).all()
    assert (audit.event, audit.actor_id, audit.detail["year"]) == ("close", admin.user_id, 2026)


def test_dates_out_of_order_or_outside_the_year_are_named_field_by_field(session: Session) -> None:
    with pytest.raises(Invalid) as caught:
        campaigns.set_campaign(session, SYSTEM_ACTOR, dates(
            registration_closes="2025-12-31", self_assessment_opens="2026-12-20", review_deadline="2026-12-01",
            year_end_report_on="2027-01-15"))
    assert caught.value.fields == {
        "registration_closes": "outside_campaign_year", "year_end_report_on": "outside_campaign_year",
        "self_assessment_closes": "closes_before_opens", "review_deadline": "review_before_submission_closes"}
    with pytest.raises(Invalid) as caught:
        campaigns.set_campaign(session, SYSTEM_ACTOR, dates(ward_code="99999"))
    assert caught.value.fields == {"ward_code": "unknown_ward"}
    with pytest.raises(Invalid) as caught:
        parse(CampaignInput, {"year": 2026, "registration_opens": "1/1/2026"})
    assert caught.value.fields["registration_opens"] == "date_format"
    assert caught.value.fields["review_deadline"] == "required"
    with pytest.raises(Forbidden):
        campaigns.set_campaign(session, make_staff(session, "ward_reviewer"), dates())


def test_every_change_is_audited_with_the_dates_before_and_after(session: Session) -> None:
    admin = make_staff(session, "city_admin", ward=None)
    row, changed = campaigns.set_campaign(session, admin, dates())
    assert changed
    again = campaigns.set_campaign(session, admin, dates())
    assert again == (row, False)  # the same dates again change nothing
    campaigns.set_campaign(session, admin, dates(review_deadline="2026-12-12"))
    session.commit()
    trail = session.exec(select(AuditEvent).where(AuditEvent.entity_type == "campaign")
                         .order_by(AuditEvent.id)).all()
    assert [(a.event, a.actor_id) for a in trail] == [("create", admin.user_id), ("change", admin.user_id)]
    assert trail[0].detail["before"] is None and trail[0].detail["after"]["review_deadline"] == "2026-12-10"
    assert (trail[1].detail["before"]["review_deadline"], trail[1].detail["after"]["review_deadline"]) == (
        "2026-12-10", "2026-12-12")
    assert len(session.exec(select(Campaign)).all()) == 1


def test_staff_see_the_review_deadline_and_what_waits_past_it(session: Session, monkeypatch) -> None:
    at(monkeypatch, date(2025, 11, 1))
    last_year = submitted_application(session, make_citizen(session)[0], year=2025)
    at(monkeypatch, date(2026, 11, 27))
    for _ in range(2):
        submitted_application(session, make_citizen(session)[0])
    submitted_application(session, make_citizen(session, ward="00070")[0])  # another ward's
    seen = campaigns.for_staff(session, "00004")
    assert (seen.review.on, seen.review.days, seen.overdue) == (date(2026, 12, 10), 13, 1)  # last year's only
    assert seen.upcoming is not None and (seen.upcoming.which, seen.upcoming.days) == ("registration_closes", 3)
    assert campaigns.review_overdue(session, "00004", 2025, "submitted") is not None
    at(monkeypatch, date(2026, 12, 11))
    seen = campaigns.for_staff(session, "00004")
    assert (seen.review.days, seen.overdue, seen.upcoming.which) == (-1, 3, "year_end_report_on")
    assert campaigns.review_overdue(session, "00004", 2026, "approved") is None
    assert last_year
