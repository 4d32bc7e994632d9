"""A living demo ward for `flask demo`: citizens of Phường Ba Đình with applications in every state, a signed
decision whose certificates the worker issues, digital-skill records verified and waiting, so that every staff screen
has something to show on first sight.

Everything goes through the domain's own use cases (registration, activities, self-assessment, submission, review,
decision, supervised assessments), so the rows, counters and audit trail are those the real actions write. Created
once: a later run finds the first demo citizen and changes nothing.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import Session, select

from . import applications, decisions, review
from .actors import Actor
from .clock import today
from .digital import verification
from .inputs import (
    ActivityInput,
    ApplicationInput,
    AssessmentInput,
    DecisionInput,
    ReviewInput,
    SelfAssessmentInput,
    parse,
)
from .models import Citizen, User
from .passwords import hash_password
from .registration import actor_for, register_citizen
from .vocabulary import Event, Sex, TargetGroup

WARD = "00004"  # Phường Ba Đình: its reviewer, chair and centre are demo logins
CENTRE = "Trung tâm học tập cộng đồng phường Ba Đình"
DECISION_NUMBER = "15/QĐ-UBND"
SIGNER = "Trần Minh Đức"


@dataclass(frozen=True)
class Person:
    """A demo resident and what happens to their application (None: they have not opened one)."""

    cccd: str
    full_name: str
    born: str
    sex: Sex
    hamlet: str
    group: TargetGroup
    fate: str | None
    digital_level: int | None = None  # a supervised assessment the ward recorded (verified), at this level


# Valid CCCDs of Hà Nội (001), their century-and-sex digit and birth year agreeing with the date of birth.
PEOPLE = (
    Person("001185000101", "Nguyễn Thị Thu Hà", "1985-02-14", Sex.FEMALE, "Tổ dân phố 3", TargetGroup.RESIDENT,
           "recognised", 2),
    Person("001078000102", "Trần Văn Khánh", "1978-09-02", Sex.MALE, "Tổ dân phố 5", TargetGroup.RESIDENT,
           "recognised", 1),
    Person("001192000103", "Phạm Ngọc Ánh", "1992-11-30", Sex.FEMALE, "Tổ dân phố 3", TargetGroup.WORKER,
           "recognised", 3),
    Person("001066000104", "Đỗ Quang Huy", "1966-04-21", Sex.MALE, "Tổ dân phố 7", TargetGroup.RESIDENT,
           "approved"),
    Person("001301000105", "Vũ Thị Lan", "2001-07-08", Sex.FEMALE, "Tổ dân phố 1", TargetGroup.RESIDENT,
           "submitted"),
    Person("001088000106", "Nguyễn Văn An", "1988-01-19", Sex.MALE, "Tổ dân phố 5", TargetGroup.WORKER,
           "submitted"),
    Person("001095000107", "Nguyễn Văn An", "1995-06-03", Sex.MALE, "Tổ dân phố 2", TargetGroup.RESIDENT,
           "submitted"),  # a namesake: the queue tells them apart by birth year and tổ dân phố
    Person("001154000108", "Lê Thị Hồng Nhung", "1954-12-25", Sex.FEMALE, "Tổ dân phố 7", TargetGroup.RESIDENT,
           "submitted"),
    Person("001073000109", "Hoàng Đức Minh", "1973-03-11", Sex.MALE, "Tổ dân phố 1", TargetGroup.RESIDENT,
           "returned"),
    Person("001181000110", "Bùi Thị Mai", "1981-08-16", Sex.FEMALE, "Tổ dân phố 2", TargetGroup.RESIDENT,
           "rejected"),
    Person("001099000111", "Phan Thanh Tùng", "1999-10-27", Sex.MALE, "Tổ dân phố 4", TargetGroup.WORKER,
           "draft", 1),
    Person("001160000112", "Ngô Thị Thanh", "1960-05-05", Sex.FEMALE, "Tổ dân phố 4", TargetGroup.RESIDENT,
           None),
)
RETURN_COMMENT = ("Chỉ số II.1: vui lòng bổ sung giấy chứng nhận hoàn thành lớp tin học cơ bản "
                  "(ảnh chụp hoặc bản PDF).")
ACTIVITY_NOTE = "Ảnh chụp giấy chứng nhận bị mờ, không đọc được tên người học: vui lòng chụp lại."
REJECT_COMMENT = "Chưa đạt điều kiện: tổng điểm tự đánh giá thấp hơn mức quy định và chỉ số I.2 dưới mức tối thiểu."
ACTIVITIES = (
    ("Lớp tin học cơ bản tại trung tâm học tập cộng đồng", "course", 24, 3),
    ("Sinh hoạt câu lạc bộ đọc sách của tổ dân phố", "club", 12, 5),
    ("Tự học sử dụng dịch vụ công trực tuyến", "self_study", 8, 6),
)


@dataclass(frozen=True)
class LivingWard:
    """What the demo ward holds once created."""

    citizens: int
    applications: dict[str, int]
    decision_id: str | None
    certificates: int
    digital_records: int


def seed_living_ward(session: Session, password: str, *, new_code: Callable[[], str],
                     verify_url: Callable[[str], str]) -> LivingWard | None:
    """Create the demo ward's residents and their year once (None when it is already there); the staff accounts
    reviewer00004, chair00004 and centre00004 (seed_demo) act. The caller commits, then sends the certificates'
    renders."""
    if session.exec(select(Citizen.id).where(Citizen.cccd == PEOPLE[0].cccd)).first():
        return None
    reviewer, chair, centre = (_staff(session, f"{role}{WARD}") for role in ("reviewer", "chair", "centre"))
    hashed = hash_password(password)  # one demo password for all: hashed once (argon2 takes ~0.2 s a hash)
    year = today().year
    counts: dict[str, int] = {}
    to_decide: list[str] = []
    digital = 0
    for n, person in enumerate(PEOPLE):
        citizen = _register(session, person, password, hashed)
        if person.fate is not None:
            app_id = _application(session, citizen, person, year, n)
            counts[person.fate] = counts.get(person.fate, 0) + 1
            if person.fate == "recognised":
                to_decide.append(app_id)
        if person.digital_level is not None:
            verification.record_assessment(session, reviewer, parse(AssessmentInput, {
                "cccd": person.cccd, "achieved_on": _day(year, 20 + n), "level": person.digital_level,
                "centre": CENTRE, "reference": f"BĐ-{year}-{n + 1:03d}"}))
            digital += 1
    # One assessment a learning centre recorded, waiting for the ward reviewer to verify it.
    verification.record_assessment(session, centre, parse(AssessmentInput, {
        "cccd": PEOPLE[4].cccd, "achieved_on": _day(year, 10), "level": 1, "centre": CENTRE,
        "reference": f"BĐ-{year}-100"}))
    digital += 1
    for app_id in to_decide:
        _review(session, reviewer, app_id, Event.APPROVE)
    decision, certificates = decisions.record_decision(session, chair, parse(DecisionInput, {
        "year": year, "number": DECISION_NUMBER, "signed_on": _day(year, 3), "signer_name": SIGNER,
        "application_ids": to_decide}), new_code=new_code, verify_url=verify_url)
    session.flush()
    return LivingWard(citizens=len(PEOPLE), applications=counts, decision_id=decision.id,
                      certificates=len(certificates), digital_records=digital)


def _staff(session: Session, username: str) -> Actor:
    user = session.exec(select(User).where(User.username == username)).one()
    return actor_for(session, user)


def _register(session: Session, person: Person, password: str, hashed: str) -> Actor:
    citizen = register_citizen(session, {
        "cccd": person.cccd, "full_name": person.full_name, "date_of_birth": person.born, "sex": person.sex,
        "ward_code": WARD, "target_group": person.group, "password": password, "consent": True,
        "hamlet": person.hamlet}, password_hash=hashed)
    user = session.get(User, citizen.user_id)
    assert user is not None
    return actor_for(session, user)


def _day(year: int, days_ago: int) -> str:
    """A day this many days before today, never before the year began."""
    return max(date(year, 1, 1), today() - timedelta(days=days_ago)).isoformat()


def _application(session: Session, citizen: Actor, person: Person, year: int, n: int) -> str:
    """Open the year's application and take it as far as the person's fate needs (a reviewer does the rest)."""
    app = applications.open_application(session, citizen, parse(ApplicationInput, {"year": year}))
    for title, kind, hours, months_ago in ACTIVITIES[: 1 + n % len(ACTIVITIES)]:
        applications.add_activity(session, citizen, app.id, parse(ActivityInput, {
            "title": title, "kind": kind, "hours": hours, "started_on": _day(year, 30 * months_ago),
            "provider": CENTRE}))
    codes = [w.code for w in applications.indicators_of(session, app)]
    failing = person.fate == "rejected"
    scores = {code: (3 if failing and i == 1 else 7 if failing else 8 + (i + n) % 3) for i, code in enumerate(codes)}
    if person.fate == "draft":
        scores = dict(list(scores.items())[:4])  # half-way through the self-assessment
    applications.set_self_assessment(session, citizen, app.id, parse(SelfAssessmentInput, {"scores": scores}))
    if person.fate == "draft":
        return app.id
    applications.submit(session, citizen, app.id)
    if person.fate in ("returned", "rejected", "approved"):
        reviewer = _staff(session, f"reviewer{WARD}")
        event = {"returned": Event.RETURN, "rejected": Event.REJECT, "approved": Event.APPROVE}[person.fate]
        _review(session, reviewer, app.id, event)
    return app.id


def _review(session: Session, reviewer: Actor, app_id: str, event: Event) -> None:
    app = review.may_review(session, reviewer, app_id)
    comment = {Event.RETURN: RETURN_COMMENT, Event.REJECT: REJECT_COMMENT}.get(event)
    first = applications.activities_of(session, app)[0]
    notes = {first.id: ACTIVITY_NOTE} if event == Event.RETURN else {}
    review.review(session, reviewer, app_id, parse(ReviewInput, {
        "action": event, "version": app.version, "comment": comment, "notes": notes,
        "confirm_self_scores": event == Event.APPROVE}))
