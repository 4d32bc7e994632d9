"""Importing completions from a training platform at city scale, on PostgreSQL.

Usage: .venv/bin/python -m benchmarks.digital_import [--rows 100000] [--citizens 200000] [--unknown 0.01]

A fresh PostgreSQL database (created here, dropped at the end even on error), migrated and seeded, filled by the
synthetic city (workflows.synthetic.generate) with `--citizens` people. A CSV file of `--rows` completions
(cccd,completed_on,external_id,course) is written from random citizens of the city, a share `--unknown` of them with
a CCCD nobody has; then `flask digital import FILE --source …` runs as a separate process, as an operator runs it,
and is timed from start to exit (parse, checks, writes, counters, commit). The same file is imported a second time
(it must add nothing), and the holders' counters are checked against a recount.

One JSON line on stdout: `rows`, `imported`, `unknown_cccd`, `import_s` (target ≤ 60), `reimport_s`,
`reimported` (0), `check_clean` (true). Progress on stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

from benchmarks.scratch import log, postgres_database, seeded_app
from webapp.config import from_env
from workflows.clock import today
from workflows.db import session_scope
from workflows.digital import counters
from workflows.identity_seal import seal_of
from workflows.synthetic import generate

ROOT = Path(__file__).resolve().parent.parent
SOURCE = "Bình dân học vụ số"


def write_file(path: Path, cccds: list[str], rows: int, unknown: float, rng: random.Random) -> None:
    """A platform's export: one completion per row, most of them of citizens of the city."""
    start = date(today().year, 1, 1)
    span = max(1, (today() - start).days)
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write("cccd,completed_on,external_id,course\n")
        for i in range(rows):
            cccd = f"001{rng.randint(0, 3)}{rng.randint(0, 99):02d}{rng.randint(0, 999999):06d}" \
                if rng.random() < unknown else rng.choice(cccds)
            done = start + timedelta(days=rng.randrange(span))
            out.write(f"{cccd},{done.strftime('%d/%m/%Y')},BDHVS-{i:08d},Kỹ năng số cơ bản cho mọi người\n")


def run_import(env: dict[str, str], path: Path) -> tuple[float, str]:
    """`flask digital import` as an operator runs it; its wall time and its last line."""
    t0 = time.perf_counter()
    done = subprocess.run([str(Path(sys.executable).parent / "flask"), "--app", "webapp", "digital", "import",
                           str(path), "--source", SOURCE], cwd=ROOT, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if done.returncode != 0:
        raise SystemExit(f"import failed ({done.returncode}): {done.stderr[-2000:]}")
    return seconds, done.stdout.strip().splitlines()[-1]


def run(rows: int, citizens: int, unknown: float) -> dict[str, Any]:
    rng = random.Random(7)
    with tempfile.TemporaryDirectory(prefix="cdht_bench_") as tmp, postgres_database("digital") as url:
        env = dict(os.environ) | {"CDHT_INSTANCE_PATH": tmp, "DATABASE_URL": url,
                                  "CELERY_BROKER_URL": "filesystem://", "STORAGE_URL": str(Path(tmp) / "storage")}
        settings = from_env({k: env[k] for k in ("CDHT_INSTANCE_PATH", "DATABASE_URL", "CELERY_BROKER_URL")})
        _app, engine = seeded_app(settings)
        t0 = time.perf_counter()
        generate(engine, citizens=citizens, year=today().year, seed=1)
        log(f"city of {citizens} people in {time.perf_counter() - t0:.0f} s")
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM (ANALYZE) citizen"))
            unseal = seal_of(engine).unseal  # the query reads the column as stored
            cccds = [unseal(r[0]) for r in conn.execute(text("SELECT cccd FROM citizen"))]
        path = Path(tmp) / "completions.csv"
        write_file(path, cccds, rows, unknown, rng)
        log(f"{rows} rows written to {path.name} ({path.stat().st_size // 1024} KB)")
        import_s, line = run_import(env, path)
        log(f"first import in {import_s:.1f} s: {line}")
        reimport_s, again = run_import(env, path)
        log(f"second import in {reimport_s:.1f} s: {again}")
        figures = [int(n) for n in re.findall(r"(\d+) (?:rows|imported|already imported|unknown CCCD)", line)]
        reimported = int(re.findall(r"(\d+) imported", again)[0])
        with session_scope(engine) as session:
            clean = counters.check(session) == []
        engine.dispose()
    return {"benchmark": "digital_import", "engine": "postgresql", "citizens": citizens, "rows": figures[0],
            "imported": figures[1], "unknown_cccd": figures[3], "import_s": round(import_s, 1),
            "reimport_s": round(reimport_s, 1), "reimported": reimported, "check_clean": clean}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--citizens", type=int, default=200_000)
    parser.add_argument("--unknown", type=float, default=0.01, help="share of rows with a CCCD nobody has")
    args = parser.parse_args()
    print(json.dumps(run(args.rows, args.citizens, args.unknown)), flush=True)


if __name__ == "__main__":
    main()
