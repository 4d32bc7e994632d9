"""Completions from a training platform (e.g. "Bình dân học vụ số"), keyed by CCCD: each row a verified basic
attainment from that source, the import being the official channel.

All or nothing: every row is checked before anything is written, and one bad row names its number and reason and
imports nothing. Idempotent: a row is known by (source, external_id), so the same file or row coming again adds
nothing. A CCCD that belongs to no citizen is reported, never invented as a citizen. The rows are written in chunks
of one transaction: a multi-row INSERT of pending attainments and their birth in the audit trail, then one batched
VERIFY through the state table (audited, counters moved in the same transaction).
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import text
from sqlmodel import Session, col, select

from .. import cccd as cccd_rules
from .. import csv_files
from ..actors import Actor
from ..clock import now, today
from ..db import IN_CHUNK
from ..errors import Forbidden, Invalid
from ..models import Citizen, DigitalAttainment
from ..models.ids import new_id
from ..vocabulary import AttainmentKind, AttainmentState, Event, Role
from . import frameworks

HEADER = ("cccd", "completed_on", "external_id", "course")
CHUNK = 5_000  # rows written per round: bounded memory, a progress step
MAX_ROWS = 1_000_000


@dataclass(frozen=True)
class Row:
    """One checked row of an import file."""

    number: int
    cccd: str
    completed_on: date
    external_id: str
    course: str | None


@dataclass
class Report:
    """What an import did (or, in a dry run, would do)."""

    rows: int = 0
    imported: int = 0
    skipped_existing: int = 0
    unknown_cccd: int = 0
    unknown_rows: list[int] = field(default_factory=list)  # row numbers whose CCCD is nobody's
    dry_run: bool = False

    def as_json(self) -> dict[str, Any]:
        """The API's answer."""
        return {"rows": self.rows, "imported": self.imported, "skipped_existing": self.skipped_existing,
                "unknown_cccd": self.unknown_cccd, "unknown_rows": self.unknown_rows[:1000], "dry_run": self.dry_run}


def parse(data: bytes) -> list[Row]:
    """Read and check a CSV file (UTF-8, header cccd,completed_on,external_id,course); Invalid naming every bad row
    as `row.N` (N counted as a spreadsheet counts, the header being row 1), or the file itself as `file`."""
    errors: dict[str, str] = {}
    rows: list[Row] = []
    seen: dict[str, Row] = {}
    latest = today()
    for number, record in csv_files.records(data, HEADER, MAX_ROWS, errors):
        key = f"row.{number}"
        raw_cccd, raw_date, external_id, course = record
        cccd = cccd_rules.clean(raw_cccd)
        completed_on = csv_files.calendar_date(raw_date)
        problem = cccd_rules.check(cccd)
        if problem:
            errors[key] = problem
        elif completed_on is None:
            errors[key] = "date_format"
        elif not date(2000, 1, 1) <= completed_on <= latest:
            errors[key] = "date_out_of_range"
        elif not external_id or len(external_id) > 100:
            errors[key] = "external_id_required"
        elif len(course) > 300:
            errors[key] = "too_long"
        else:
            row = Row(number, cccd, completed_on, external_id, course or None)
            twin = seen.get(external_id)
            if twin is None:
                seen[external_id] = row
                rows.append(row)
            elif (twin.cccd, twin.completed_on, twin.course) != (row.cccd, row.completed_on, row.course):
                errors[key] = "external_id_repeated"  # the same id for another completion: which one is right?
    if errors:
        raise Invalid(fields=errors)
    return rows


def authorise(actor: Actor) -> None:
    """Only a city administrator (or the system) imports: the import is the official channel."""
    if actor.role not in (Role.CITY_ADMIN, Role.SYSTEM):
        raise Forbidden("role_not_allowed")


def import_completions(
    session: Session, actor: Actor, rows: Sequence[Row], source: str, *, dry_run: bool = False,
    progress: Callable[[int], None] | None = None,
) -> Report:
    """Record each row as a verified basic attainment from `source` (see the module). The caller commits or, for a
    dry run (`dry_run` only marks the report), rolls back: a dry run does the same work, so its report is exact."""
    authorise(actor)
    source = " ".join(source.split())
    if not source or len(source) > 200:
        raise Invalid(fields={"source": "required" if not source else "too_long"})
    framework = frameworks.get(frameworks.BASIC_FRAMEWORK)
    assert framework.basic is not None
    report = Report(rows=len(rows), dry_run=dry_run)
    analysed = 0  # rows imported when statistics were last refreshed
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start:start + CHUNK]
        citizens = _citizens(session, {r.cccd for r in chunk})
        existing = _existing(session, source, [r.external_id for r in chunk])
        new: list[dict[str, Any]] = []
        for row in chunk:
            if row.external_id in existing:
                report.skipped_existing += 1
                continue
            if row.cccd not in citizens:
                report.unknown_cccd += 1
                report.unknown_rows.append(row.number)
                continue
            citizen_id, ward_code = citizens[row.cccd]
            first, last = framework.basic.years(row.completed_on)
            new.append({"id": new_id(), "citizen_id": citizen_id, "ward_code": ward_code,
                        "kind": AttainmentKind.IMPORT.value, "framework_id": framework.id, "areas": {},
                        "counts": True, "achieved_on": row.completed_on, "first_year": first, "last_year": last,
                        "source": source, "external_id": row.external_id, "course": row.course,
                        "state": AttainmentState.PENDING.value, "version": 1, "recorded_by": actor.user_id})
        created = _write(session, actor, new) if new else 0
        report.imported += created
        report.skipped_existing += len(new) - created
        if created and report.imported >= 2 * analysed:
            analysed = report.imported
            _refresh_statistics(session)
        if progress is not None:
            progress(len(chunk))
    return report


def _refresh_statistics(session: Session) -> None:
    """Let PostgreSQL's planner see what this import wrote (ANALYZE counts the transaction's own rows).

    Without statistics (a table filled by its first import), the planner takes a citizen's attainments for most of
    the table and reads the counters' input by scanning it all, once per chunk: an import slows with its own size.
    Refreshed whenever the import has doubled what it wrote since the last time: a handful of times per import.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE digital_attainment"))


def _citizens(session: Session, cccds: Iterable[str]) -> dict[str, tuple[str, str]]:
    wanted = sorted(cccds)
    found: dict[str, tuple[str, str]] = {}
    for start in range(0, len(wanted), IN_CHUNK):
        rows = session.execute(select(col(Citizen.cccd), col(Citizen.id), col(Citizen.ward_code))
                               .where(col(Citizen.cccd).in_(wanted[start:start + IN_CHUNK])))
        found.update((cccd, (citizen_id, ward)) for cccd, citizen_id, ward in rows)
    return found


def _existing(session: Session, source: str, external_ids: Sequence[str]) -> set[str]:
    """The external ids of this source already imported: most rows of a file sent again skip the INSERT."""
    found: set[str] = set()
    for start in range(0, len(external_ids), IN_CHUNK):
        found.update(session.execute(  # on the unique index (source, external_id)
            select(col(DigitalAttainment.external_id)).where(
                col(DigitalAttainment.source) == source,
                col(DigitalAttainment.external_id).in_(external_ids[start:start + IN_CHUNK]))).scalars())
    return found


def _write(session: Session, actor: Actor, new: list[dict[str, Any]]) -> int:
    """Create what is not there yet; return how many. The unique (source, external_id) decides in the database, so
    that two imports of one file at once still create each row once."""
    from ..states import create_many  # the state table imports the counters of this package

    moment = now()
    created = create_many(session, DigitalAttainment, [row | {"created_at": moment} for row in new], actor,
                          then=Event.VERIFY, detail={"source": new[0]["source"]}, then_detail={"channel": "import"},
                          also={"verified_by": actor.user_id, "verified_at": moment},
                          unique_by=("source", "external_id"))
    return len(created)
