"""What counting and timing a request costs (webapp.metrics, webapp.request_id; ADR 45): the same GET /healthz through
Flask's test client, with the app's hooks and with those two modules' hooks taken out, alternately, many times.

Usage: .venv/bin/python -m benchmarks.metrics_overhead [--n 5000] [--rounds 5] [--multiprocess]

`--multiprocess` sets PROMETHEUS_MULTIPROC_DIR (a temporary folder) first, as gunicorn does: each increment then
writes to a memory-mapped file. Prints one JSON object: the median µs a request with and without, and the difference.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time


def _hooks_us(n: int) -> float:
    """The hooks' own work, without the request around it (the difference above is within the machine's noise):
    a request id made, a counter and a histogram moved."""
    from webapp.metrics import HTTP_LATENCY, HTTP_REQUESTS
    from webapp.request_id import new_id, request_id

    started = time.perf_counter()
    for _ in range(n):
        request_id.set(new_id())
        t0 = time.perf_counter()
        HTTP_REQUESTS.labels("/healthz", "GET", "200").inc()
        HTTP_LATENCY.labels("/healthz").observe(time.perf_counter() - t0)
    return (time.perf_counter() - started) / n * 1e6


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--multiprocess", action="store_true")
    args = parser.parse_args()
    instance = tempfile.mkdtemp(prefix="cdht-metrics-bench-")
    if args.multiprocess:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="cdht-prom-")
    from webapp import create_app
    from webapp.config import from_env

    settings = from_env({"CDHT_INSTANCE_PATH": instance})
    with_hooks = create_app(settings)
    without = create_app(settings)
    for hooks in (without.before_request_funcs, without.after_request_funcs, without.teardown_request_funcs):
        hooks[None] = [f for f in hooks.get(None, []) if f.__module__ not in ("webapp.metrics", "webapp.request_id")]
    clients = {"with": with_hooks.test_client(), "without": without.test_client()}
    for client in clients.values():  # warm: first requests build caches
        for _ in range(200):
            client.get("/healthz")
    timings: dict[str, list[float]] = {"with": [], "without": []}
    for _ in range(args.rounds):
        for name, client in clients.items():
            started = time.perf_counter()
            for _ in range(args.n):
                client.get("/healthz")
            timings[name].append((time.perf_counter() - started) / args.n * 1e6)
    with_us, without_us = statistics.median(timings["with"]), statistics.median(timings["without"])
    print(json.dumps({"requests": args.n * args.rounds, "multiprocess": args.multiprocess,
                      "with_us": round(with_us, 1), "without_us": round(without_us, 1),
                      "overhead_us": round(with_us - without_us, 1), "hooks_us": round(_hooks_us(args.n * 10), 2)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
