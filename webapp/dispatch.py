"""Enqueue work only after the transaction that earned it has committed; a failed send is swept up later."""

import logging
from collections.abc import Iterable

from flask import current_app

log = logging.getLogger(__name__)


def enqueue_renders(certificate_ids: Iterable[str]) -> int:
    """Send one render task per certificate; return how many were sent (the sweeper covers the rest)."""
    # The task bound to this app's own Celery instance (not the process-wide default), so each app's
    # settings (broker, eager mode in tests) apply.
    render_certificate = current_app.extensions["celery"].tasks["cdht.render_certificate"]
    sent = 0
    for certificate_id in certificate_ids:
        try:
            render_certificate.delay(certificate_id)
            sent += 1
        except Exception:  # noqa: BLE001 - the row is queued in the database; the sweeper will resend
            log.warning("broker unavailable; certificate %s left for the sweeper", certificate_id)
    return sent
