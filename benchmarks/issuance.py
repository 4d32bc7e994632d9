"""Issuance end to end against rendering in-process, and rendering against a bare reportlab drawing (issue 10).

Usage: .venv/bin/python -m benchmarks.issuance [--n 500] [--concurrency 2] [--memory-after 1000]

Prints one JSON line:
- `inprocess_per_s`: what the workers do for a decision of N (per certificate: seal the offline payload, render the
  PDF/A-3b, store it with fsync, hash and sign it; once: render the decision document with its list of N), in
  `concurrency` processes of this machine with nothing else: no database, no broker; N ÷ the time.
- `redis_per_s`, `embedded_per_s`: the same N certificates issued through a real worker pool of `concurrency`
  processes (PostgreSQL + Redis; SQLite + the filesystem transport), from the decision's commit until all N are
  issued; `redis_ratio`, `embedded_ratio` their share of the in-process rate measured just before and just after
  each (targets ≥ 0.85 and ≥ 0.75): the in-process rate is measured three times (`inprocess_runs`), since the
  machine's speed drifts.
- `render_ms_p50`, `render_ms_p95`: one sealed certificate rendered by the shared renderer (QR code included);
  `floor_ms`: the median of the same page drawn with reportlab's canvas, the same fonts (bundled Noto Serif, subset),
  the same QR code image and texts; `render_to_floor` = `render_ms_p50 / floor_ms` (target ≤ 3).
- `pdf_kb_median`: sealed certificate PDFs (target < 60).
- `worker_peak_mb`: the highest resident memory (VmHWM) of any process of the Redis worker after it issued
  `--memory-after` certificates (target < 250); `worker_replaced`: pool processes Celery replaced meanwhile for
  passing WORKER_MAX_MEMORY_MB (their peak left with them: a figure to read with it).
Progress goes to stderr; exit 1 if a run did not issue every certificate (its stored PDF matching its SHA-256) and
store the decision document.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import io
import json
import multiprocessing
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks import issuance_throughput as run  # noqa: E402
from benchmarks.render_certificates import sample  # noqa: E402
from certificates import FileStorage, sign, signed_payload, storage_key  # noqa: E402
from certificates.model import CertificateData  # noqa: E402
from certificates.offline import Seal, seal  # noqa: E402
from certificates.signing import generate_private_key_pem  # noqa: E402

FONTS = ROOT / "templates" / "certificates" / "fonts"
WARD = "00004"
_KEY = generate_private_key_pem()
_STORAGE: FileStorage | None = None


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---- in-process: what a worker's task does, without the database and the broker ------------------------------------


def _warm(root: str, barrier: Any) -> None:
    """Pool initialiser: build the shared renderer, render once, then wait until every process is warm."""
    global _STORAGE
    from certificates.render import default_renderer

    _STORAGE = FileStorage(Path(root))
    default_renderer().render(sample(0))
    barrier.wait()


def _issue_in_process(index: int) -> int:
    """Seal, render, store (fsync), hash and sign one certificate: the task minus its bookkeeping."""
    from certificates.render import default_renderer

    assert _STORAGE is not None
    data = sample(index)
    sealed = seal(data, ward_code=WARD, private_key_pem=_KEY)
    pdf = default_renderer().render(data, sealed)
    _STORAGE.put(storage_key(data.year, WARD, data.code), pdf)
    sign(_KEY, signed_payload(data.as_payload(), hashlib.sha256(pdf).hexdigest()))
    return len(pdf)


def _decision_document(count: int) -> int:
    """Render the decision document a decision of `count` earns (its attached list of `count` rows), as the worker
    does once per decision."""
    from certificates.decision import DecisionData, ListedCitizen
    from certificates.render import default_renderer

    listed = tuple(ListedCitizen(full_name=person.holder_name, date_of_birth=person.date_of_birth, sex="Nữ",
                                 hamlet=f"Tổ dân phố số {i % 20 + 1}", target_group="Người dân",
                                 register_number=f"HN-00004-2025-{i + 1:06d}")
                   for i, person in enumerate(sample(i) for i in range(count)))
    first = sample(0)
    data = DecisionData(number=first.decision_number, year=first.year, title=first.title, signed_on=first.signed_on,
                        issuer_name=first.issuer_name, unit=first.issuer_display, place=first.place,
                        authority=f"Ủy ban nhân dân {first.issuer_display}", signing_line=first.signing_line,
                        signer_title=first.signer_title, signer_name=first.signer_name, citizens=listed)
    return len(default_renderer().render_decision(data))


def _job(index: int) -> int:
    """One job of the in-process pool: a certificate, or (index -N) the decision document of N."""
    return _decision_document(-index) if index < 0 else _issue_in_process(index)


def _ready(_index: int) -> bool:
    return True


def in_process_rate(n: int, concurrency: int) -> float:
    """Certificates a second through `concurrency` warm processes doing the task's work."""
    # Spawned, not forked from this process (whose heap the paired renders and reportlab have grown: every
    # collection in a forked child would walk it), so each starts as a worker's pool process does: the code alone.
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(concurrency)
    with tempfile.TemporaryDirectory(prefix="cdht_bench_") as root, \
            context.Pool(concurrency, initializer=_warm, initargs=(root, barrier)) as pool:
        pool.map(_ready, range(concurrency), chunksize=1)  # returns once the barrier let every process through
        start = time.perf_counter()
        pool.map(_job, [-n, *range(n)], chunksize=1)  # the decision document first, as the worker gets it
        return n / (time.perf_counter() - start)


# ---- the renderer against the floor ---------------------------------------------------------------------------------


def _register_fonts() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    for name, file in (("Serif", "NotoSerif-Regular.ttf"), ("Serif-Bold", "NotoSerif-Bold.ttf"),
                       ("Serif-Italic", "NotoSerif-Italic.ttf")):
        pdfmetrics.registerFont(TTFont(name, str(FONTS / file)))


def floor_drawing(data: CertificateData, qr_text: str) -> bytes:
    """The certificate's texts, frame and QR code drawn directly with reportlab: no layout engine at all.

    The same A4 landscape page, the same strings in the same fonts (embedded as subsets), the same QR code image
    (encoded here too); positions are fixed numbers, lines are not broken, nothing is measured but centred text.
    """
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.units import mm
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    from certificates.dates import long_date, short_date
    from certificates.qr import qr_png

    width, height = landscape(A4)
    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=(width, height), pageCompression=1)
    page.setTitle(f"Giấy công nhận {data.title} {data.year} - {data.holder_name}")
    page.setStrokeColorRGB(0.55, 0.1, 0.1)
    page.setLineWidth(2)
    page.rect(12 * mm, 12 * mm, width - 24 * mm, height - 24 * mm)
    page.setLineWidth(0.6)
    page.rect(14 * mm, 14 * mm, width - 28 * mm, height - 28 * mm)
    authority = data.authority or f"Ủy ban nhân dân {data.issuer_display}"
    left, right, centre = 70 * mm, width - 80 * mm, width / 2
    y = height - 30 * mm
    for font, size, text, x in (("Serif-Bold", 12, "ỦY BAN NHÂN DÂN", left), ("Serif-Bold", 12, data.issuer_name, left),
                                ("Serif", 11, f"Số vào sổ: {data.register_number}", left)):
        page.setFont(font, size)
        page.drawCentredString(x, y, text)
        y -= 6 * mm
    y = height - 30 * mm
    for font, size, text in (("Serif-Bold", 12, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"),
                             ("Serif-Bold", 12, "Độc lập - Tự do - Hạnh phúc"),
                             ("Serif-Italic", 11, f"{data.place}, {long_date(data.signed_on)}")):
        page.setFont(font, size)
        page.drawCentredString(right, y, text)
        y -= 6 * mm
    body = (("Serif-Bold", 30, "GIẤY CÔNG NHẬN"), ("Serif", 14, f"{authority} công nhận:"),
            ("Serif-Bold", 22, f"{data.honorific} {data.holder_name}".strip()),
            ("Serif", 13, f"Ngày sinh: {short_date(data.date_of_birth)}"),
            ("Serif", 13, f"Nơi cư trú: {data.residence}"),
            ("Serif", 14, f"Đã đạt danh hiệu “{data.title}” năm {data.year}"),
            ("Serif-Italic", 12, f"(Theo Quyết định số {data.decision_number} {long_date(data.decision_date)}"),
            ("Serif-Italic", 12, f"của {authority})"))
    y = height - 70 * mm
    for font, size, text in body:
        page.setFont(font, size)
        page.drawCentredString(centre, y, text)
        y -= (size + 8) * 0.3528 * mm * 2
    page.drawImage(ImageReader(io.BytesIO(qr_png(qr_text))), 35 * mm, 25 * mm, 30 * mm, 30 * mm)
    page.setFont("Serif", 9)
    page.drawCentredString(50 * mm, 21 * mm, "Quét mã để xác thực")
    page.drawCentredString(50 * mm, 17 * mm, data.code)
    y = 55 * mm
    for font, size, text in (("Serif-Bold", 12, data.signing_line), ("Serif-Bold", 12, data.signer_title),
                             ("Serif-Bold", 13, data.signer_name)):
        page.setFont(font, size)
        page.drawCentredString(right, y, text)
        y -= 14 * mm if text == data.signer_title else 6 * mm
    page.showPage()
    page.save()
    return out.getvalue()


def paired_times(items: list[CertificateData], seals: list[Seal]) -> tuple[list[float], list[float], list[int]]:
    """Each certificate rendered by the shared renderer, then drawn by reportlab, in turns (so that the machine's
    drifts touch both alike): milliseconds of each, and the rendered PDFs' sizes. Both warmed first."""
    from certificates.render import default_renderer

    renderer = default_renderer()
    _register_fonts()
    renderer.render(items[0], seals[0])
    floor_drawing(items[0], seals[0].qr_url(items[0].verify_url))
    renders, floors, sizes = [], [], []
    for item, sealed in zip(items, seals, strict=True):
        start = time.perf_counter()
        pdf = renderer.render(item, sealed)
        middle = time.perf_counter()
        floor_drawing(item, sealed.qr_url(item.verify_url))
        renders.append((middle - start) * 1000)
        floors.append((time.perf_counter() - middle) * 1000)
        sizes.append(len(pdf))
    return renders, floors, sizes


# ---- end to end through a worker -------------------------------------------------------------------------------------


def _process_group(pgid: int) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                stat = (entry / "stat").read_text()
                if int(stat.rsplit(")", 1)[1].split()[2]) == pgid:
                    pids.append(int(entry.name))
    return pids


def _peak_mb(pids: list[int]) -> float:
    """The highest VmHWM (peak resident set) among the processes."""
    peak_kb = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak_kb = max(peak_kb, int(line.split()[1]))
    return round(peak_kb / 1024, 1)


def intact(rt: Any, decision_id: str, expected: int) -> bool:
    """Every certificate of the decision issued, its stored PDF matching its SHA-256."""
    from sqlmodel import Session, select

    from workflows.models import Certificate

    with Session(rt.engine) as session:
        certs = session.exec(select(Certificate).where(Certificate.decision_id == decision_id,
                                                       Certificate.status == "issued")).all()
        return len(certs) == expected and all(
            hashlib.sha256(rt.storage.get(c.storage_key)).hexdigest() == c.sha256 for c in certs)


def end_to_end(kind: str, n: int, concurrency: int, memory_after: int) -> tuple[float, float | None, int, bool]:
    """Issue N certificates through a real worker pool; return the rate, the peak memory after `memory_after`
    certificates (only when asked: more decisions follow the timed one on the same worker), how many pool processes
    were replaced for their memory, and whether all went well.
    """
    from sqlmodel import Session

    from certificates import new_code
    from webapp import create_app
    from webapp.config import from_env
    from webapp.dispatch import commit
    from workflows.clock import today
    from workflows.db import session_scope
    from workflows.decisions import record_decision
    from workflows.inputs import DecisionInput, parse
    from workflows.models import Decision
    from workflows.seed import seed_reference

    with tempfile.TemporaryDirectory(prefix="cdht_bench_") as tmp, run.runtime_env(kind, Path(tmp)) as env:
        settings = from_env(env)
        with contextlib.redirect_stdout(sys.stderr):
            from alembic import command

            from webapp.cli import alembic_config

            command.upgrade(alembic_config(settings.database_url), "head")
        app = create_app(settings)
        rt = app.extensions["cdht"]
        year = today().year
        total = max(n, memory_after)
        with session_scope(rt.engine) as session:
            seed_reference(session)
        with session_scope(rt.engine) as session:
            chair, ids = run.approved_applications(session, total, year)
        worker = run.start_worker(env, Path(tmp) / "worker.log", concurrency)
        ok, rate, peak, replaced = True, 0.0, None, 0
        try:
            batches = [ids[:n]] + [ids[i:i + 5000] for i in range(n, total, 5000)]
            for number, batch in enumerate(batches, start=1):
                with Session(rt.engine, expire_on_commit=False) as session:
                    data = {"year": year, "number": f"{number}/QĐ-UBND", "signed_on": today().isoformat(),
                            "signer_name": "Nguyễn Văn Thắng", "application_ids": batch}
                    decision, _certs = record_decision(session, chair, parse(DecisionInput, data),
                                                       new_code=new_code, verify_url=rt.verify_url)
                    with app.app_context():
                        commit(session)
                    committed = time.perf_counter()
                    issued, deadline, document = 0, committed + 60 + 3 * len(batch), None
                    # Until every certificate and the decision document are stored: the in-process run does both.
                    while ((issued < len(batch) or document != "issued") and time.perf_counter() < deadline
                           and worker.poll() is None):
                        time.sleep(run.POLL_S / 2)
                        issued = run.count(session, decision.id, "issued")
                        session.expire_all()
                        document = session.get(Decision, decision.id).document_status
                    elapsed = time.perf_counter() - committed
                if issued < len(batch) or document != "issued" or not intact(rt, decision.id, len(batch)):
                    ok = False
                    log(f"  {kind}: only {issued}/{len(batch)} issued; worker log tail:\n"
                        + "\n".join((Path(tmp) / "worker.log").read_text().splitlines()[-30:]))
                    break
                if number == 1:
                    rate = n / elapsed
                    log(f"  {kind}: {n} issued in {elapsed:.2f} s ({rate:.1f}/s)")
            if ok and memory_after > 0:
                peak = _peak_mb(_process_group(worker.pid))
                log(f"  {kind}: worker peak {peak} MB after {total} certificates")
            # A pool process replaced (WORKER_MAX_MEMORY_MB) takes its peak with it: say so beside the figure.
            names = set(re.findall(rb"ForkPoolWorker-\d+", (Path(tmp) / "worker.log").read_bytes()))
            replaced = max(0, len(names) - concurrency)
            if replaced:
                log(f"  {kind}: {replaced} pool processes replaced for their memory")
        finally:
            run.stop_worker(worker)
        rt.engine.dispose()
    return rate, peak, replaced, ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--n", type=int, default=500, help="certificates per measurement (default 500)")
    parser.add_argument("--concurrency", type=int, default=2, help="processes, in-process and in the worker pool")
    parser.add_argument("--memory-after", type=int, default=1000,
                        help="certificates the Redis worker issues before its peak memory is read (default 1000)")
    args = parser.parse_args()
    if not 10 <= args.n <= 5000 or args.concurrency < 1:
        parser.error("--n must be 10..5000 and --concurrency at least 1")

    items = [sample(i) for i in range(min(args.n, 200))]
    seals = [seal(item, ward_code=WARD, private_key_pem=_KEY) for item in items]
    renders, floors, sizes = paired_times(items, seals)
    log(f"render p50 {statistics.median(renders):.1f} ms, floor {statistics.median(floors):.1f} ms")
    # The machine's speed drifts (a shared 2-core VM): each end-to-end run is compared with the in-process runs
    # just before and just after it.
    inprocess = [in_process_rate(args.n, args.concurrency)]
    log(f"in-process: {inprocess[-1]:.1f}/s")
    redis_rate, peak, replaced, ok_redis = end_to_end("production", args.n, args.concurrency, args.memory_after)
    inprocess.append(in_process_rate(args.n, args.concurrency))
    log(f"in-process: {inprocess[-1]:.1f}/s")
    embedded_rate, _, _, ok_embedded = end_to_end("embedded", args.n, args.concurrency, 0)
    inprocess.append(in_process_rate(args.n, args.concurrency))
    log(f"in-process: {inprocess[-1]:.1f}/s")
    around_redis, around_embedded = statistics.mean(inprocess[:2]), statistics.mean(inprocess[1:])

    render_p50, floor_ms = statistics.median(renders), statistics.median(floors)
    print(json.dumps({
        "n": args.n, "concurrency": args.concurrency, "cpus": os.cpu_count(),
        "inprocess_per_s": round(statistics.mean(inprocess), 1), "inprocess_runs": [round(r, 1) for r in inprocess],
        "redis_per_s": round(redis_rate, 1), "embedded_per_s": round(embedded_rate, 1),
        "redis_ratio": round(redis_rate / around_redis, 3), "embedded_ratio": round(embedded_rate / around_embedded, 3),
        "render_ms_p50": round(render_p50, 1),
        "render_ms_p95": round(statistics.quantiles(renders, n=20)[-1], 1),
        "floor_ms": round(floor_ms, 1), "render_to_floor": round(render_p50 / floor_ms, 2),
        "pdf_kb_median": round(statistics.median(sizes) / 1024, 1),
        "worker_peak_mb": peak, "worker_peak_after": max(args.n, args.memory_after), "worker_replaced": replaced,
    }))
    return 0 if ok_redis and ok_embedded else 1


if __name__ == "__main__":
    sys.exit(main())
