"""What happened to an application, as its citizen follows it: the steps of its audit trail that a person cares
about (opened, submitted, returned with the reviewer's words, proposed, recognised, certificate issued), oldest
first. Read in one statement on the audit trail's entity index; activity edits and issuance's own steps are left
out."""

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from .models import Application, AuditEvent, Certificate
from .vocabulary import N_, Entity, Event

# What the citizen reads for each step shown, in the past tense (the vocabulary's labels name the actions).
SHOWN: dict[tuple[str, str], str] = {
    (Entity.APPLICATION, Event.CREATE): N_("Application opened"),
    (Entity.APPLICATION, Event.SUBMIT): N_("Application submitted"),
    (Entity.APPLICATION, Event.RETURN): N_("Returned to you for more evidence"),
    (Entity.APPLICATION, Event.APPROVE): N_("Proposed for recognition by the ward or commune"),
    (Entity.APPLICATION, Event.REJECT): N_("Not proposed for recognition"),
    (Entity.APPLICATION, Event.RECOGNISE): N_("Recognised by the decision of the ward or commune"),
    (Entity.CERTIFICATE, Event.COMPLETE): N_("Certificate of recognition issued"),
    (Entity.CERTIFICATE, Event.REVOKE): N_("Certificate of recognition revoked"),
    (Entity.CERTIFICATE, Event.SUPERSEDE): N_("Certificate replaced by a corrected one"),
}


@dataclass(frozen=True)
class Step:
    """One event of the timeline; `comment` is what the reviewer (or the revocation) said, when anything."""

    at: datetime
    label: str  # English: the page translates it
    comment: str | None


def timeline(session: Session, app: Application) -> list[Step]:
    """The application's steps and its certificates', oldest first."""
    certificates = list(session.exec(select(Certificate.id).where(Certificate.application_id == app.id)))
    a = AuditEvent
    rows = session.exec(select(a.at, a.entity_type, a.event, a.detail)
                        .where(col(a.entity_id).in_([app.id, *certificates])).order_by(col(a.id))).all()
    steps = []
    for at, entity_type, event, detail in rows:
        label = SHOWN.get((entity_type, event))
        if label is not None:
            comment = (detail or {}).get("comment") or (detail or {}).get("reason") or None
            steps.append(Step(at=at, label=label, comment=comment))
    return steps
