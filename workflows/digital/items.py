"""The built-in test's item bank (data, written for this project in Vietnamese), checked when the app starts.

A bank file names the framework version its items are tagged against (each item: area, competence, level, text,
choices, the right choice, an explanation shown only after submission) and the form drawn from it per attempt
(items per area, time allowed, attempts allowed per period). A broken file is an error naming the file and the item.
"""

import hashlib
import random
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from . import frameworks
from .datafiles import read_object, whole

DATA = Path(__file__).resolve().parent / "data" / "items"
BASIC_BANK = "basic-2025@1"


class BankError(ValueError):
    """An item bank that cannot be used: the message names the file and the item."""


@dataclass(frozen=True)
class Item:
    """One question; `answer` and `explanation` never leave the server before the attempt is submitted."""

    id: str
    area: str
    competence: str
    level: int
    text: str
    choices: tuple[str, ...]
    answer: int
    explanation: str


@dataclass(frozen=True)
class Form:
    """How an attempt's form is drawn and limited."""

    per_area: int
    minutes: int
    max_attempts: int
    attempt_period_days: int


@dataclass(frozen=True)
class Bank:
    """A published item bank."""

    id: str  # "bank@version"
    framework_id: str
    form: Form
    items: Mapping[str, Item]
    sha256: str

    @property
    def form_size(self) -> int:
        """How many items an attempt's form has."""
        return len({i.area for i in self.items.values()}) * self.form.per_area

    def draw(self, seed: str) -> list[str]:
        """A form for one attempt: `per_area` items of every area, at random (seeded by the attempt), areas in order."""
        rng = random.Random(seed)
        drawn: list[str] = []
        for area in sorted({i.area for i in self.items.values()}):
            pool = sorted(i.id for i in self.items.values() if i.area == area)
            drawn += rng.sample(pool, min(self.form.per_area, len(pool)))
        return drawn


def _nfc(text: Any, where: str, limit: int) -> str:
    if not isinstance(text, str) or not text.strip() or len(text) > limit:
        raise BankError(f"{where}: text missing, empty or longer than {limit} characters")
    if not unicodedata.is_normalized("NFC", text):
        raise BankError(f"{where}: text not in Unicode NFC form")
    return text


def _whole(doc: Mapping[str, Any], key: str, where: str, low: int, high: int) -> int:
    return whole(doc, key, where, low, high, BankError)


def parse(path: Path, known: Mapping[str, frameworks.Framework] | None = None) -> Bank:
    """Read and check one bank file against the frameworks; BankError naming the file and the item."""
    name = path.name
    raw, doc = read_object(path, BankError)
    known = frameworks.published() if known is None else known
    framework = known.get(str(doc.get("framework")))
    if framework is None:
        raise BankError(f"{name}: 'framework' must name a published framework version ({', '.join(known)})")
    spec = doc.get("form")
    if not isinstance(spec, dict):
        raise BankError(f"{name}: 'form' must be an object")
    form = Form(_whole(spec, "per_area", f"{name}: form", 1, 20), _whole(spec, "minutes", f"{name}: form", 5, 1440),
                _whole(spec, "max_attempts", f"{name}: form", 1, 100),
                _whole(spec, "attempt_period_days", f"{name}: form", 1, 366))
    areas = {a.code: a for a in framework.areas}
    competences = framework.competence_codes()
    items: dict[str, Item] = {}
    if not isinstance(doc.get("items"), list) or not doc["items"]:
        raise BankError(f"{name}: 'items' must be a non-empty list")
    for n, entry in enumerate(doc["items"], 1):
        where = f"{name}: item {n}"
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str) or not entry["id"]:
            raise BankError(f"{where}: needs an 'id'")
        where = f"{name}: item {entry['id']}"
        if entry["id"] in items:
            raise BankError(f"{where}: id used twice")
        area, competence = entry.get("area"), entry.get("competence")
        if area not in areas:
            raise BankError(f"{where}: area {area!r} is not an area of {framework.id}")
        if competence not in competences or not str(competence).startswith(f"{area}."):
            raise BankError(f"{where}: competence {competence!r} is not one of area {area} of {framework.id}")
        choices = entry.get("choices")
        if not isinstance(choices, list) or not 2 <= len(choices) <= 6:
            raise BankError(f"{where}: 'choices' must be a list of 2 to 6 texts")
        items[entry["id"]] = Item(
            id=entry["id"], area=area, competence=competence, level=_whole(entry, "level", where, 1, framework.levels),
            text=_nfc(entry.get("text"), where, 500),
            choices=tuple(_nfc(c, f"{where} choice {i}", 200) for i, c in enumerate(choices)),
            answer=_whole(entry, "answer", where, 0, len(choices) - 1),
            explanation=_nfc(entry.get("explanation"), f"{where} explanation", 400))
    for code in areas:
        if sum(1 for i in items.values() if i.area == code) < form.per_area:
            raise BankError(f"{name}: area {code} has fewer items than the form draws from it ({form.per_area})")
    bank_id = f"{doc.get('bank')}@{doc.get('version')}"
    return Bank(bank_id, framework.id, form, items, hashlib.sha256(raw).hexdigest())


@cache
def published() -> dict[str, Bank]:
    """The repository's item banks, read and checked once per process (the app checks them when it starts)."""
    found: dict[str, Bank] = {}
    for path in sorted(DATA.glob("*.json")):
        bank = parse(path)
        if bank.id in found:
            raise BankError(f"{path.name}: {bank.id} is defined twice")
        found[bank.id] = bank
    if BASIC_BANK not in found:
        raise BankError(f"{DATA}: the basic test's bank {BASIC_BANK} is missing")
    return found


def get(bank_id: str = BASIC_BANK) -> Bank:
    """One published bank (KeyError if unknown)."""
    return published()[bank_id]
