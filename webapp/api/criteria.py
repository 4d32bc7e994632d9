"""The published criteria sets, for anyone (the contract's GET /api/v1/criteria; ADR 22)."""

from typing import Any

from flask import jsonify
from flask.typing import ResponseReturnValue

from workflows import criteria
from workflows.vocabulary import CriteriaSetState, TargetGroup

from ..database import db
from . import bp

# The contract's names for the wording of QĐ 324/QĐ-KHVN's four target groups.
GROUP_KEYS = {TargetGroup.RESIDENT: "residents", TargetGroup.WORKER: "workers", TargetGroup.STAFF: "staff",
              TargetGroup.LEARNER: "students"}


def version_json(version: criteria.Version) -> dict[str, Any]:
    """One published version as the contract shapes it, with its wording in Vietnamese (`text`) and English."""
    c = version.cset
    worded = {g: {w.code: w for w in version.worded(g.value)} for g in TargetGroup}
    return {
        "id": c.id, "code": c.code, "name": c.name, "title_type": c.title_type, "version": c.code,
        "source_document": c.source_document, "valid_from": c.valid_from_year, "min_score": c.min_score,
        "max_score": c.max_score, "pass_total": c.pass_total, "pass_each": c.pass_min_indicator,
        "competences": [{
            "code": k.code, "name": k.name_vi, "name_en": k.name_en,
            "indicators": [{"code": i.code, "max": c.max_score,
                            "text": {GROUP_KEYS[g]: worded[g][i.code].text_vi for g in TargetGroup},
                            "text_en": {GROUP_KEYS[g]: worded[g][i.code].text_en for g in TargetGroup}}
                           for i in version.indicators if i.competence == k.code]}
            for k in version.competences],
    }


@bp.get("/criteria")
def criteria_sets() -> ResponseReturnValue:
    """Every published criteria set, newest first within a title (drafts are never shown)."""
    session = db()
    items = [version_json(criteria.published(session, c.id)) for c in criteria.all_sets(session)
             if c.state == CriteriaSetState.PUBLISHED]
    return jsonify({"items": items})
