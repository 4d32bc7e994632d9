"""Generate the synthetic city on PostgreSQL and time it (workflows.synthetic.generate).

Usage: .venv/bin/python -m benchmarks.city [--citizens 8700000] [--backlog 00004:100000] [--year 2026] [--seed 1]

A fresh cdht_bench_city_<random> database on 127.0.0.1:5432 (dropped at the end, also on error or SIGTERM), migrated
to head and seeded with the reference data; then generate() with a progress line on stderr every 5 %. Prints one
JSON line on stdout: citizens, applications, certificates, generate_s (target ≤ 600 s at 8.7 M on the 2-core
reference machine), rows per table, seconds per phase, peak RSS of this process (MB) and the database's size.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import signal
import sys
import time
from pathlib import Path

# Run as a file, the script's own folder comes first on sys.path, where benchmarks/queue.py would shadow the standard
# library's queue module: put the repository root there instead.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

from alembic import command  # noqa: E402
from sqlalchemy import text  # noqa: E402

from benchmarks.scratch import keyed_engine, log, postgres_database  # noqa: E402
from webapp.cli import alembic_config  # noqa: E402
from workflows.clock import today  # noqa: E402
from workflows.db import session_scope  # noqa: E402
from workflows.seed import seed_reference  # noqa: E402
from workflows.synthetic import generate  # noqa: E402


def fresh_database() -> contextlib.AbstractContextManager[str]:
    """A PostgreSQL database of this run's own, dropped afterwards."""
    return postgres_database("city")


def backlog_arg(value: str) -> tuple[str, int]:
    ward, _, count = value.partition(":")
    if len(ward) != 5 or not ward.isdigit() or not count.isdigit():
        raise argparse.ArgumentTypeError("expected WARD:N, e.g. 00004:100000")
    return ward, int(count)


class Progress:
    """Log every 5 % of the people loaded, with the rate so far."""

    def __init__(self, total: int) -> None:
        self.total, self.done, self.next, self.t0 = total, 0, 0.05, time.perf_counter()

    def __call__(self, people: int) -> None:
        self.done += people
        if self.total and self.done / self.total >= self.next:
            rate = self.done / (time.perf_counter() - self.t0)
            log(f"  {self.done:>10,} of {self.total:,} people ({self.done / self.total:4.0%}), {rate:,.0f}/s")
            self.next += 0.05


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--citizens", type=int, default=1_000_000)
    parser.add_argument("--backlog", type=backlog_arg, action="append", default=[], metavar="WARD:N")
    parser.add_argument("--year", type=int, default=today().year)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so `finally` drops the database
    backlog = dict(args.backlog)
    with contextlib.redirect_stdout(sys.stderr), fresh_database() as url:  # stdout carries the JSON line alone
        t0 = time.perf_counter()
        command.upgrade(alembic_config(url), "head")
        engine = keyed_engine(url)
        try:
            with session_scope(engine) as session:
                seed_reference(session)
            log(f"migrated and seeded in {time.perf_counter() - t0:.1f} s; generating {args.citizens:,} citizens")
            report = generate(engine, citizens=args.citizens, year=args.year, seed=args.seed, backlog=backlog,
                              progress=Progress(args.citizens + sum(backlog.values())))
            with engine.connect() as conn:
                size = conn.execute(text("SELECT pg_database_size(current_database())")).scalar_one()
        finally:
            engine.dispose()
    log(f"generated in {report.seconds['total']:.1f} s: {report.seconds}")
    print(json.dumps({
        "citizens": report.citizens, "adults": report.adults, "applications": report.applications,
        "certificates": report.certificates, "live_certificates": report.live_certificates,
        "live_share_of_adults": round(report.live_certificates / max(report.adults, 1), 4),
        "decisions": report.decisions, "generate_s": report.seconds["total"], "rows": report.rows,
        "states": report.states, "seconds": report.seconds,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "database_mb": round(size / 2**20), "backlog": backlog, "year": args.year, "seed": args.seed,
        "machine": {"cpus": os.cpu_count()},
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
