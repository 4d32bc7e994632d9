"""Who may see what: every staff query is filtered by ward; anything else is 'not found'."""

from collections.abc import Sequence

from sqlmodel import Session

from .actors import Actor
from .db import by_ids
from .errors import NotFound
from .models import Application, Certificate
from .vocabulary import ApplicationState, Role


def can_see(actor: Actor, ward_code: str, citizen_id: str) -> bool:
    """Owner, the ward's own staff, or a city administrator."""
    if actor.role == Role.CITY_ADMIN:
        return True
    if actor.is_ward_staff and actor.ward_code == ward_code:
        return True
    return actor.citizen_id is not None and actor.citizen_id == citizen_id


def in_scope(actor: Actor, hamlet_code: str | None) -> bool:
    """Whether an application of this tổ dân phố / thôn is within a reviewer's part of the ward (ADR 26): every one
    for the whole ward, only their own for a reviewer of some; anyone else is judged by can_see alone."""
    return actor.hamlets is None or not actor.is_ward_staff or hamlet_code in actor.hamlets


def may_see_application(actor: Actor, app: Application) -> bool:
    """The owner; anyone else only once the citizen has submitted it (a draft and its evidence are the citizen's
    own until then): a city administrator, or the ward's staff whose part of the ward it is in."""
    if actor.citizen_id is not None and actor.citizen_id == app.citizen_id:
        return True
    if app.state == ApplicationState.DRAFT:  # never submitted (a returned one was, and stays the ward's to see)
        return False
    return can_see(actor, app.ward_code, app.citizen_id) and in_scope(actor, app.hamlet_code)


def visible_application(session: Session, actor: Actor, application_id: str) -> Application:
    """Load an application the actor may see, or raise NotFound."""
    app = session.get(Application, application_id)
    if app is None or not may_see_application(actor, app):
        raise NotFound()
    return app


def visible_applications(session: Session, actor: Actor, ids: Sequence[str]) -> list[Application]:
    """Load many applications in a few queries, in the order asked; NotFound if any is missing or not visible."""
    found = by_ids(session, Application, ids)
    apps = [found.get(i) for i in ids]
    if any(a is None or not may_see_application(actor, a) for a in apps):
        raise NotFound()
    return [a for a in apps if a is not None]


def visible_certificate(session: Session, actor: Actor, cert: Certificate | None) -> Certificate:
    """Return the certificate if the actor may see it, else raise NotFound."""
    if cert is None or not can_see(actor, cert.ward_code, cert.citizen_id):
        raise NotFound()
    return cert
