"""`GET /metrics` for Prometheus, behind a bearer token (METRICS_TOKEN; none configured: 404, a wrong one: 404 too,
so a stranger cannot tell the page exists), and the figures read at each scrape, never per request (ADR 45): the
broker queue's depth, certificates waiting and failed, live certificates, and the last roll-up check."""

import logging
from collections.abc import Iterator
from typing import Any

from flask import Blueprint, Response, abort, request
from flask.typing import ResponseReturnValue
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlmodel import Session

from workflows import operations, rollup_check

from . import queue_depth
from .metrics import CONTENT_TYPE, authorised, exposition
from .runtime import Runtime, runtime

log = logging.getLogger(f"cdht.{__name__}")  # one hierarchy: "cdht"
bp = Blueprint("metrics", __name__)


class ScrapeFigures(Collector):
    """Figures read when Prometheus asks: the same on every web node, whichever worker did the work."""

    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    def collect(self) -> Iterator[Any]:
        yield from self._queue()
        yield from self._database()

    def _queue(self) -> Iterator[Any]:
        readable = GaugeMetricFamily("cdht_broker_queue_readable", "1 when the broker answered the queue's depth")
        try:
            waiting = queue_depth.depth(self.rt.settings)
        except Exception as exc:  # noqa: BLE001 - any failure of the broker: reported, the scrape goes on
            log.warning("queue depth unknown: %s", type(exc).__name__)
            readable.add_metric([], 0)
            yield readable
            return
        readable.add_metric([], 1)
        yield readable
        depth = GaugeMetricFamily("cdht_broker_queue_messages", "Messages waiting in the broker's queue",
                                  labels=["queue"])
        depth.add_metric([queue_depth.QUEUE], waiting)
        yield depth

    def _database(self) -> Iterator[Any]:
        try:
            with Session(self.rt.engine) as session:
                not_done = operations.certificates_not_done(session)
                live = operations.certificates_live(session)
                last = rollup_check.last(session)
        except Exception as exc:  # noqa: BLE001 - the database down: the scrape still answers the rest
            log.warning("database figures unknown: %s", type(exc).__name__)
            return
        waiting = GaugeMetricFamily("cdht_certificates", "Certificates not issued yet: queued, being rendered, "
                                    "failed", labels=["status"])
        for status, n in not_done.items():
            waiting.add_metric([status], n)
        yield waiting
        yield GaugeMetricFamily("cdht_certificates_live", "Live certificates (issued, neither revoked nor "
                                "superseded), from the roll-up counters", value=live)
        if last is not None:
            yield GaugeMetricFamily("cdht_rollup_check_clean", "1 when the last roll-up check found every counter "
                                    "right, 0 when it found differences", value=1 if last.clean else 0)
            yield GaugeMetricFamily("cdht_rollup_check_timestamp_seconds", "When the last roll-up check ran (Unix "
                                    "time)", value=last.at.timestamp())


@bp.get("/metrics")
def metrics() -> ResponseReturnValue:
    """The exposition, for a caller with the token; 404 for anyone else (no token configured, or a wrong one)."""
    rt = runtime()
    if not authorised(request.headers.get("Authorization"), rt.settings.metrics_token):
        abort(404)
    return Response(exposition(ScrapeFigures(rt)), content_type=CONTENT_TYPE,
                    headers={"Cache-Control": "no-store"})
