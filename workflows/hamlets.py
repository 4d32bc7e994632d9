"""A ward's tổ dân phố (phường) or thôn (xã) as data: a code and a name each, imported per ward from CSV.

Where a ward has its list, a citizen chooses theirs from it at registration and the application keeps its code: a
reviewer may be scoped to some of them (ADR 26). A ward without a list keeps the name as the citizen typed it.
"""

import re
from dataclasses import dataclass

from sqlalchemy import text
from sqlmodel import Session, col, select

from . import csv_files, names
from .actors import Actor
from .clock import now
from .errors import Forbidden, Invalid
from .models import AuditEvent, Hamlet, Ward
from .vocabulary import Entity, Event, Role

HAMLET_MAX = 100  # characters of a name
HEADER = ("code", "name")
MAX_ROWS = 2_000  # far more than any ward has (the largest have a few hundred)
CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,19}")


@dataclass(frozen=True)
class Place:
    """Where a citizen lives below the ward: the code in the ward's list (None where it has none) and the name."""

    code: str | None
    name: str | None


@dataclass
class Report:
    """What an import did (or would do, on a dry run)."""

    rows: int
    created: int = 0
    renamed: int = 0
    unchanged: int = 0
    placed: int = 0  # citizens registered before the list whose tổ dân phố / thôn it now names
    dry_run: bool = False


def of_ward(session: Session, ward_code: str) -> list[Hamlet]:
    """The ward's list, in its order."""
    return list(session.exec(select(Hamlet).where(Hamlet.ward_code == ward_code, col(Hamlet.active))
                             .order_by(col(Hamlet.position), col(Hamlet.code))))


def names_of(session: Session, ward_code: str, codes: list[str] | tuple[str, ...]) -> dict[str, str]:
    """{code: name} for some of a ward's codes."""
    if not codes:
        return {}
    rows = session.exec(select(Hamlet.code, Hamlet.name).where(Hamlet.ward_code == ward_code,
                                                               col(Hamlet.code).in_(codes)))
    return dict(rows.all())


class Resolver:
    """Places given by people of one ward, against its list read once (an import places thousands)."""

    def __init__(self, session: Session, ward_code: str) -> None:
        listed = of_ward(session, ward_code)
        self.listed = bool(listed)
        self.by_key = {h.code.lower(): Place(h.code, h.name) for h in listed} | {
            names.fold(h.name): Place(h.code, h.name) for h in listed}

    def place(self, given: str | None, field: str = "hamlet") -> Place:
        """In a ward with a list, one of its codes or names (diacritics and case optional); elsewhere the text as
        typed. Invalid naming `field` for one the list does not have."""
        text = names.normalise(given or "")
        if not text:
            return Place(None, None)
        if not self.listed:
            if len(text) > HAMLET_MAX:
                raise Invalid(fields={field: "too_long"})
            return Place(None, text)
        found = self.by_key.get(text.lower()) or self.by_key.get(names.fold(text))
        if found is None:
            raise Invalid(fields={field: "unknown_hamlet"})
        return found


def place(session: Session, ward_code: str, given: str | None, field: str = "hamlet") -> Place:
    """The place one person gave (Resolver.place)."""
    return Resolver(session, ward_code).place(given, field)


def parse(data: bytes) -> list[tuple[int, str, str]]:
    """(row number, code, name) of a CSV file `code,name`; Invalid naming every bad row (`row.N`) or the file."""
    errors: dict[str, str] = {}
    rows: list[tuple[int, str, str]] = []
    codes: set[str] = set()
    seen_names: set[str] = set()
    for number, (code, raw_name) in csv_files.records(data, HEADER, MAX_ROWS, errors):
        key, name = f"row.{number}", names.normalise(raw_name)
        if not CODE.fullmatch(code):
            errors[key] = "hamlet_code_invalid"
        elif len(name) < 2 or len(name) > HAMLET_MAX:
            errors[key] = "hamlet_name_invalid"
        elif code.upper() in codes:
            errors[key] = "hamlet_code_repeated"
        elif names.fold(name) in seen_names:
            errors[key] = "hamlet_name_repeated"
        else:
            codes.add(code.upper())
            seen_names.add(names.fold(name))
            rows.append((number, code.upper(), name))
    if errors:
        raise Invalid(fields=errors)
    if not rows:
        raise Invalid(fields={"file": "no_rows"})
    return rows


def import_list(session: Session, actor: Actor, ward_code: str, rows: list[tuple[int, str, str]], *,
                dry_run: bool = False) -> Report:
    """Add the ward's hamlets by code, rename those whose name changed, leave the rest (the caller commits, or rolls
    back for a dry run). Importing the same file again changes nothing. A city administrator, the ward's chair or
    the system (an operator's command)."""
    if not (actor.role in (Role.CITY_ADMIN, Role.SYSTEM)
            or (actor.role == Role.WARD_CHAIR and actor.ward_code == ward_code)):
        raise Forbidden("role_not_allowed")
    if session.get(Ward, ward_code) is None:
        raise Invalid(fields={"ward_code": "unknown_ward"})
    existing = {h.code: h for h in session.exec(select(Hamlet).where(Hamlet.ward_code == ward_code))}
    report = Report(rows=len(rows), dry_run=dry_run)
    moment = now()
    for position, (_number, code, name) in enumerate(rows):
        old = existing.get(code)
        if old is None:
            session.add(Hamlet(ward_code=ward_code, code=code, name=name, position=position, updated_at=moment))
            report.created += 1
        elif old.name != name or not old.active or old.position != position:
            report.renamed += old.name != name
            report.unchanged += old.name == name
            old.name, old.active, old.position, old.updated_at = name, True, position, moment
            session.add(old)
        else:
            report.unchanged += 1
    session.flush()
    report.placed = _place_existing(session, ward_code)
    session.add(AuditEvent(actor_id=actor.user_id, actor_role=actor.role, entity_type=Entity.HAMLET,
                           entity_id=ward_code, event=Event.IMPORT,
                           detail={"rows": report.rows, "created": report.created, "renamed": report.renamed,
                                   "placed": report.placed}))
    session.flush()
    return report


def _place_existing(session: Session, ward_code: str) -> int:
    """Give the ward's citizens and applications that gave a tổ dân phố / thôn before the list existed (or before
    it had theirs) the code of the one named exactly so (or by its code), so that a reviewer of it sees them; one
    statement per table. Their text is left as given (the breakdowns of ADR 20 count by it). Returns how many
    citizens were placed."""
    placed = 0
    for table in ("citizen", "application"):
        match = (f"FROM hamlet h WHERE h.ward_code = {table}.ward_code AND h.active "
                 f"AND (h.name = {table}.hamlet OR h.code = UPPER({table}.hamlet))")
        result = session.execute(text(
            f"UPDATE {table} SET hamlet_code = (SELECT h.code {match} ORDER BY h.position LIMIT 1) "  # noqa: S608
            f"WHERE ward_code = :ward AND hamlet_code IS NULL AND hamlet IS NOT NULL AND EXISTS (SELECT 1 {match})"),
            {"ward": ward_code})
        if table == "citizen":
            placed = int(result.rowcount or 0)  # type: ignore[attr-defined]
    return placed
