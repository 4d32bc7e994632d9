"""Prometheus metrics (ADR 45): what each web request and each worker's task adds, and how a scrape reads them.

Requests are counted by route (the URL rule, `/verify/<code>`, never the path: no id or token in a label) and status,
and timed by route. A request pays two label look-ups and two increments of a shared-memory value (a few
microseconds: benchmarks.metrics_overhead). gunicorn runs several processes: with `PROMETHEUS_MULTIPROC_DIR` set
(gunicorn.conf.py sets it and empties it at start) each process writes its own file there and a scrape sums them.

Workers count the certificates they issue, fail and sweep in their own process; a worker node serves its processes'
sum on `WORKER_METRICS_PORT` (webapp.worker_metrics). Those counters say what one node did since it started; the
totals every node agrees on come from the database at scrape (webapp.scrape).
"""

import hashlib
import hmac
import os
import time
from collections.abc import Iterable
from typing import Any

from flask import Flask, Response, request
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_STARTED = "cdht.metrics.started"
UNMATCHED = "unmatched"  # the route label of a request no rule matched (a 404): never its path

HTTP_REQUESTS = Counter("cdht_http_requests", "HTTP requests answered, by route (the URL rule), method and status",
                        ["route", "method", "status"])
HTTP_LATENCY = Histogram("cdht_http_request_duration_seconds", "Time to answer a request, by route", ["route"],
                         buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0))
CERTIFICATES_ISSUED = Counter("cdht_certificates_issued", "Certificates this worker node issued")
CERTIFICATES_FAILED = Counter("cdht_certificates_failed", "Certificate renders this worker node gave back (retried "
                              "later, or failed for good after the last attempt)")
CERTIFICATES_SWEPT = Counter("cdht_certificates_swept", "Certificates this node's sweeper sent again")


def init_app(app: Flask) -> None:
    """Time and count every request (registered first, so that every later hook's answer is counted too)."""

    @app.before_request
    def _start() -> None:
        request.environ[_STARTED] = time.perf_counter()

    @app.after_request
    def _count(response: Response) -> Response:
        rule = request.url_rule
        route = rule.rule if rule is not None else UNMATCHED
        HTTP_REQUESTS.labels(route, request.method, str(response.status_code)).inc()
        started = request.environ.get(_STARTED)
        if started is not None:
            HTTP_LATENCY.labels(route).observe(time.perf_counter() - started)
        return response


def multiprocess_dir() -> str | None:
    """The folder processes share their values in, when prometheus_client runs in multiprocess mode."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


class _ThisProcess(Collector):
    """The default registry's metrics, for a single process (no PROMETHEUS_MULTIPROC_DIR)."""

    def collect(self) -> Iterable[Any]:
        return REGISTRY.collect()


def exposition(*more: Collector) -> bytes:
    """The text a scrape gets: every process's counters and histograms (summed over the multiprocess folder, or this
    process's), then the given collectors' figures."""
    registry = CollectorRegistry(auto_describe=False)
    folder = multiprocess_dir()
    if folder:
        MultiProcessCollector(registry, path=folder)  # type: ignore[no-untyped-call]
    else:
        registry.register(_ThisProcess())
    for collector in more:
        registry.register(collector)
    return generate_latest(registry)


def authorised(header: str | None, token: str) -> bool:
    """True when `header` is `Bearer <token>`; compared as digests, in constant time whatever the lengths."""
    if not token or not header or not header.startswith("Bearer "):
        return False
    given = hashlib.sha256(header[len("Bearer "):].encode()).digest()
    return hmac.compare_digest(given, hashlib.sha256(token.encode()).digest())
