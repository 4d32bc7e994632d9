"""What the issuance bookkeeping costs per certificate, against the bare render → store → sign, on PostgreSQL.

Usage: .venv/bin/python -m benchmarks.bookkeeping [--n 200]

A fresh PostgreSQL database (created here, dropped at the end even on error), migrated and seeded; N approved
applications as direct rows and one decision over them (workflows.decisions.record_decision), so N certificates
are queued. Then, in this process and one certificate after the other, exactly what the render task does
(webapp.tasks.render_certificate): the claim (its own transaction: the read the render needs, one UPDATE and its
audit row), the bare work (render with the shared WeasyPrint renderer, store the file, hash and sign it), and the
completion (its own transaction: one UPDATE fenced by the claimed version and its audit row). Statements are
counted on the engine.

One JSON line on stdout: the median milliseconds of `claim_ms`, `complete_ms`, `bookkeeping_ms` (both) and
`render_store_sign_ms`, `bookkeeping_share` (bookkeeping ÷ the whole), and `statements_per_certificate`. Progress on
stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from alembic import command
from sqlalchemy import event
from sqlmodel import Session

import certificates
from benchmarks.issuance_throughput import approved_applications
from benchmarks.scratch import keyed_engine, log, postgres_database
from certificates import (
    CertificateData,
    FileStorage,
    generate_private_key_pem,
    key_id,
    public_key_pem,
    sign,
    signed_payload,
    storage_key,
)
from webapp.cli import alembic_config
from workflows import issuance
from workflows.clock import today
from workflows.decisions import record_decision
from workflows.inputs import DecisionInput, parse
from workflows.seed import seed_reference


def run(n: int) -> dict[str, Any]:
    year = today().year
    with tempfile.TemporaryDirectory(prefix="cdht_bench_") as tmp, postgres_database("bookkeeping") as url:
        with contextlib.redirect_stdout(sys.stderr):
            command.upgrade(alembic_config(url), "head")
        engine = keyed_engine(url)
        with Session(engine, expire_on_commit=False) as session:
            seed_reference(session)
            chair, ids = approved_applications(session, n, year)
            _decision, certs = record_decision(
                session, chair, parse(DecisionInput, {
                    "year": year, "number": "1/QĐ-UBND", "signed_on": today().isoformat(),
                    "signer_name": "Nguyễn Văn Thắng", "application_ids": ids}),
                new_code=certificates.new_code, verify_url=lambda code: f"https://cdht.example.vn/verify/{code}")
            session.commit()
            cert_ids = [c.id for c in certs]
        log(f"{len(cert_ids)} certificates queued")
        storage, private = FileStorage(Path(tmp) / "storage"), generate_private_key_pem()
        kid, renderer = key_id(public_key_pem(private)), certificates.default_renderer()
        statements: Counter[str] = Counter()
        event.listen(engine, "before_cursor_execute",
                     lambda *args: statements.update([args[2].split(None, 1)[0].upper()]))
        claim_ms, work_ms, complete_ms = [], [], []
        for i, cert_id in enumerate(cert_ids):
            t0 = time.perf_counter()
            with Session(engine, expire_on_commit=False) as session:
                claimed = issuance.claim(session, cert_id)
                assert claimed is not None
                session.commit()
            t1 = time.perf_counter()
            key = storage_key(claimed.year, claimed.ward_code, claimed.code)
            pdf = renderer.render(CertificateData.from_payload(claimed.snapshot))
            storage.put(key, pdf)
            sha256 = hashlib.sha256(pdf).hexdigest()
            signature = sign(private, signed_payload(claimed.snapshot, sha256))
            t2 = time.perf_counter()
            with Session(engine) as session:
                issuance.complete(session, session.merge(claimed, load=False), claimed_version=claimed.version,
                                  storage_key=key, sha256=sha256, signature=signature, key_id=kid)
                session.commit()
            t3 = time.perf_counter()
            if i:  # the first render loads fonts and styles: not the steady state
                claim_ms.append((t1 - t0) * 1000)
                work_ms.append((t2 - t1) * 1000)
                complete_ms.append((t3 - t2) * 1000)
        engine.dispose()
    claim, work, complete = (statistics.median(x) for x in (claim_ms, work_ms, complete_ms))
    log(f"claim {claim:.2f} ms, render+store+sign {work:.1f} ms, complete {complete:.2f} ms")
    return {
        "benchmark": "bookkeeping", "engine": "postgresql", "certificates": n,
        "claim_ms": round(claim, 2), "complete_ms": round(complete, 2), "bookkeeping_ms": round(claim + complete, 2),
        "render_store_sign_ms": round(work, 1),
        "bookkeeping_share": round((claim + complete) / (claim + complete + work), 4),
        "statements_per_certificate": {k: round(v / n, 2) for k, v in sorted(statements.items())},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="certificates to issue")
    args = parser.parse_args()
    print(json.dumps(run(args.n)), flush=True)


if __name__ == "__main__":
    main()
