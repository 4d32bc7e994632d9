"""Versions of the criteria made by tests, and putting the seeded versions back afterwards (ADR 22)."""

import json
from typing import Any

from sqlalchemy import text
from sqlmodel import Session

from workflows import criteria
from workflows.actors import SYSTEM_ACTOR
from workflows.inputs import CriteriaSetInput, parse
from workflows.models import CriteriaSet

SEEDED_CODES = ("QD-244-KHVN-2022", "QD-324-KHVN-2023")


def qd_324(**changes: Any) -> dict[str, Any]:
    """The QĐ 324 file as a document, with changes (a test's own version)."""
    return json.loads((criteria.DATA / "qd-324-khvn-2023.json").read_text(encoding="utf-8")) | changes


def published_set(session: Session, **changes: Any) -> CriteriaSet:
    """Load a version (QĐ 324's content with the changes) and publish it, as the city would; committed."""
    cset, _new = criteria.load(session, SYSTEM_ACTOR, parse(CriteriaSetInput, qd_324(**changes)), "test")
    criteria.publish(session, SYSTEM_ACTOR, cset.code)
    session.commit()
    return cset


def remove_test_sets(session: Session) -> None:
    """Delete every version but the seeded ones, and the applications pinned to them (plain SQL: the domain never
    deletes a published version)."""
    session.rollback()
    mine = "SELECT id FROM criteriaset WHERE code NOT IN ('QD-244-KHVN-2022', 'QD-324-KHVN-2023')"
    apps = f"SELECT id FROM application WHERE criteria_set_id IN ({mine})"
    for statement in (f"DELETE FROM activity WHERE application_id IN ({apps})",
                      f"DELETE FROM application WHERE criteria_set_id IN ({mine})",
                      f"DELETE FROM indicator_wording WHERE criteria_set_id IN ({mine})",
                      f"DELETE FROM indicator WHERE criteria_set_id IN ({mine})",
                      f"DELETE FROM criteria_competence WHERE criteria_set_id IN ({mine})",
                      "DELETE FROM criteriaset WHERE code NOT IN ('QD-244-KHVN-2022', 'QD-324-KHVN-2023')"):
        session.execute(text(statement))
    session.commit()
