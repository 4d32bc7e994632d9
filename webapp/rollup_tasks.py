"""The nightly roll-up check (beat, ROLLUP_CHECK_AT): the recount `flask rollup check` runs, its result kept in the
audit trail for /metrics (`cdht_rollup_check_clean`, ADR 45). A minute of reading at the city's size, in a worker."""

import logging

from celery import shared_task

from workflows import rollup_check
from workflows.db import session_scope

from .runtime import runtime

log = logging.getLogger(f"cdht.{__name__}")  # one hierarchy: "cdht"


@shared_task(name="cdht.check_rollup")
def check_rollup() -> bool:
    """Recount, compare, record; True when every counter agreed."""
    with session_scope(runtime().engine) as session:
        report = rollup_check.run(session)
        rollup_check.record(session, report, "beat")
    if report.clean:
        log.info("roll-up check: every counter agrees")
    else:
        log.warning("roll-up check: %d counters differ (`flask rollup rebuild` recounts them)", report.differences)
    return report.clean
