"""Measure end-to-end certificate issuance through a real Celery worker, on the embedded and production runtimes.

Usage: .venv/bin/python -m benchmarks.issuance_throughput [--n 200] [--concurrency 2] [--runtime embedded|production]

Per runtime (default both): a fresh database, migrated and seeded (embedded: SQLite and the filesystem:// broker in a
temporary instance folder; production: a cdht_bench_<random> PostgreSQL database, dropped at the end even on error,
and Redis db 13); N approved applications in one ward as direct rows (this measures issuance, not review); a worker
started as deployed. Then one decision over all N (workflows.decisions.record_decision), committed, its render tasks
enqueued; issue_s runs from the commit until all N are issued (polled every 0.2 s). One JSON object on stdout,
progress on stderr; exit 1 unless all N are issued and every stored PDF matches its sha256.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from alembic import command  # noqa: E402
from sqlalchemy import create_engine, func, text  # noqa: E402
from sqlmodel import Session, select  # noqa: E402

from certificates import generate_private_key_pem, new_code  # noqa: E402
from webapp import create_app  # noqa: E402
from webapp.cli import alembic_config  # noqa: E402
from webapp.config import from_env  # noqa: E402
from webapp.dispatch import commit  # noqa: E402
from workflows import application_counters, names  # noqa: E402
from workflows.actors import WARD_CHAIR, WARD_REVIEWER, Actor  # noqa: E402
from workflows.clock import now, today  # noqa: E402
from workflows.criteria import current_set, indicator_codes  # noqa: E402
from workflows.db import session_scope  # noqa: E402
from workflows.decisions import record_decision  # noqa: E402
from workflows.inputs import DecisionInput, parse  # noqa: E402
from workflows.models import Application, Certificate, Citizen, User  # noqa: E402
from workflows.passwords import hash_password  # noqa: E402
from workflows.seed import seed_reference  # noqa: E402

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
REDIS_URL = "redis://127.0.0.1:6379/13"  # this benchmark's own db: 14 belongs to the tests
WARD = "00004"  # Phường Ba Đình
NAMES = ["Lê Hoàng Yến", "Nguyễn Thị Ể Ỗ Ậ Ữ ỵ", "Trần Đức Ấn", "Phạm Quỳnh Hương", "Đỗ Minh Khôi"]
POLL_S = 0.2


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@contextlib.contextmanager
def runtime_env(kind: str, instance: Path) -> Iterator[dict[str, str]]:
    """The environment variables a deployed process reads; production gets a database dropped afterwards."""
    env = {"CDHT_INSTANCE_PATH": str(instance), "STORAGE_URL": str(instance / "storage"),
           "SIGNING_KEY_PATH": str(instance / "signing_key.pem"), "SECRET_KEY": secrets.token_urlsafe(40),
           "PUBLIC_BASE_URL": "http://cdht.bench"}
    (instance / "signing_key.pem").write_bytes(generate_private_key_pem())  # before any process could race for it
    if kind == "embedded":
        yield {**env, "DATABASE_URL": f"sqlite:///{instance / 'cdht.db'}", "CELERY_BROKER_URL": "filesystem://"}
        return
    import redis

    name = f"cdht_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    broker = redis.Redis.from_url(REDIS_URL)
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    log(f"  created database {name}")
    try:
        broker.flushdb()  # db 13 only
        # Production refuses to start without a shared rate-limit store: the same Redis, another db.
        yield {**env, "CDHT_ENV": "production", "DATABASE_URL": f"{PG_SERVER}/{name}", "CELERY_BROKER_URL": REDIS_URL,
               "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/12"}
    finally:
        broker.flushdb()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
        log(f"  dropped database {name}")


def approved_applications(session: Session, n: int, year: int) -> tuple[Actor, list[str]]:
    """A ward chair and N approved applications of WARD as direct rows; one argon2 hash shared by every login."""
    password_hash = hash_password("bench-password-1")
    chair = User(username="bench-chair", password_hash=password_hash, role=WARD_CHAIR, ward_code=WARD)
    reviewer = User(username="bench-reviewer", password_hash=password_hash, role=WARD_REVIEWER, ward_code=WARD)
    criteria = current_set(session, "cdht", year)
    assert criteria is not None, "no criteria set seeded"
    scores = dict.fromkeys(indicator_codes(session, criteria), 9)
    users, citizens, apps = [chair, reviewer], [], []
    for i in range(n):
        cccd = f"001090{i + 1:06d}"  # born 1990, male: structurally valid
        name = NAMES[i % len(NAMES)]
        users.append(User(username=cccd, password_hash=password_hash, role="citizen", display_name=name))
        citizens.append(Citizen(user_id=users[-1].id, cccd=cccd, full_name=name, name_folded=names.fold(name),
                                date_of_birth=date(1990, 5, 17), sex="male", ward_code=WARD,
                                target_group="resident", consent_at=now(), consent_version="2026-01"))
        apps.append(Application(citizen_id=citizens[-1].id, ward_code=WARD, criteria_set_id=criteria.id,
                                title_type="cdht", year=year, target_group="resident", state="approved", version=3,
                                self_scores=scores, reviewer_scores=scores, total=90, reviewed_by=reviewer.id,
                                submitted_at=now(), reviewed_at=now()))
    for rows in (users, citizens, apps):  # no ORM relationships: flush table by table, in foreign-key order
        session.add_all(rows)
        session.flush()
    application_counters.move(session, [(WARD, year, "approved", n)])  # loaded without the domain: count them
    ids = [a.id for a in apps]
    return Actor(user_id=chair.id, role=WARD_CHAIR, ward_code=WARD), ids


def start_worker(env: dict[str, str], log_path: Path, concurrency: int) -> subprocess.Popen[bytes]:
    """Start the worker in its own process group, as deployed; return once it logs "ready."."""
    with log_path.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "worker", "worker", "--pool=prefork",
             f"--concurrency={concurrency}", "--loglevel=INFO", "--without-gossip", "--without-mingle",
             "-n", f"bench-{uuid.uuid4().hex[:6]}@%h"],
            cwd=ROOT, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 90
    # Ready, and each pool process has warmed its renderer (worker.py), as a long-running worker has.
    while b"ready." not in log_path.read_bytes() or log_path.read_bytes().count(b"renderer warm") < concurrency:
        if proc.poll() is not None or time.monotonic() > deadline:
            stop_worker(proc)
            raise RuntimeError("worker did not start:\n" + log_path.read_text())
        time.sleep(0.05)
    return proc


def stop_worker(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the worker's process group (a warm shutdown); SIGKILL it after 30 s."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)


def count(session: Session, decision_id: str, status: str) -> int:
    session.expire_all()
    return int(session.exec(select(func.count()).select_from(Certificate).where(
        Certificate.decision_id == decision_id, Certificate.status == status)).one())


def bench(kind: str, n: int, concurrency: int) -> tuple[dict[str, Any], bool]:
    """Issue N certificates on one runtime; return the timings and whether every PDF is issued and intact."""
    with tempfile.TemporaryDirectory(prefix="cdht_bench_") as tmp, runtime_env(kind, Path(tmp)) as env:
        settings = from_env(env)
        with contextlib.redirect_stdout(sys.stderr):  # stdout is for the JSON alone
            command.upgrade(alembic_config(settings.database_url), "head")
        app = create_app(settings)
        rt = app.extensions["cdht"]
        year = today().year
        with session_scope(rt.engine) as session:
            seed_reference(session)
        t0 = time.perf_counter()
        with session_scope(rt.engine) as session:
            chair, ids = approved_applications(session, n, year)
        log(f"  {n} approved applications in {time.perf_counter() - t0:.1f} s")
        t0 = time.perf_counter()
        worker = start_worker(env, Path(tmp) / "worker.log", concurrency)
        worker_start = time.perf_counter() - t0
        log(f"  worker ready in {worker_start:.1f} s")
        try:
            with Session(rt.engine, expire_on_commit=False) as session:
                data = {"year": year, "number": "1/QĐ-UBND", "signed_on": today().isoformat(),
                        "signer_name": "Nguyễn Văn Thắng", "application_ids": ids}
                decision, _certs = record_decision(session, chair, parse(DecisionInput, data), new_code=new_code,
                                                   verify_url=rt.verify_url)
                with app.app_context():
                    sent = commit(session)  # the one dispatcher: commit, then send the renders it earned
                committed, decision_id = time.perf_counter(), decision.id
                log(f"  decision committed, {sent} render tasks sent")
                first: float | None = None
                issued, deadline = 0, committed + 60 + 3 * n
                while issued < n and time.perf_counter() < deadline and worker.poll() is None:
                    time.sleep(POLL_S)
                    issued = count(session, decision_id, "issued")
                    if issued and first is None:
                        first = time.perf_counter() - committed
                elapsed = time.perf_counter() - committed
                failed = count(session, decision_id, "failed")
        finally:
            stop_worker(worker)
        log(f"  {issued}/{n} issued ({failed} failed) in {elapsed:.1f} s")
        intact = 0
        with Session(rt.engine) as session:
            for cert in session.exec(select(Certificate).where(Certificate.decision_id == decision_id)).all():
                if cert.status == "issued" and cert.storage_key:
                    intact += hashlib.sha256(rt.storage.get(cert.storage_key)).hexdigest() == cert.sha256
        rt.engine.dispose()
        ok = issued == n and intact == n
        if not ok:
            log(f"  FAILED: {issued} issued, {intact} intact of {n}; worker log tail:\n"
                + "\n".join((Path(tmp) / "worker.log").read_text().splitlines()[-30:]))
    return {"issue_s": round(elapsed, 2), "per_second": round(issued / elapsed, 2),
            "first_issued_s": round(first, 2) if first is not None else None,
            "worker_start_s": round(worker_start, 2)}, ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=200, help="approved applications in the decision (default 200)")
    parser.add_argument("--concurrency", type=int, default=2, help="worker pool processes (default 2)")
    parser.add_argument("--runtime", choices=("embedded", "production", "both"), default="both")
    args = parser.parse_args()
    if not 1 <= args.n <= 5000 or args.concurrency < 1:
        parser.error("--n must be 1..5000 (one decision's limit) and --concurrency at least 1")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so `finally` stops the worker and drops the database
    kinds = ("embedded", "production") if args.runtime == "both" else (args.runtime,)
    results: dict[str, dict[str, Any]] = {}
    ok = True
    for kind in kinds:
        log(f"{kind}: {args.n} certificates, concurrency {args.concurrency}")
        results[kind], good = bench(kind, args.n, args.concurrency)
        ok = ok and good
    print(json.dumps({"n": args.n, "concurrency": args.concurrency, "results": results,
                      "machine": {"cpus": os.cpu_count()}}))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
