"""What operators watch about issuance, read from the database at each scrape of /metrics (ADR 45): the same answer
from every web node, whichever worker did the work. Cheap at the city's size: certificates still waiting or failed
are few and read through the (status, queued_at) index; live ones come from the roll-up counters (ADR 10), a few
thousand rows, never from the millions of certificates."""

from sqlalchemy import func, select
from sqlmodel import Session, col

from .models import Certificate, RollupCounter
from .vocabulary import CertificateStatus

NOT_DONE = (CertificateStatus.QUEUED, CertificateStatus.RENDERING, CertificateStatus.FAILED)


def certificates_not_done(session: Session) -> dict[str, int]:
    """Certificates queued, being rendered and failed: {status: count}, every one of the three present."""
    found = dict.fromkeys((str(s) for s in NOT_DONE), 0)
    stmt = (select(col(Certificate.status), func.count())
            .where(col(Certificate.status).in_([str(s) for s in NOT_DONE])).group_by(col(Certificate.status)))
    for status, n in session.execute(stmt):
        found[status] = int(n)
    return found


def certificates_live(session: Session) -> int:
    """Live certificates (issued, not revoked or superseded) of every ward and year, from the roll-up counters."""
    return int(session.execute(select(func.coalesce(func.sum(col(RollupCounter.live)), 0))).scalar_one())
