"""Digital-competence frameworks as versioned data (ADR 15).

Each file of `data/frameworks/` is one framework version: code, version, publisher, source, areas → competences, the
number of proficiency levels and, for a framework that defines "basic digital skills", the rule in data (`basic`).
A broken file stops the start with an error naming the file and the entry. A version is immutable once published:
`register` records each file's content hash, and a file whose content changed under a published id is refused
(publish a new version instead). Attainments keep the id of the version they were made under, so a new version
changes nothing already recorded.
"""

import hashlib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from sqlmodel import Session, select

from ..models import DigitalFramework
from ..vocabulary import TargetGroup
from .datafiles import read_object, whole

DATA = Path(__file__).resolve().parent / "data" / "frameworks"
BASIC_FRAMEWORK = "qd757-basic@2025"  # the framework the built-in test and imports record under


class FrameworkError(ValueError):
    """A framework file that cannot be used: the message names the file and the entry."""


@dataclass(frozen=True)
class Area:
    """An area (domain) of a framework, its competences and, where given, what to learn next."""

    code: str
    name: Mapping[str, str]
    competences: tuple[tuple[str, Mapping[str, str]], ...]
    advice: Mapping[str, str] | None = None


@dataclass(frozen=True)
class BasicRule:
    """What "has basic digital skills" means under a framework version (thresholds are data, never code)."""

    overall_min: float  # a test: share of items right overall
    area_min: float  # a test: share right in every area
    min_level: int  # a certificate or assessment: the level reached
    valid_years: int  # counted in the year reached and the years after, this many in all

    def passes(self, overall: float, by_area: Mapping[str, float]) -> bool:
        """A scored attainment (a test) meets the rule."""
        return overall >= self.overall_min and all(share >= self.area_min for share in by_area.values())

    def years(self, achieved_on: date) -> tuple[int, int]:
        """The first and last year an attainment reached on that day counts in."""
        return achieved_on.year, achieved_on.year + self.valid_years - 1


@dataclass(frozen=True)
class Framework:
    """One published framework version."""

    id: str  # "code@version"
    code: str
    version: str
    name: Mapping[str, str]
    publisher: str
    source: str
    published_on: date
    levels: int
    areas: tuple[Area, ...]
    target_groups: Mapping[str, tuple[str, ...]]
    basic: BasicRule | None
    sha256: str
    path: Path

    def area(self, code: str) -> Area:
        """The area with this code (KeyError if none)."""
        for area in self.areas:
            if area.code == code:
                return area
        raise KeyError(code)

    def competence_codes(self) -> frozenset[str]:
        """Every competence code of every area."""
        return frozenset(code for area in self.areas for code, _ in area.competences)


def _text(value: Any, where: str) -> Mapping[str, str]:
    if not isinstance(value, dict) or not isinstance(value.get("vi"), str) or not value["vi"].strip():
        raise FrameworkError(f"{where}: a name needs at least Vietnamese text ({{'vi': …, 'en': …}})")
    for lang, text in value.items():
        if lang not in ("vi", "en") or not isinstance(text, str):
            raise FrameworkError(f"{where}: unknown language {lang!r} or text that is not a string")
        if not unicodedata.is_normalized("NFC", text):
            raise FrameworkError(f"{where}: text not in Unicode NFC form")
    return dict(value)


def _string(doc: Mapping[str, Any], key: str, where: str) -> str:
    value = doc.get(key)
    if not isinstance(value, str) or not value.strip():
        raise FrameworkError(f"{where}: '{key}' is missing or empty")
    return value


def _fraction(doc: Mapping[str, Any], key: str, where: str) -> float:
    value = doc.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
        raise FrameworkError(f"{where}: '{key}' must be a number between 0 and 1")
    return float(value)


def _count(doc: Mapping[str, Any], key: str, where: str, low: int, high: int) -> int:
    return whole(doc, key, where, low, high, FrameworkError)


def parse(path: Path) -> Framework:
    """Read and check one framework file; FrameworkError naming the file and the entry when it is broken."""
    name = path.name
    raw, doc = read_object(path, FrameworkError)
    code, version = _string(doc, "code", name), _string(doc, "version", name)
    levels = _count(doc, "levels", name, 1, 12)
    try:
        published_on = date.fromisoformat(_string(doc, "published_on", name))
    except ValueError as exc:
        raise FrameworkError(f"{name}: 'published_on' is not a date (YYYY-MM-DD)") from exc
    areas: list[Area] = []
    seen: set[str] = set()
    if not isinstance(doc.get("areas"), list) or not doc["areas"]:
        raise FrameworkError(f"{name}: 'areas' must be a non-empty list")
    for i, entry in enumerate(doc["areas"], 1):
        where = f"{name}: area {i}"
        if not isinstance(entry, dict):
            raise FrameworkError(f"{where}: must be an object")
        area_code = _string(entry, "code", where)
        where = f"{name}: area {area_code}"
        if area_code in seen:
            raise FrameworkError(f"{where}: code used twice")
        seen.add(area_code)
        competences = []
        if not isinstance(entry.get("competences"), list) or not entry["competences"]:
            raise FrameworkError(f"{where}: 'competences' must be a non-empty list")
        for comp in entry["competences"]:
            comp_code = _string(comp, "code", where) if isinstance(comp, dict) else ""
            if not comp_code.startswith(area_code + "."):
                raise FrameworkError(f"{where}: competence {comp_code or comp!r} must be numbered {area_code}.N")
            if comp_code in seen:
                raise FrameworkError(f"{name}: competence {comp_code}: code used twice")
            seen.add(comp_code)
            competences.append((comp_code, _text(comp.get("name"), f"{name}: competence {comp_code}")))
        advice = _text(entry["advice"], f"{where} advice") if "advice" in entry else None
        areas.append(Area(area_code, _text(entry.get("name"), where), tuple(competences), advice))
    known = {c for a in areas for c, _ in a.competences}
    groups: dict[str, tuple[str, ...]] = {}
    for group, subset in (doc.get("target_groups") or {}).items():
        where = f"{name}: target group {group}"
        if group not in TargetGroup.values():
            raise FrameworkError(f"{where}: not a target group ({', '.join(TargetGroup.values())})")
        if not isinstance(subset, list) or not subset or not set(subset) <= known:
            unknown = sorted(set(subset) - known) if isinstance(subset, list) else subset
            raise FrameworkError(f"{where}: competences must be a non-empty list of this framework's ({unknown})")
        groups[group] = tuple(subset)
    basic = None
    if "basic" in doc:
        rule, where = doc["basic"], f"{name}: basic"
        if not isinstance(rule, dict):
            raise FrameworkError(f"{where}: must be an object")
        basic = BasicRule(_fraction(rule, "overall_min", where), _fraction(rule, "area_min", where),
                          _count(rule, "min_level", where, 1, levels), _count(rule, "valid_years", where, 1, 50))
    return Framework(
        id=f"{code}@{version}", code=code, version=version, name=_text(doc.get("name"), f"{name}: name"),
        publisher=_string(doc, "publisher", name), source=_string(doc, "source", name), published_on=published_on,
        levels=levels, areas=tuple(areas), target_groups=groups, basic=basic,
        sha256=hashlib.sha256(raw).hexdigest(), path=path)


def load(directory: Path = DATA) -> dict[str, Framework]:
    """Every framework file of a directory, by id; FrameworkError for the first broken one or a repeated id."""
    found: dict[str, Framework] = {}
    for path in sorted(directory.glob("*.json")):
        framework = parse(path)
        if framework.id in found:
            raise FrameworkError(f"{path.name}: {framework.id} is also defined in {found[framework.id].path.name}")
        found[framework.id] = framework
    if directory == DATA and (BASIC_FRAMEWORK not in found or found[BASIC_FRAMEWORK].basic is None):
        raise FrameworkError(f"{directory}: the basic framework {BASIC_FRAMEWORK} with its 'basic' rule is missing")
    return found


@cache
def published() -> dict[str, Framework]:
    """The repository's frameworks, read and checked once per process (the app checks them when it starts)."""
    return load()


def get(framework_id: str) -> Framework:
    """One published framework version (KeyError if unknown)."""
    return published()[framework_id]


def register(session: Session, frameworks: Mapping[str, Framework] | None = None) -> list[str]:
    """Record each framework version as published; refuse one whose file changed since (FrameworkError).

    Returns the ids newly recorded. Called by the seed (and so by `make run`) after migrations.
    """
    frameworks = published() if frameworks is None else frameworks
    known = {row.id: row for row in session.exec(select(DigitalFramework))}
    added = []
    for framework in frameworks.values():
        row = known.get(framework.id)
        if row is None:
            session.add(DigitalFramework(id=framework.id, code=framework.code, version=framework.version,
                                         publisher=framework.publisher, sha256=framework.sha256))
            added.append(framework.id)
        elif row.sha256 != framework.sha256:
            raise FrameworkError(f"{framework.path.name}: {framework.id} was published with other content; a "
                                 "published version never changes: give the new content a new version")
    session.flush()
    return added
