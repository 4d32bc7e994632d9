"""A decision's certificates as one batch (ADR 31): a ZIP of the PDFs and one merged PDF for printing.

Both are deterministic (same certificates in, same bytes out), so a second run of the task that makes them stores
nothing new under write-once keys. No database: the caller hands over the files in order."""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections.abc import Sequence
from datetime import date

BatchFile = tuple[str, bytes]  # (file name in the ZIP, the certificate's PDF)


def listing_digest(entries: Sequence[tuple[str, str]]) -> str:
    """SHA-256 hex of a batch's listing: each certificate's register number and PDF hash, in the order given."""
    text = "".join(f"{number} {sha256}\n" for number, sha256 in entries)
    return hashlib.sha256(text.encode()).hexdigest()


def zip_of(files: Sequence[BatchFile], dated: date) -> bytes:
    """A ZIP of the files in order, each dated `dated` (not the clock: the bytes depend on the files only)."""
    names = [name for name, _ in files]
    if len(set(names)) != len(names):
        raise ValueError("two files of a batch share a name")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in files:
            info = zipfile.ZipInfo(name, date_time=(dated.year, dated.month, dated.day, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return out.getvalue()


def merged_pdf(pdfs: Sequence[bytes], *, in_first: bool = False) -> bytes:
    """One PDF holding every page of the given PDFs in order (for printing a decision's certificates at once).

    Pages only: each certificate's embedded signed payload (ADR 27) stays in its own PDF, in the ZIP. With
    `in_first`, the pages are added to the first PDF itself, which keeps its catalogue (a decision document's parts
    joined into its first part's PDF/A, ADR 32)."""
    import pikepdf  # imported here: web processes that only serve stored files never load it

    merged = pikepdf.open(io.BytesIO(pdfs[0])) if in_first else pikepdf.new()
    sources = []
    try:
        for data in pdfs[1:] if in_first else pdfs:
            source = pikepdf.open(io.BytesIO(data))
            sources.append(source)
            merged.pages.extend(source.pages)
        out = io.BytesIO()
        merged.save(out, deterministic_id=True)
        return out.getvalue()
    finally:
        for source in sources:
            source.close()
        merged.close()
