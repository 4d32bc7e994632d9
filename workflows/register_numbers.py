"""Register numbers (số vào sổ) of certificates: a sequence per ward and year, kept in a row (ADR 24).

A decision takes all the numbers it needs in one statement, `INSERT … ON CONFLICT DO UPDATE SET last = last + n
RETURNING last`, in its own transaction. A second decision of the same ward signed at the same moment waits for the
first's row and then continues after the first's numbers: both succeed, with distinct numbers and no gap. A decision
that rolls back takes its numbers back with it, so the sequence never skips a number.
"""

from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from .clock import now
from .db import dialect_insert
from .models import Certificate, RegisterSequence
from .recount import differences, replace


def take(session: Session, ward_code: str, year: int, how_many: int) -> int:
    """Reserve `how_many` consecutive numbers for the ward and year; return the first of them (numbers start at 1)."""
    if how_many < 1:
        raise ValueError("a decision takes at least one number")
    stmt = dialect_insert(session, RegisterSequence).values(
        ward_code=ward_code, year=year, last=how_many, updated_at=now())
    stmt = stmt.on_conflict_do_update(
        index_elements=["ward_code", "year"],
        set_={"last": RegisterSequence.last + stmt.excluded.last, "updated_at": stmt.excluded.updated_at},
    ).returning(RegisterSequence.last)
    last = int(session.execute(stmt).scalar_one())
    return last - how_many + 1


def register_number(ward_code: str, year: int, seq: int) -> str:
    """The number printed on a certificate and in the decision's list, e.g. HN-00070-2026-000123."""
    return f"HN-{ward_code}-{year}-{seq:06d}"


def _counted() -> Any:
    """Certificates per ward and year: every number taken belongs to one certificate, so this is each `last`."""
    ward, year = col(Certificate.ward_code), col(Certificate.year)
    return select(ward, year, func.count()).group_by(ward, year)


def rebuild(session: Session) -> int:
    """Set every sequence from the certificates (after a bulk load); return the number of rows."""
    return replace(session, RegisterSequence, ["ward_code", "year", "last"], _counted())


def check(session: Session) -> list[tuple[Any, ...]]:
    """(ward, year, certificates, last number) wherever a sequence disagrees with the certificates; empty if none."""
    stored = select(col(RegisterSequence.ward_code), col(RegisterSequence.year), col(RegisterSequence.last))
    return differences(session, _counted(), stored)
