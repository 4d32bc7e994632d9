"""The roll-up check (`flask rollup check`, and nightly by beat): recount what the counters hold and compare, then
keep the result in the audit trail, where /metrics reads the last one (`cdht_rollup_check_clean`, ADR 45).

The recount reads every certificate, application and digital record (a minute at the city's size, ADR 10): it runs
in a worker or a command, never in a request; a scrape reads only the last record.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from . import application_counters, holder_counters, register_numbers, rollup_counters
from .digital import counters as digital_counters
from .models import AuditEvent
from .vocabulary import Entity, Event, Role

SUBJECT = "rollup"  # the audit record's entity_id (entity "counters", event "check")


@dataclass
class Report:
    """Every difference found, by kind of counter, and how many counter rows agree."""

    live: list[Any] = field(default_factory=list)
    states: list[Any] = field(default_factory=list)
    digital: list[Any] = field(default_factory=list)
    broken: list[Any] = field(default_factory=list)
    numbers: list[Any] = field(default_factory=list)
    rows: tuple[int, int, int, int] = (0, 0, 0, 0)

    @property
    def differences(self) -> int:
        return len(self.live) + len(self.states) + len(self.digital) + len(self.broken) + len(self.numbers)

    @property
    def clean(self) -> bool:
        return self.differences == 0


@dataclass(frozen=True)
class LastCheck:
    """The last recorded check: clean or not, and when."""

    clean: bool
    at: datetime
    differences: int


def run(session: Session) -> Report:
    """Recount every counter and compare (reads only)."""
    return Report(live=rollup_counters.check(session), states=application_counters.check(session),
                  digital=digital_counters.check(session), broken=holder_counters.check(session),
                  numbers=register_numbers.check(session),
                  rows=(rollup_counters.rows(session), application_counters.rows(session),
                        digital_counters.rows(session), holder_counters.rows(session)))


def record(session: Session, report: Report, operator: str) -> None:
    """Keep the check's result in the audit trail (in the session's transaction), naming who ran it."""
    session.add(AuditEvent(actor_id=None, actor_role=Role.SYSTEM.value, entity_type=Entity.COUNTERS.value,
                           entity_id=SUBJECT, event=Event.CHECK.value,
                           detail={"operator": operator, "clean": report.clean,
                                   "differences": report.differences}))


def last(session: Session) -> LastCheck | None:
    """The last recorded check, or None before the first (one indexed read: entity_id, newest first)."""
    row = session.exec(select(AuditEvent).where(col(AuditEvent.entity_id) == SUBJECT)
                       .where(col(AuditEvent.entity_type) == Entity.COUNTERS.value)
                       .order_by(col(AuditEvent.id).desc()).limit(1)).first()
    if row is None or "clean" not in row.detail:
        return None
    return LastCheck(clean=bool(row.detail["clean"]), at=row.at, differences=int(row.detail.get("differences", 0)))
