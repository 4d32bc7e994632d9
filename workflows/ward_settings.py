"""A ward's own settings that a city administrator keeps: who issues its papers and how they are signed
(workflows.signers). Each change is audited; a decision already recorded keeps the signer it was recorded with (its
snapshot), so a change reaches only the decisions and certificates made after it."""

from dataclasses import dataclass

from sqlmodel import Session

from .actors import Actor
from .clock import now
from .errors import Forbidden, NotFound
from .models import AuditEvent, Ward
from .names import normalise
from .signers import Signer, SigningMode, signer_from
from .validation import FieldErrors
from .vocabulary import Entity, Event, Role

ISSUER_MAX, TITLE_MAX = 120, 60
MODES = tuple(m.value for m in SigningMode)


@dataclass(frozen=True)
class Papers:
    """What a city administrator sets for a ward's papers; blank texts mean the defaults drawn from its name."""

    issuer_name: str = ""
    signing_mode: str = SigningMode.ON_BEHALF.value
    signer_title: str = ""


def papers_of(ward: Ward) -> Papers:
    return Papers(ward.issuer_name or "", ward.signing_mode, ward.signer_title or "")


def preview(ward: Ward, papers: Papers) -> Signer:
    """The heading and signature block the ward's next papers would print with these settings."""
    return signer_from(ward.name, ward.division_type, issuer_name=papers.issuer_name or None,
                       signing_mode=papers.signing_mode, signer_title=papers.signer_title or None)


def set_papers(session: Session, actor: Actor, code: str, papers: Papers) -> tuple[Ward, bool]:
    """Keep a ward's settings for its papers; returns the ward and whether anything changed. Invalid names each
    bad field; an unknown ward is NotFound."""
    if actor.role not in (Role.CITY_ADMIN, Role.SYSTEM):
        raise Forbidden("role_not_allowed")
    ward = session.get(Ward, code)
    if ward is None:
        raise NotFound()
    errors = FieldErrors()  # NFC, stripped, within the column's length: the limit named in the message
    data = {"issuer_name": normalise(papers.issuer_name).upper(), "signing_mode": papers.signing_mode,
            "signer_title": normalise(papers.signer_title).upper()}
    issuer = errors.text(data, "issuer_name", ISSUER_MAX, required=False)
    errors.choice(data, "signing_mode", MODES)
    title = errors.text(data, "signer_title", TITLE_MAX, required=False)
    if errors:
        raise errors.invalid()
    wanted = {"issuer_name": issuer or None, "signing_mode": papers.signing_mode, "signer_title": title or None}
    changed = {field: {"from": getattr(ward, field), "to": value}
               for field, value in wanted.items() if getattr(ward, field) != value}
    if not changed:
        return ward, False
    for field, value in wanted.items():
        setattr(ward, field, value)
    session.add(ward)
    session.add(AuditEvent(at=now(), actor_id=actor.user_id, actor_role=actor.role.value, entity_type=Entity.WARD.value,
                           entity_id=ward.code, event=Event.CHANGE.value, detail=changed))
    session.flush()
    return ward, True
