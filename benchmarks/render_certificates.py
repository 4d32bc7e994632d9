"""Measure certificate rendering: cold first render, warm renders with the shared renderer, and batches.

Each warm render is what the worker does: sign the offline payload, then render the PDF/A-3b with the payload in
the QR code and attached (ADR 27); `warm_unsealed_median_ms` is the same PDF/A without a payload, `seal_ms` the
signing alone. A batch (one PDF, many pages) carries no payload.

Usage: .venv/bin/python -m benchmarks.render_certificates [--n 50]   (prints one JSON object)
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from certificates.codes import new_code
from certificates.model import CertificateData
from certificates.offline import seal
from certificates.signing import generate_private_key_pem

NAMES = ["Lê Hoàng Yến", "Nguyễn Thị Ể Ỗ Ậ Ữ ỵ", "Trần Đức Ấn", "Phạm Quỳnh Hương", "Đỗ Minh Khôi"]


def sample(index: int) -> CertificateData:
    """Return a realistic certificate; each one has its own code and name."""
    code = new_code()
    base = CertificateData(
        code=code,
        register_number=f"HN-00004-2025-{index + 1:06d}",
        title="Công dân học tập",
        year=2025,
        holder_name=NAMES[index % len(NAMES)],
        date_of_birth=date(1960 + index % 40, 1 + index % 12, 1 + index % 28),
        residence="Phường Ba Đình, thành phố Hà Nội",
        issuer_name="PHƯỜNG BA ĐÌNH",
        issuer_display="Phường Ba Đình",
        decision_number="125/QĐ-UBND",
        decision_date=date(2025, 7, 30),
        place="Hà Nội",
        signed_on=date(2025, 8, 4),
        signer_title="CHỦ TỊCH",
        signer_name="Nguyễn Văn Thắng",
        verify_url="",
    )
    return replace(base, verify_url=f"https://cdht.hanoi.gov.vn/xac-thuc/{code}")


def main() -> None:
    """Run the measurements and print them as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=50, help="certificates per measurement (default 50)")
    n = parser.parse_args().n
    items = [sample(i) for i in range(n)]

    # Cold: importing WeasyPrint, building the shared renderer (fonts, CSS) and the first render.
    start = time.perf_counter()
    from certificates.render import default_renderer

    renderer = default_renderer()
    first_pdf = renderer.render(items[0])
    first_ms = (time.perf_counter() - start) * 1000

    key = generate_private_key_pem()
    warm, unsealed, sealing = [], [], []
    for item in items:
        start = time.perf_counter()
        sealed = seal(item, ward_code="00004", private_key_pem=key)
        sealed_at = time.perf_counter()
        renderer.render(item, sealed)
        done = time.perf_counter()
        warm.append((done - start) * 1000)
        sealing.append((sealed_at - start) * 1000)
        start = time.perf_counter()
        renderer.render(item)
        unsealed.append((time.perf_counter() - start) * 1000)

    start = time.perf_counter()
    batch = renderer.render_many(items)
    batch_ms = (time.perf_counter() - start) * 1000

    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
    print(
        json.dumps(
            {
                "n": n,
                "first_render_ms": round(first_ms, 1),
                "warm_median_ms": round(statistics.median(warm), 1),
                "warm_unsealed_median_ms": round(statistics.median(unsealed), 1),
                "seal_ms": round(statistics.median(sealing), 2),
                "batch_per_page_ms": round(batch_ms / n, 1),
                "pdf_bytes": len(first_pdf),
                "sealed_pdf_bytes": len(renderer.render(items[0], seal(items[0], ward_code="00004",
                                                                       private_key_pem=key))),
                "batch_pdf_bytes": len(batch),
                "peak_rss_mb": round(peak_kb / 1024, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
