"""The built-in basic digital-skills test: an attempt drawn at random per citizen, answered over one or several
visits, scored on the server, and a verified attainment when it passes.

The answer key never leaves this module before submission: a form lists items as `public_items` shapes them (text
and choices only). An open attempt is resumed, never restarted: starting again within its time returns the same
form with the answers saved so far. Attempts are limited per period (the bank's form says how many, how long).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from ..actors import SYSTEM_ACTOR, Actor
from ..clock import now
from ..errors import Conflict, DomainError, Invalid, NotFound
from ..models import Citizen, DigitalTestAttempt
from ..vocabulary import AttainmentKind, Event
from . import attainments, frameworks, items
from .frameworks import Framework


class AttemptLimit(DomainError):
    """Too many attempts in the period: try again later."""

    status = 429
    code = "attempt_limit"


@dataclass(frozen=True)
class Score:
    """What an attempt's answers are worth: right answers overall and the share right in each area."""

    correct: int
    total: int
    by_area: Mapping[str, float]

    @property
    def overall(self) -> float:
        """The share of all items answered right."""
        return self.correct / self.total if self.total else 0.0


def score(bank: items.Bank, item_ids: list[str], answers: Mapping[str, int]) -> Score:
    """Score answers (item id → choice index) against the key; an item left unanswered is wrong."""
    right: dict[str, int] = {}
    asked: dict[str, int] = {}
    for item_id in item_ids:
        item = bank.items[item_id]
        asked[item.area] = asked.get(item.area, 0) + 1
        right[item.area] = right.get(item.area, 0) + (answers.get(item_id) == item.answer)
    return Score(sum(right.values()), len(item_ids), {area: right[area] / n for area, n in asked.items()})


def public_items(bank: items.Bank, item_ids: list[str]) -> list[dict[str, Any]]:
    """An attempt's form as the citizen sees it: no answer key, no explanation."""
    return [{"id": i, "area": bank.items[i].area, "competence": bank.items[i].competence, "text": bank.items[i].text,
             "choices": list(bank.items[i].choices)} for i in item_ids]


def _citizen(session: Session, actor: Actor) -> Citizen:
    citizen = session.get(Citizen, actor.citizen_id) if actor.citizen_id else None
    if citizen is None:
        raise NotFound()
    return citizen


def _open(session: Session, citizen_id: str) -> DigitalTestAttempt | None:
    return session.exec(select(DigitalTestAttempt).where(
        DigitalTestAttempt.citizen_id == citizen_id, col(DigitalTestAttempt.submitted_at).is_(None),
        col(DigitalTestAttempt.expires_at) > now()).order_by(col(DigitalTestAttempt.started_at).desc())).first()


def open_attempt(session: Session, actor: Actor) -> DigitalTestAttempt | None:
    """The caller's attempt still open (not submitted, within its time), if any."""
    return _open(session, actor.citizen_id) if actor.citizen_id else None


def start(session: Session, actor: Actor, bank_id: str = items.BASIC_BANK) -> tuple[DigitalTestAttempt, bool]:
    """The citizen's open attempt (resumed: True), or a new one drawn at random (False); AttemptLimit past the
    bank's number of attempts in its period."""
    citizen = _citizen(session, actor)
    open_attempt = _open(session, citizen.id)
    if open_attempt is not None:
        return open_attempt, True
    bank = items.get(bank_id)
    since = now() - timedelta(days=bank.form.attempt_period_days)
    taken = session.exec(select(func.count()).select_from(DigitalTestAttempt).where(
        DigitalTestAttempt.citizen_id == citizen.id, col(DigitalTestAttempt.started_at) >= since)).one()
    if taken >= bank.form.max_attempts:
        raise AttemptLimit(limit=bank.form.max_attempts, days=bank.form.attempt_period_days)
    attempt = DigitalTestAttempt(citizen_id=citizen.id, bank_id=bank.id, framework_id=bank.framework_id,
                                 started_at=now(), expires_at=now() + timedelta(minutes=bank.form.minutes))
    attempt.item_ids = bank.draw(attempt.id)
    session.add(attempt)
    session.flush()
    return attempt, False


def own_attempt(session: Session, actor: Actor, attempt_id: str) -> DigitalTestAttempt:
    """An attempt of the caller's own (NotFound for anyone else's: it does not exist for them)."""
    attempt = session.get(DigitalTestAttempt, attempt_id)
    if attempt is None or actor.citizen_id is None or attempt.citizen_id != actor.citizen_id:
        raise NotFound()
    return attempt


def _checked(attempt: DigitalTestAttempt, answers: Any) -> dict[str, int]:
    if not isinstance(answers, Mapping):
        raise Invalid(fields={"answers": "invalid_answers"})
    bank = items.get(attempt.bank_id)
    clean: dict[str, int] = {}
    for item_id, choice in answers.items():
        if item_id not in attempt.item_ids:
            raise Invalid(fields={f"answers.{item_id}"[:80]: "unknown_item"})
        item = bank.items[item_id]
        if isinstance(choice, bool) or not isinstance(choice, int) or not 0 <= choice < len(item.choices):
            raise Invalid(fields={f"answers.{item_id}": "invalid_choice"})
        clean[item_id] = choice
    return clean


def _writable(attempt: DigitalTestAttempt) -> None:
    if attempt.submitted_at is not None:
        raise Conflict("attempt_submitted")
    if attempt.expires_at <= now():
        raise Conflict("attempt_expired")


def save(session: Session, actor: Actor, attempt_id: str, answers: Any) -> DigitalTestAttempt:
    """Keep the answers given so far (merged with earlier ones), so that a lost connection loses nothing."""
    attempt = own_attempt(session, actor, attempt_id)
    _writable(attempt)
    attempt.answers = {**attempt.answers, **_checked(attempt, answers)}
    session.add(attempt)
    session.flush()
    return attempt


@dataclass(frozen=True)
class Result:
    """A submitted attempt's outcome: the score, whether it passes the framework's rule, the attainment it earned,
    and what to learn next (`advice`)."""

    attempt: DigitalTestAttempt
    score: Score
    passed: bool
    framework: Framework
    advice: Mapping[str, Mapping[str, str]]


def submit(session: Session, actor: Actor, attempt_id: str, answers: Any) -> Result:
    """Score the attempt once (Conflict if already submitted or past its time); a pass records a built-in test's
    attainment, verified by the system at once."""
    attempt = own_attempt(session, actor, attempt_id)
    _writable(attempt)
    final = {**attempt.answers, **_checked(attempt, answers or {})}
    bank = items.get(attempt.bank_id)
    framework = frameworks.get(attempt.framework_id)
    rule = framework.basic
    result = score(bank, attempt.item_ids, final)
    passed = rule is not None and rule.passes(result.overall, result.by_area)
    moment = now()
    # Conditional on nobody having submitted meanwhile (a second tab): one submission, one verdict.
    done = session.execute(update(DigitalTestAttempt).where(
        col(DigitalTestAttempt.id) == attempt.id, col(DigitalTestAttempt.submitted_at).is_(None)).values(
        answers=final, submitted_at=moment, correct=result.correct, overall=result.overall,
        by_area=dict(result.by_area), passed=passed))
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict("attempt_submitted")
    session.refresh(attempt)
    if passed:
        from ..states import apply_event  # the state table imports this package's counters

        citizen = _citizen(session, actor)
        earned = attainments.record(session, actor, citizen, AttainmentKind.TEST, moment.date(), "CDHT",
                                    framework_id=framework.id, areas=dict(result.by_area),
                                    scores=(result.overall, result.by_area))
        apply_event(session, earned, Event.VERIFY, SYSTEM_ACTOR, detail={"attempt": attempt.id})
        attempt.attainment_id = earned.id
        session.add(attempt)
        session.flush()
    return Result(attempt, result, passed, framework, advice(framework, result.by_area))


def advice(framework: Framework, by_area: Mapping[str, float]) -> dict[str, Mapping[str, str]]:
    """What to learn next: the framework's advice for every area not answered fully right."""
    return {a.code: a.advice for a in framework.areas if a.advice and by_area.get(a.code, 1.0) < 1.0}
