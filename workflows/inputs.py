"""Input parsed at the edge: the typed commands domain functions take, and one parser that turns raw JSON or form
data into them or into field error codes (the same codes the API and the pages translate).

Numbers are whole ASCII numbers (forms send text, JSON sends numbers; never '²', never true); text is NFC and
stripped; choices are vocabulary members. Rules that need the database (known indicators, the pass rule, a ward
that exists) stay in the domain functions.
"""

from collections.abc import Callable, Mapping
from datetime import date
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError
from pydantic_core import PydanticCustomError

from .errors import Invalid
from .validation import FieldErrors
from .vocabulary import (
    PEOPLE_MODES,
    ActivityKind,
    DenominatorMode,
    Event,
    ReportPeriod,
    TargetIndicator,
    TitleType,
    UnitIndicator,
)

M = TypeVar("M", bound=BaseModel)
OURS = "cdht_limit"  # marks the context of an error of ours that carries a limit
FIRST_YEAR, LAST_YEAR = 2024, 2100
MAX_APPLICATIONS = 5000  # one decision; a ward recognises larger numbers in several

# Pydantic's own error types, in our field error codes.
_BUILTIN_CODES = {"missing": "required", "string_type": "not_text", "int_type": "not_integer",
                  "list_type": "invalid_list", "dict_type": "invalid_scores", "bool_type": "invalid_choice",
                  "bool_parsing": "invalid_choice", "model_type": "invalid"}


def _fail(code: str, limits: dict[str, int] | None = None) -> PydanticCustomError:
    """An error of ours: its code, and the limit it broke when there is one (marked as ours for `parse`)."""
    return PydanticCustomError(code, code, {OURS: 1, **limits}) if limits else PydanticCustomError(code, code)


def _via(check: Callable[[FieldErrors, dict[str, Any]], Any]) -> BeforeValidator:
    """Reuse a FieldErrors check on one value: its error code becomes the field's."""

    def run(value: Any) -> Any:
        errors = FieldErrors()
        result = check(errors, {"v": value})
        if errors:
            raise _fail(errors["v"], errors.limits.get("v"))
        return result

    return BeforeValidator(run)


def Text(max_length: int) -> BeforeValidator:  # noqa: N802 - reads as a type in annotations
    """Required text: NFC, stripped, at most max_length characters after normalising."""
    return _via(lambda e, d: e.text(d, "v", max_length))


def OptionalText(max_length: int) -> BeforeValidator:  # noqa: N802
    """Optional text; blank means absent."""
    return _via(lambda e, d: e.text(d, "v", max_length, required=False))


def Whole(low: int, high: int, required: bool = True) -> BeforeValidator:  # noqa: N802
    """A whole number within [low, high]; digits typed in a form are accepted."""
    return _via(lambda e, d: e.integer(d, "v", low, high, required=required))


def Day(required: bool = True) -> BeforeValidator:  # noqa: N802
    """A date written YYYY-MM-DD."""
    return _via(lambda e, d: e.iso_date(d, "v", required=required))


def _choice(kind: type[Any], allowed: tuple[Any, ...] | None = None) -> BeforeValidator:
    """One member of a vocabulary enum (or of the allowed few)."""

    def run(value: Any) -> Any:
        if value is None or value == "":
            raise _fail("required")
        try:
            member = kind(value)
        except (ValueError, TypeError):
            raise _fail("invalid_choice") from None
        if allowed is not None and member not in allowed:
            raise _fail("invalid_choice")
        return member

    return BeforeValidator(run)


def _score(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise _fail("score_not_integer")
    return value


def _codes(value: Any) -> list[str]:
    """Indicator codes as a list, a comma-separated string or nothing."""
    if value in (None, "", []):
        return []
    values = [c.strip() for c in value.split(",")] if isinstance(value, str) else value
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise _fail("invalid_choice")
    return [v for v in values if v]


def _ids(value: Any) -> list[str]:
    if value is None or value == [] or value == "":
        raise _fail("required")
    if not isinstance(value, list) or not all(isinstance(i, str) and i for i in value):
        raise _fail("invalid_list")
    if len(value) > MAX_APPLICATIONS or len(set(value)) != len(value):
        raise _fail("invalid_list")
    return value


def _flag(value: Any) -> bool:
    """A JSON true or a ticked box ("yes", "on", "true"); anything else, 1 included, is not a yes."""
    return value is True or (isinstance(value, str) and value in ("true", "on", "yes"))


Scores = dict[str, Annotated[int, BeforeValidator(_score)]]


class Command(BaseModel):
    """A parsed, immutable input; unknown keys are ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore")


class ApplicationInput(Command):
    """Open the application of a year."""

    year: Annotated[int, Whole(FIRST_YEAR, LAST_YEAR)]


class ActivityInput(Command):
    """A learning activity as the citizen logs it."""

    title: Annotated[str, Text(300)]
    kind: Annotated[ActivityKind, _choice(ActivityKind)]
    hours: Annotated[int, Whole(1, 2000)]
    started_on: Annotated[date, Day()]
    ended_on: Annotated[date | None, Day(required=False)] = None
    provider: Annotated[str | None, OptionalText(200)] = None
    indicator_codes: Annotated[list[str], BeforeValidator(_codes)] = []
    # The pages let a citizen leave the day out (only the month and year): the date is then the month's first day.
    started_day_known: Annotated[bool, BeforeValidator(_flag)] = True
    ended_day_known: Annotated[bool, BeforeValidator(_flag)] = True


class SelfAssessmentInput(Command):
    """The citizen's own scores, all or some indicators."""

    scores: Scores


REVIEW_EVENTS = (Event.APPROVE, Event.RETURN, Event.REJECT)
ReviewAction = Annotated[Event, _choice(Event, REVIEW_EVENTS)]


class ReviewInput(Command):
    """A reviewer's verdict: propose, return for more evidence, or do not propose."""

    action: ReviewAction
    version: Annotated[int, Whole(1, 10**9)]
    scores: Scores | None = None
    comment: Annotated[str | None, OptionalText(2000)] = None
    # What the reviewer asks about one activity, by its id: shown to the citizen next to it (blank: none).
    notes: dict[str, Annotated[str | None, OptionalText(500)]] = {}
    # Approving with the citizen's own scores is allowed only when the reviewer says so.
    confirm_self_scores: Annotated[bool, BeforeValidator(_flag)] = False


class DecisionInput(Command):
    """The chair's recognition decision."""

    year: Annotated[int, Whole(FIRST_YEAR, LAST_YEAR)]
    number: Annotated[str, Text(40)]
    signed_on: Annotated[date, Day()]
    signer_name: Annotated[str, Text(200)]
    application_ids: Annotated[list[str], BeforeValidator(_ids)]


class RevocationInput(Command):
    """Why an issued certificate is revoked (shown on the public verification page)."""

    reason: Annotated[str, Text(500)]


class ReissueInput(Command):
    """A correction of the holder's name and/or date of birth, and why (ADR 28); a field left out keeps the
    citizen's record as it is (NFC name and the CCCD's agreement are checked by the domain)."""

    full_name: Annotated[str | None, OptionalText(200)] = None
    date_of_birth: Annotated[date | None, Day(required=False)] = None
    reason: Annotated[str, Text(500)]


class Wording(Command):
    """A text in Vietnamese and in English."""

    vi: Annotated[str, Text(400)]
    en: Annotated[str, Text(400)]


class GroupWording(Command):
    """An indicator worded for each target group of QĐ 324/QĐ-KHVN (the fields are TargetGroup's values)."""

    resident: Wording
    worker: Wording
    staff: Wording
    learner: Wording


class CompetenceInput(Command):
    """A criterion (tiêu chí) of a criteria set: its code (I, II, III) and its name."""

    code: Annotated[str, Text(10)]
    name: Wording


class IndicatorInput(Command):
    """An indicator (chỉ số): its code, the criterion it belongs to and its wording per target group."""

    code: Annotated[str, Text(10)]
    competence: Annotated[str, Text(10)]
    wording: GroupWording


def _items(value: Any) -> Any:
    if not isinstance(value, list) or not value:
        raise _fail("invalid_list")
    return value


class CriteriaSetInput(Command):
    """A version of the criteria as a city administrator loads it (a JSON file, ADR 22); rules across fields (known
    criteria, codes used once, thresholds within the range) are the domain's."""

    code: Annotated[str, Text(40)]
    title_type: Annotated[TitleType, _choice(TitleType)]
    name: Annotated[str, Text(200)]
    source_document: Annotated[str, Text(200)]
    valid_from_year: Annotated[int, Whole(2000, LAST_YEAR)]
    min_score: Annotated[int, Whole(0, 100)] = 0
    max_score: Annotated[int, Whole(1, 100)] = 10
    pass_total: Annotated[int, Whole(0, 10_000)]
    pass_min_indicator: Annotated[int, Whole(0, 100)]
    competences: Annotated[list[CompetenceInput], BeforeValidator(_items)]
    indicators: Annotated[list[IndicatorInput], BeforeValidator(_items)]


def parse(model: type[M], data: Any) -> M:
    """Validate raw input into a command, or raise Invalid naming every bad field with its code."""
    if not isinstance(data, Mapping):
        raise Invalid(fields={"body": "invalid"})
    try:
        return model.model_validate(dict(data))
    except ValidationError as exc:
        fields: dict[str, str] = {}
        limits: dict[str, dict[str, int]] = {}
        for error in exc.errors():
            name = ".".join(str(part) for part in error["loc"]) or "body"
            kind = str(error["type"])
            if error.get("input", "") is None:
                kind = "missing"
            context = dict(error.get("ctx") or {})
            ours = context.pop(OURS, None) is not None
            fields.setdefault(name, _BUILTIN_CODES.get(kind, kind if ours or "ctx" not in error else "invalid"))
            if ours and fields[name] == kind:
                limits.setdefault(name, context)
        raise (Invalid(fields=fields, limits=limits) if limits else Invalid(fields=fields)) from None


class CertificateInput(Command):
    """A certificate of a digital-skills course, as the citizen describes the file they send."""

    course: Annotated[str, Text(300)]
    issuer: Annotated[str, Text(200)]
    achieved_on: Annotated[date, Day()]


class AssessmentInput(Command):
    """A supervised assessment on paper, as the ward's or a community learning centre's staff record it."""

    cccd: Annotated[str, Text(20)]
    achieved_on: Annotated[date, Day()]
    level: Annotated[int, Whole(0, 8)]  # 0: level 1 not reached
    centre: Annotated[str, Text(200)]
    reference: Annotated[str | None, OptionalText(100)] = None  # the paper's number: the same paper is recorded once


ATTAINMENT_REVIEW_EVENTS = (Event.VERIFY, Event.DECLINE)


class AttainmentReviewInput(Command):
    """A reviewer's verdict on a certificate or an assessment: verified at a level, or rejected with a reason."""

    action: Annotated[Event, _choice(Event, ATTAINMENT_REVIEW_EVENTS)]
    version: Annotated[int, Whole(1, 10**9)]
    level: Annotated[int | None, Whole(0, 8, required=False)] = None  # 0: level 1 not reached
    reason: Annotated[str | None, OptionalText(1000)] = None


class DigitalSelfAssessmentInput(Command):
    """A citizen's own view of their level in each area of the basic framework (0: not yet level 1)."""

    areas: dict[str, Annotated[int, Whole(0, 8)]]


class TargetInput(Command):
    """A milestone of the plan as a city administrator sets it: a whole percentage of the denominator."""

    indicator: Annotated[TargetIndicator, _choice(TargetIndicator)]
    year: Annotated[int, Whole(FIRST_YEAR, LAST_YEAR)]
    percent: Annotated[int, Whole(1, 100)]
    # People: a citizen-level target is a share of residents (units are the unit-level indicators' own).
    denominator_mode: Annotated[DenominatorMode, _choice(DenominatorMode, PEOPLE_MODES)]
    source_document: Annotated[str, Text(200)]


class UnitFigureInput(Command):
    """A unit-level indicator's figure for a ward (or the city: no ward), a year and a reporting period."""

    indicator: Annotated[UnitIndicator, _choice(UnitIndicator)]
    year: Annotated[int, Whole(FIRST_YEAR, LAST_YEAR)]
    period: Annotated[ReportPeriod, _choice(ReportPeriod)]
    ward_code: Annotated[str | None, OptionalText(5)] = None
    achieved: Annotated[int, Whole(0, 100_000_000)]
    total: Annotated[int, Whole(1, 100_000_000)]
    source_note: Annotated[str, Text(300)]


class CampaignInput(Command):
    """A year's campaign as a city administrator sets it, for the city (no ward) or one ward's own dates."""

    year: Annotated[int, Whole(FIRST_YEAR, LAST_YEAR)]
    ward_code: Annotated[str | None, OptionalText(5)] = None
    registration_opens: Annotated[date, Day()]
    registration_closes: Annotated[date, Day()]
    self_assessment_opens: Annotated[date, Day()]
    self_assessment_closes: Annotated[date, Day()]
    review_deadline: Annotated[date, Day()]
    mid_year_report_on: Annotated[date, Day()]
    year_end_report_on: Annotated[date, Day()]
