"""The criteria of QĐ 324/QĐ-KHVN as seed data, and the pass rule read from a criteria set."""

from collections.abc import Mapping
from dataclasses import dataclass

from sqlmodel import Session, col, select

from .models import CriteriaSet, Indicator
from .vocabulary import TitleType

# The indicator on using ICT: a verified basic digital attainment is offered for it (DOMAIN: II.1 may be pre-filled).
DIGITAL_INDICATOR = "II.1"

# (code, competence, Vietnamese wording, English wording) — residents' wording of QĐ 324/QĐ-KHVN.
QD_324_INDICATORS: tuple[tuple[str, str, str, str], ...] = (
    ("I.1", "I", "Tìm kiếm, đọc và cập nhật thông tin, kiến thức qua sách báo, phương tiện và thiết bị",
     "Finding, reading and updating information and knowledge (print, media, devices)"),
    ("I.2", "I", "Xây dựng và thực hiện kế hoạch học tập của bản thân",
     "Making and following a personal learning plan"),
    ("I.3", "I", "Tham gia các hoạt động cộng đồng, văn hóa, giáo dục, lớp học, buổi sinh hoạt",
     "Taking part in community, cultural and educational activities, classes, meetings"),
    ("I.4", "I", "Động viên, khuyến khích người thân và đồng nghiệp học tập",
     "Encouraging family members and colleagues to learn"),
    ("II.1", "II", "Sử dụng công nghệ thông tin và truyền thông trong công việc và cuộc sống",
     "Using ICT in work and daily life"),
    ("II.2", "II", "Sử dụng ngoại ngữ theo yêu cầu của công việc, vị trí",
     "Using a foreign language as work or position requires"),
    ("II.3", "II", "Vận dụng kiến thức toán học nâng cao chất lượng, hiệu quả công việc",
     "Numeracy applied to work quality and productivity"),
    ("II.4", "II", "Tư duy phản biện, biện chứng trong công việc và xã hội",
     "Critical and dialectical thinking at work and in society"),
    ("III.1", "III", "Xây dựng mối quan hệ thân thiện; hòa giải mâu thuẫn",
     "Friendly relationships; mediating conflicts"),
    ("III.2", "III", "Hợp tác, chia sẻ với đồng nghiệp và cộng đồng",
     "Cooperating and sharing with colleagues and the community"),
)

@dataclass(frozen=True)
class Assessment:
    """The pass rule applied to a set of scores."""

    total: int
    passed: bool
    below_minimum: tuple[str, ...]
    missing: tuple[str, ...]


# A criteria set never changes once published (a new version is a new set, with a new id), so each process keeps
# the sets it has read: the pages and the API of an application ask for its set and indicators on every request.
# Copies that belong to no session, so no commit elsewhere ever expires them; keyed by id, so no set is ever stale.
_PUBLISHED: dict[str, tuple[CriteriaSet, tuple[Indicator, ...]]] = {}


def published(session: Session, criteria_set_id: str) -> tuple[CriteriaSet, tuple[Indicator, ...]]:
    """A criteria set and its indicators in printed order: read once per process, then from memory."""
    found = _PUBLISHED.get(criteria_set_id)
    if found is None:
        cset = session.get(CriteriaSet, criteria_set_id)
        if cset is None:
            raise LookupError(f"no criteria set {criteria_set_id}")
        stmt = select(Indicator).where(Indicator.criteria_set_id == criteria_set_id).order_by(col(Indicator.position))
        found = (CriteriaSet.model_validate(cset.model_dump()),
                 tuple(Indicator.model_validate(i.model_dump()) for i in session.exec(stmt)))
        _PUBLISHED[criteria_set_id] = found
    return found


def indicator_codes(session: Session, criteria_set: CriteriaSet) -> list[str]:
    """Return the indicator codes of a criteria set in their printed order."""
    return [i.code for i in published(session, criteria_set.id)[1]]


def indicators_of(session: Session, criteria_set_id: str) -> list[Indicator]:
    """A criteria set's indicators in printed order, with their wording."""
    return list(published(session, criteria_set_id)[1])


def current_set(session: Session, title_type: str, year: int) -> CriteriaSet | None:
    """Return the newest criteria set valid for the year."""
    stmt = (
        select(CriteriaSet)
        .where(CriteriaSet.title_type == title_type, CriteriaSet.valid_from_year <= year)
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


def assess(criteria_set: CriteriaSet, codes: list[str], scores: Mapping[str, int]) -> Assessment:
    """Apply the pass rule: total ≥ pass_total and no indicator below pass_min_indicator."""
    missing = tuple(c for c in codes if c not in scores)
    total = sum(int(scores.get(c, 0)) for c in codes)
    below = tuple(c for c in codes if c in scores and int(scores[c]) < criteria_set.pass_min_indicator)
    passed = not missing and not below and total >= criteria_set.pass_total
    return Assessment(total=total, passed=passed, below_minimum=below, missing=missing)


def seed_qd_324(session: Session) -> CriteriaSet:
    """Create the QĐ 324/QĐ-KHVN criteria set if it is not there yet."""
    existing = session.exec(select(CriteriaSet).where(CriteriaSet.code == "QD-324-KHVN-2023")).first()
    if existing:
        return existing
    cset = CriteriaSet(
        code="QD-324-KHVN-2023",
        title_type=TitleType.CDHT,
        name="Bộ tiêu chí Công dân học tập",
        source_document="Quyết định 324/QĐ-KHVN ngày 25/10/2023",
        valid_from_year=2024,
        pass_total=80,
        pass_min_indicator=5,
    )
    session.add(cset)
    session.flush()
    for position, (code, competence, text_vi, text_en) in enumerate(QD_324_INDICATORS):
        session.add(
            Indicator(
                criteria_set_id=cset.id, code=code, competence=competence,
                text_vi=text_vi, text_en=text_en, position=position,
            )
        )
    session.flush()
    return cset
