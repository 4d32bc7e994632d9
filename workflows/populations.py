"""Population figures, the roll-up's denominators: imported per ward, year and denominator mode from CSV files, each
with its source (no official per-ward figures exist for the new units: they come from the city's statistics office).

All or nothing: every row is checked before anything is written, and a bad row names its number and reason. The
newest import wins: a figure it changes is replaced, and the replaced one is kept in `population_revision` with the
import that replaced it, so that what a past report used can always be explained. One import row and one audit row
record who imported what.
"""

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from . import csv_files
from .actors import Actor
from .clock import now
from .errors import Forbidden, Invalid
from .models import AuditEvent, Population, PopulationImport, PopulationRevision, Ward
from .vocabulary import PEOPLE_MODES, DenominatorMode, Entity, Event, Role

HEADER = ("ward_code", "year", "mode", "population")
MAX_ROWS = 20_000  # 126 wards × a few years × the modes
MAX_POPULATION = 2_000_000  # no commune-level unit of Hà Nội comes near it
YEARS = (2020, 2100)


@dataclass(frozen=True)
class Row:
    """One checked row of a population file."""

    number: int
    ward_code: str
    year: int
    mode: DenominatorMode
    population: int


@dataclass
class Report:
    """What an import did (or, in a dry run, would do)."""

    rows: int = 0
    imported: int = 0  # figures new or changed
    unchanged: int = 0
    replaced: int = 0  # of the imported, those that replaced an earlier figure (kept in the history)
    import_id: str | None = None
    dry_run: bool = False

    def as_json(self) -> dict[str, Any]:
        """The API's answer."""
        return {"rows": self.rows, "imported": self.imported, "unchanged": self.unchanged, "replaced": self.replaced,
                "import_id": self.import_id, "dry_run": self.dry_run}


def _whole(text: str, low: int, high: int) -> int | None:
    digits = text.replace(".", "").replace(",", "").replace(" ", "")  # "12.345" as a spreadsheet may write it
    if not digits.isascii() or not digits.isdigit():
        return None
    value = int(digits)
    return value if low <= value <= high else None


def parse(data: bytes, wards: set[str]) -> list[Row]:
    """Read and check a CSV file (UTF-8, header ward_code,year,mode,population) against the known ward codes;
    Invalid naming every bad row as `row.N` (the header being row 1), or the file itself as `file`."""
    errors: dict[str, str] = {}
    rows: list[Row] = []
    seen: dict[tuple[str, int, str], Row] = {}
    for number, record in csv_files.records(data, HEADER, MAX_ROWS, errors):
        key = f"row.{number}"
        ward_code, raw_year, raw_mode, raw_population = record
        ward_code = ward_code.zfill(5) if ward_code.isdigit() else ward_code  # a spreadsheet drops leading zeros
        year = _whole(raw_year, *YEARS) if len(raw_year) == 4 else None
        population = _whole(raw_population, 0, MAX_POPULATION)
        if ward_code not in wards:
            errors[key] = "unknown_ward"
        elif year is None:
            errors[key] = "year_out_of_range"
        elif raw_mode not in PEOPLE_MODES:
            errors[key] = "unknown_mode"
        elif population is None:
            errors[key] = "population_out_of_range"
        elif (ward_code, year, raw_mode) in seen:
            errors[key] = "population_repeated"  # the same ward, year and mode twice: which figure is right?
        else:
            row = Row(number, ward_code, year, DenominatorMode(raw_mode), population)
            seen[(ward_code, year, raw_mode)] = row
            rows.append(row)
    if errors:
        raise Invalid(fields=errors)
    if not rows:
        raise Invalid(fields={"file": "no_rows"})
    return rows


def authorise(actor: Actor) -> None:
    """Only a city administrator (or the system) imports denominators."""
    if actor.role not in (Role.CITY_ADMIN, Role.SYSTEM):
        raise Forbidden("role_not_allowed")


def known_wards(session: Session) -> set[str]:
    """Every ward code a file may name."""
    return set(session.exec(select(Ward.code)).all())


def import_populations(session: Session, actor: Actor, rows: list[Row], source: str, *, file_name: str = "",
                       dry_run: bool = False) -> Report:
    """Write the figures (the caller commits, or rolls back for a dry run): new ones added, changed ones replaced
    with the old kept as a revision, unchanged ones left as they are."""
    authorise(actor)
    source = " ".join(source.split())
    if not source:
        raise Invalid(fields={"source": "required"})
    if len(source) > 200:
        raise Invalid(fields={"source": "too_long"})
    report = Report(rows=len(rows), dry_run=dry_run)
    years = sorted({r.year for r in rows})
    current = {(p.ward_code, p.year, p.mode): p for p in session.exec(
        select(Population).where(col(Population.year).in_(years)))}
    batch = PopulationImport(source=source, file_name=file_name[:200], rows=len(rows), changed=0,
                             imported_by=actor.user_id)
    session.add(batch)
    session.flush()
    moment = now()
    for row in rows:
        old = current.get((row.ward_code, row.year, row.mode.value))
        if old is not None and old.population == row.population and old.source == source:
            report.unchanged += 1
            continue
        report.imported += 1
        if old is None:
            session.add(Population(ward_code=row.ward_code, year=row.year, mode=row.mode.value,
                                   population=row.population, source=source, import_id=batch.id))
            continue
        report.replaced += 1
        session.add(PopulationRevision(ward_code=old.ward_code, year=old.year, mode=old.mode,
                                       population=old.population, source=old.source, import_id=old.import_id,
                                       replaced_by=batch.id, replaced_at=moment))
        old.population, old.source, old.import_id = row.population, source, batch.id
    batch.changed = report.imported
    session.add(AuditEvent(at=moment, actor_id=actor.user_id, actor_role=actor.role.value,
                           entity_type=Entity.POPULATION.value, entity_id=batch.id, event=Event.IMPORT.value,
                           from_state=None, to_state=None,
                           detail={"source": source, "rows": report.rows, "imported": report.imported,
                                   "replaced": report.replaced, "years": years}))
    session.flush()
    report.import_id = None if dry_run else batch.id
    return report


def history(session: Session, limit: int = 20) -> list[PopulationImport]:
    """The newest imports first."""
    return list(session.exec(select(PopulationImport).order_by(col(PopulationImport.imported_at).desc())
                             .limit(limit)))
