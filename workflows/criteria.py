"""Criteria sets as versioned data (ADR 22): the title, the criteria (tiêu chí) and their names, the indicators
(chỉ số) worded for each target group, the score range, the pass rule and the document that sets them.

A version is a draft until a city administrator publishes it; a published version never changes (the domain refuses
any write to it, below) and applications stay pinned to the version they were opened under. The versions an
installation starts with are the files of `data/criteria/`, in the format `flask criteria load` reads.
"""

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import delete, event, func
from sqlalchemy import inspect as orm_inspect
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

from . import bounded_json
from .actors import Actor
from .clock import now
from .errors import Conflict, Forbidden, Invalid, NotFound
from .inputs import CriteriaSetInput, parse
from .models import Application, AuditEvent, Competence, CriteriaSet, Indicator, IndicatorWording
from .states import apply_event, initial_state, record_creation
from .vocabulary import CriteriaSetState, Entity, Event, Role, TargetGroup

# The indicator on using ICT: a verified basic digital attainment is offered for it (DOMAIN: II.1 may be pre-filled).
DIGITAL_INDICATOR = "II.1"

DATA = Path(__file__).resolve().parent / "data" / "criteria"
# The versions every installation has, oldest first (the migration of ADR 22 reads the same files).
SEEDED = ("qd-244-khvn-2022.json", "qd-324-khvn-2023.json")
FALLBACK_GROUP = TargetGroup.RESIDENT  # a group without its own wording reads the residents'
EDITORS = (Role.CITY_ADMIN, Role.SYSTEM)


@dataclass(frozen=True)
class Assessment:
    """The pass rule applied to a set of scores."""

    total: int
    passed: bool
    below_minimum: tuple[str, ...]
    missing: tuple[str, ...]


@dataclass(frozen=True)
class Worded:
    """An indicator as one target group reads it, with the name of the criterion it belongs to."""

    code: str
    competence: str
    competence_vi: str
    competence_en: str
    text_vi: str
    text_en: str
    position: int


@dataclass(frozen=True)
class Version:
    """A criteria set with its criteria, indicators and their wording for every target group."""

    cset: CriteriaSet
    competences: tuple[Competence, ...]
    indicators: tuple[Indicator, ...]
    by_group: Mapping[str, tuple[Worded, ...]]

    @property
    def codes(self) -> list[str]:
        """The indicator codes in printed order."""
        return [i.code for i in self.indicators]

    @property
    def max_total(self) -> int:
        """The highest total the set allows (100 for ten indicators scored 0–10)."""
        return self.cset.max_score * len(self.indicators)

    def worded(self, group: str | None) -> tuple[Worded, ...]:
        """The indicators as the group reads them (the residents' wording for a group without its own)."""
        return self.by_group.get(group or FALLBACK_GROUP) or self.by_group[FALLBACK_GROUP]


def _detached(row: Any) -> Any:
    """A copy that belongs to no session, so that no commit elsewhere ever expires it."""
    return type(row).model_validate(row.model_dump())


def read(session: Session, criteria_set_id: str) -> Version:
    """A criteria set and everything it says, read from the database (four statements)."""
    cset = session.get(CriteriaSet, criteria_set_id)
    if cset is None:
        raise LookupError(f"no criteria set {criteria_set_id}")
    competences = tuple(_detached(c) for c in session.exec(
        select(Competence).where(Competence.criteria_set_id == cset.id).order_by(col(Competence.position))))
    indicators = tuple(_detached(i) for i in session.exec(
        select(Indicator).where(Indicator.criteria_set_id == cset.id).order_by(col(Indicator.position))))
    wording = {(w.indicator_id, w.target_group): w for w in session.exec(
        select(IndicatorWording).where(IndicatorWording.criteria_set_id == cset.id))}
    names = {c.code: c for c in competences}
    by_group: dict[str, tuple[Worded, ...]] = {}
    for group in TargetGroup:
        rows = []
        for i in indicators:
            text = wording.get((i.id, group.value)) or wording.get((i.id, FALLBACK_GROUP.value))
            criterion = names.get(i.competence)
            rows.append(Worded(code=i.code, competence=i.competence,
                               competence_vi=criterion.name_vi if criterion else i.competence,
                               competence_en=criterion.name_en if criterion else i.competence,
                               text_vi=text.text_vi if text else "", text_en=text.text_en if text else "",
                               position=i.position))
        by_group[group.value] = tuple(rows)
    return Version(_detached(cset), competences, indicators, by_group)


# A published set never changes (a new version is a new set, with a new id), so each process keeps the published
# sets it has read: the pages and the API of an application ask for its set on every request. Drafts are read afresh
# each time (a city administrator may still correct them), never kept.
_PUBLISHED: dict[str, Version] = {}


def published(session: Session, criteria_set_id: str) -> Version:
    """A criteria set with its indicators and wording: a published one read once per process, then from memory."""
    found = _PUBLISHED.get(criteria_set_id)
    if found is None:
        found = read(session, criteria_set_id)
        if found.cset.state == CriteriaSetState.PUBLISHED:
            _PUBLISHED[criteria_set_id] = found
    return found


def indicator_codes(session: Session, criteria_set: CriteriaSet) -> list[str]:
    """Return the indicator codes of a criteria set in their printed order."""
    return published(session, criteria_set.id).codes


def current_set(session: Session, title_type: str, year: int) -> CriteriaSet | None:
    """Return the newest published criteria set valid for the year (drafts are never chosen)."""
    stmt = (
        select(CriteriaSet)
        .where(CriteriaSet.title_type == title_type, CriteriaSet.valid_from_year <= year,
               CriteriaSet.state == CriteriaSetState.PUBLISHED)
        .order_by(col(CriteriaSet.valid_from_year).desc())
    )
    return session.exec(stmt).first()


def check_scores(criteria_set: CriteriaSet, codes: list[str], scores: Mapping[str, object]) -> dict[str, str]:
    """Return field errors for unknown indicators, non-integers and out-of-range scores."""
    errors: dict[str, str] = {}
    for key, value in scores.items():
        if key not in codes:
            errors[f"scores.{key}"] = "unknown_indicator"
        elif not isinstance(value, int) or isinstance(value, bool):
            errors[f"scores.{key}"] = "score_not_integer"
        elif not criteria_set.min_score <= value <= criteria_set.max_score:
            errors[f"scores.{key}"] = "score_out_of_range"
    return errors


def rule_params(criteria_set: CriteriaSet) -> dict[str, int]:
    """The numbers the messages about scores and the pass rule are filled with."""
    return {"min_score": criteria_set.min_score, "max_score": criteria_set.max_score,
            "pass_total": criteria_set.pass_total, "pass_each": criteria_set.pass_min_indicator}


def assess(criteria_set: CriteriaSet, codes: list[str], scores: Mapping[str, int]) -> Assessment:
    """Apply the pass rule: total ≥ pass_total and no indicator below pass_min_indicator."""
    missing = tuple(c for c in codes if c not in scores)
    total = sum(int(scores.get(c, 0)) for c in codes)
    below = tuple(c for c in codes if c in scores and int(scores[c]) < criteria_set.pass_min_indicator)
    passed = not missing and not below and total >= criteria_set.pass_total
    return Assessment(total=total, passed=passed, below_minimum=below, missing=missing)


# --- versions: list, copy, load, publish -----------------------------------------------------------------------------

def all_sets(session: Session) -> list[CriteriaSet]:
    """Every version, by title, newest first."""
    return list(session.exec(select(CriteriaSet).order_by(
        col(CriteriaSet.title_type), col(CriteriaSet.valid_from_year).desc(), col(CriteriaSet.code))))


def by_code(session: Session, code: str) -> CriteriaSet:
    """The version with this code, or NotFound."""
    found = session.exec(select(CriteriaSet).where(CriteriaSet.code == code.strip())).first()
    if found is None:
        raise NotFound("criteria_not_found", criteria=code)
    return found


def pinned_counts(session: Session) -> dict[str, int]:
    """How many applications each version is pinned to (one statement, on the index of the pin)."""
    rows = session.execute(sa_select(Application.criteria_set_id, func.count())  # type: ignore[call-overload]
                           .group_by(Application.criteria_set_id)).all()
    return {set_id: count for set_id, count in rows}  # noqa: C416 - rows of two columns


def document(version: Version) -> dict[str, Any]:
    """A version in the format `flask criteria load` reads (and the files of data/criteria/ are written in)."""
    c = version.cset
    wording = {g: {w.code: w for w in version.by_group[g.value]} for g in TargetGroup}
    return {
        "code": c.code, "title_type": c.title_type, "name": c.name, "source_document": c.source_document,
        "valid_from_year": c.valid_from_year, "min_score": c.min_score, "max_score": c.max_score,
        "pass_total": c.pass_total, "pass_min_indicator": c.pass_min_indicator,
        "competences": [{"code": k.code, "name": {"vi": k.name_vi, "en": k.name_en}} for k in version.competences],
        "indicators": [{"code": i.code, "competence": i.competence, "wording": {
            g.value: {"vi": wording[g][i.code].text_vi, "en": wording[g][i.code].text_en} for g in TargetGroup}}
            for i in version.indicators],
    }


def _require_editor(actor: Actor) -> None:
    if actor.role not in EDITORS:
        raise Forbidden("role_not_allowed")


def _check(cmd: CriteriaSetInput) -> None:
    """Rules across fields: codes used once, every indicator under a criterion of the set, thresholds in range."""
    errors: dict[str, str] = {}
    seen: set[str] = set()
    for n, competence in enumerate(cmd.competences):
        if competence.code in seen:
            errors[f"competences.{n}.code"] = "code_repeated"
        seen.add(competence.code)
    codes: set[str] = set()
    for n, indicator in enumerate(cmd.indicators):
        if indicator.code in codes:
            errors[f"indicators.{n}.code"] = "code_repeated"
        codes.add(indicator.code)
        if indicator.competence not in seen:
            errors[f"indicators.{n}.competence"] = "unknown_competence"
    if cmd.max_score <= cmd.min_score:
        errors["max_score"] = "out_of_range"
    if not cmd.min_score <= cmd.pass_min_indicator <= cmd.max_score:
        errors["pass_min_indicator"] = "out_of_range"
    if not cmd.min_score * len(cmd.indicators) <= cmd.pass_total <= cmd.max_score * len(cmd.indicators):
        errors["pass_total"] = "out_of_range"
    if errors:
        raise Invalid(fields=errors)


def _fill(session: Session, cset: CriteriaSet, cmd: CriteriaSetInput) -> None:
    """Write the criteria, indicators and wording of a new or emptied draft."""
    for position, competence in enumerate(cmd.competences):
        session.add(Competence(criteria_set_id=cset.id, code=competence.code, name_vi=competence.name.vi,
                               name_en=competence.name.en, position=position))
    for position, given in enumerate(cmd.indicators):
        indicator = Indicator(criteria_set_id=cset.id, code=given.code, competence=given.competence,
                              position=position)
        session.add(indicator)
        session.flush()  # the indicator before its wording (no ORM relationship orders them)
        for group in TargetGroup:
            text = getattr(given.wording, group.value)
            session.add(IndicatorWording(indicator_id=indicator.id, target_group=group.value,
                                         criteria_set_id=cset.id, text_vi=text.vi, text_en=text.en))


HEADER = ("title_type", "name", "source_document", "valid_from_year", "min_score", "max_score", "pass_total",
          "pass_min_indicator")


def read_file(data: bytes) -> CriteriaSetInput:
    """A version file (the page's upload, the file `flask criteria load` reads) as a checked version; Invalid
    naming `file` when it is not UTF-8 JSON or nests deeper than any version file (never a RecursionError)."""
    try:
        given = bounded_json.loads(data)
    except bounded_json.TooDeep:
        raise Invalid(fields={"file": "json_too_deep"}, depth=bounded_json.MAX_DEPTH) from None
    except ValueError:  # not JSON, or not UTF-8
        raise Invalid(fields={"file": "not_json_file"}) from None
    return parse(CriteriaSetInput, given)


def load(session: Session, actor: Actor, cmd: CriteriaSetInput, origin: str) -> tuple[CriteriaSet, bool]:
    """A draft from a parsed version: a new draft, or an existing draft of that code replaced (how a city
    administrator corrects a draft). A published version is never replaced. Returns the draft and whether it is new;
    audited either way, with where it came from."""
    _require_editor(actor)
    _check(cmd)
    # Locked and read afresh: a publish committing meanwhile is seen (and refused below), never overwritten.
    cset = session.exec(select(CriteriaSet).where(CriteriaSet.code == cmd.code).with_for_update()
                        .execution_options(populate_existing=True)).first()
    header = {name: getattr(cmd, name) for name in HEADER} | {"title_type": cmd.title_type.value}
    detail = {"code": cmd.code, "from": origin, "valid_from_year": cmd.valid_from_year}
    if cset is None:
        cset = CriteriaSet(code=cmd.code, state=initial_state(Entity.CRITERIA_SET), **header)
        session.add(cset)
        session.flush()
        _fill(session, cset, cmd)
        record_creation(session, cset, actor, detail)
        session.flush()
        return cset, True
    if cset.state != CriteriaSetState.DRAFT:
        raise Conflict("criteria_published", criteria=cset.code)
    for table in (IndicatorWording, Indicator, Competence):
        session.execute(delete(table).where(col(table.criteria_set_id) == cset.id))
    for name, value in header.items():
        setattr(cset, name, value)
    cset.version += 1  # a publish of the draft as it was shown before this load is refused (stale version)
    session.add(cset)
    _fill(session, cset, cmd)
    session.add(AuditEvent(actor_id=actor.user_id, actor_role=actor.role.value, entity_type=Entity.CRITERIA_SET.value,
                           entity_id=cset.id, event=Event.IMPORT.value, from_state=cset.state, to_state=cset.state,
                           detail=detail))
    session.flush()
    return cset, False


def draft_from(session: Session, actor: Actor, source_code: str, code: str, valid_from_year: int) -> CriteriaSet:
    """A new draft copied from a version (published or not), with its own code and first year."""
    source = published(session, by_code(session, source_code).id)
    given = document(source) | {"code": code, "valid_from_year": valid_from_year}
    cmd = parse(CriteriaSetInput, given)
    if session.exec(select(CriteriaSet.id).where(CriteriaSet.code == cmd.code)).first() is not None:
        raise Conflict("criteria_code_exists", fields={"code": "criteria_code_exists"}, criteria=cmd.code)
    return load(session, actor, cmd, origin=source.cset.code)[0]


def publish(session: Session, actor: Actor, code: str, expected_version: int | None = None) -> CriteriaSet:
    """Publish a draft: from its year on, new applications are pinned to it; it never changes again. Another
    published version of the same title and first year would make the choice ambiguous: refused."""
    _require_editor(actor)
    cset = by_code(session, code)
    clash = session.exec(select(CriteriaSet.code).where(
        CriteriaSet.title_type == cset.title_type, CriteriaSet.valid_from_year == cset.valid_from_year,
        CriteriaSet.state == CriteriaSetState.PUBLISHED, CriteriaSet.id != cset.id)).first()
    if clash is not None and cset.state == CriteriaSetState.DRAFT:
        raise Conflict("criteria_year_taken", year=cset.valid_from_year, criteria=clash)
    try:
        with session.begin_nested():  # another version published for the year meanwhile: the unique index says so
            apply_event(session, cset, Event.PUBLISH, actor, expected_version=expected_version,
                        detail={"code": cset.code, "valid_from_year": cset.valid_from_year},
                        also={"published_at": now(), "published_by": actor.user_id})
    except IntegrityError:
        raise Conflict("criteria_year_taken", year=cset.valid_from_year, criteria=cset.code) from None
    return cset


def seed(session: Session, actor: Actor, files: Iterable[str] = SEEDED) -> list[CriteriaSet]:
    """The versions of data/criteria/ that are missing, loaded and published (idempotent)."""
    made = []
    for name in files:
        cmd = parse(CriteriaSetInput, json.loads((DATA / name).read_text(encoding="utf-8")))
        if session.exec(select(CriteriaSet.id).where(CriteriaSet.code == cmd.code)).first() is None:
            load(session, actor, cmd, origin=name)
            made.append(publish(session, actor, cmd.code))
    return made


# --- a published version never changes --------------------------------------------------------------------------------

def _set_of(row: object) -> str | None:
    if isinstance(row, Competence | Indicator | IndicatorWording):
        return row.criteria_set_id
    return None


@event.listens_for(OrmSession, "before_flush")
def _published_never_change(session: OrmSession, _context: object, _instances: object) -> None:
    """Refuse, before anything is written, a change to a published version or to its criteria, indicators or
    wording (publishing itself is one UPDATE of apply_event's, which no ORM flush carries)."""
    touched: set[str] = set()
    for row in (*session.dirty, *session.deleted):
        if isinstance(row, CriteriaSet) and (row in session.deleted or session.is_modified(row)):
            history = orm_inspect(row).attrs.state.history
            before = history.deleted[0] if history.deleted else row.state
            if before == CriteriaSetState.PUBLISHED:
                raise Conflict("criteria_published", criteria=row.code)
    for row in (*session.new, *session.dirty, *session.deleted):
        set_id = _set_of(row)
        if set_id is not None:
            touched.add(set_id)
    if not touched:
        return
    with session.no_autoflush:
        for set_id in touched:
            cset = session.get(CriteriaSet, set_id)
            if cset is not None and cset.state == CriteriaSetState.PUBLISHED:
                raise Conflict("criteria_published", criteria=cset.code)
