"""Render certificates to PDF with WeasyPrint, reusing fonts and the stylesheet across renders."""

from __future__ import annotations

import copy
import functools
import io
import mimetypes
import re
from collections.abc import Sequence
from datetime import UTC, datetime, time
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import jinja2
from weasyprint import CSS, HTML, Attachment
from weasyprint.css import ColorProfile
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse, path2url

from certificates.batch import merged_pdf
from certificates.dates import long_date, short_date
from certificates.decision import DecisionData
from certificates.model import CertificateData
from certificates.offline import ATTACHMENT_DESCRIPTION, ATTACHMENT_NAME, ATTACHMENT_RELATIONSHIP, Seal
from certificates.qr import qr_png

DEFAULT_TEMPLATE_DIR = Path(__file__).resolve().parent.parent / "templates" / "certificates"
TEMPLATE_NAME = "certificate.html"
STYLESHEET_NAME = "certificate.css"
USER_AGENT_STYLESHEET_NAME = "certificate-ua.css"
DECISION_TEMPLATE_NAME = "decision.html"
DECISION_STYLESHEET_NAME = "decision.css"
DECISION_PART_ROWS = 300  # rows of a decision's list laid out at once (ADR 32)
# Archival PDF (ISO 19005-3, level B): XMP pdfaid, an sRGB output intent, fonts embedded, attachments with their
# relationship (ADR 27).
PDF_VARIANT = "pdf/a-3b"
# Whitespace between two tags of the certificate's HTML (the template's indentation): dropped before rendering, as
# each such run becomes a box WeasyPrint lays out and then collapses (~5 % of a render). The template never relies
# on a space between two tags (write one inside an element instead); the pixel test in test_render.py checks.
_BETWEEN_TAGS = re.compile(r">\s+<")
OUTPUT_INTENT = "cdht-srgb"


class ResourceRefused(ValueError):
    """The renderer was asked for a resource outside its template folder."""


class TemplateFolderFetcher(URLFetcher):
    """URL fetcher that serves only existing files inside one folder: no network, no other files."""

    def __init__(self, folder: Path) -> None:
        # fail_on_errors: a refused or missing resource stops the render instead of printing a fallback.
        super().__init__(allowed_protocols=("file",), allow_redirects=False, fail_on_errors=True)
        self.folder = folder.resolve()

    def resolve(self, url: str) -> Path:
        """Return the file a URL names, or raise ResourceRefused if it is not a file in the folder."""
        parts = urlsplit(url)
        if parts.scheme != "file":
            raise ResourceRefused(f"only file: URLs inside the template folder are served, not {url!r}")
        if parts.netloc not in ("", "localhost"):
            raise ResourceRefused(f"remote file URL refused: {url!r}")
        # resolve() also follows symlinks, so a link pointing out of the folder is refused too.
        path = Path(unquote(parts.path)).resolve()
        if not path.is_relative_to(self.folder) or not path.is_file():
            raise ResourceRefused(f"not a file inside the template folder: {url!r}")
        return path

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        """Return the file a URL names inside the folder, or raise ResourceRefused."""
        path = self.resolve(url)
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(path2url(str(path)), path.read_bytes(), {"Content-Type": content_type})


class _DocumentFetcher(TemplateFolderFetcher):
    """The template folder's fetcher, plus the images generated for one document (its QR codes)."""

    def __init__(self, folder: Path, generated: dict[str, bytes]) -> None:
        super().__init__(folder)
        self.generated = generated

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        """A generated image by its URL, else a file of the template folder."""
        if url in self.generated:
            return URLFetcherResponse(url, self.generated[url], {"Content-Type": "image/png"})
        return super().fetch(url, headers)


class _FrozenColorProfile(ColorProfile):
    """A colour profile serialised once: Pillow's serialisation changes once the profile's name was read, and the
    same certificate must give the same bytes on every render."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self._content: bytes = super().content

    @property
    def content(self) -> bytes:
        """The profile's bytes as first serialised."""
        return self._content


class _CertificateHTML(HTML):
    """A certificate's HTML with the lean user-agent stylesheet (certificate-ua.css) instead of WeasyPrint's own.

    WeasyPrint 70 asks the document for its UA and presentational-hint stylesheets (`_ua_stylesheets`,
    `_ph_stylesheets`); answering with one small sheet saves about a tenth of a render (ADR 32). A test compares the
    pages drawn both ways pixel for pixel.
    """

    user_agent_stylesheet: CSS | None = None

    def _ua_stylesheets(self, forms: bool = False) -> list[CSS]:
        if self.user_agent_stylesheet is None:
            return list(super()._ua_stylesheets(forms))
        return [self.user_agent_stylesheet]

    def _ph_stylesheets(self) -> list[CSS]:
        return [] if self.user_agent_stylesheet is not None else list(super()._ph_stylesheets())


class CertificateRenderer:
    """Renders certificates; build one per process and reuse it (fonts and CSS are loaded once)."""

    def __init__(self, template_dir: Path | None = None) -> None:
        self.template_dir = (template_dir or DEFAULT_TEMPLATE_DIR).resolve()
        self.url_fetcher = TemplateFolderFetcher(self.template_dir)
        # Copied for each document with its own QR images: building a fetcher (its urllib opener) costs ~1 ms.
        self._document_fetcher = _DocumentFetcher(self.template_dir, {})
        self._base_url = path2url(str(self.template_dir))
        self._environment = jinja2.Environment(
            loader=jinja2.FileSystemLoader(self.template_dir),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self._environment.filters["long_date"] = long_date
        self._environment.filters["short_date"] = short_date
        self._template = self._environment.get_template(TEMPLATE_NAME)
        # The font configuration and the parsed stylesheet are a third of a render: build them once.
        self._font_config = FontConfiguration()
        self._stylesheet = self._css(STYLESHEET_NAME)
        self._user_agent_stylesheet = self._css(USER_AGENT_STYLESHEET_NAME)
        # False: WeasyPrint's own UA stylesheet and the template's whitespace kept (the test compares both ways)
        self.lean_user_agent = True
        self._decision_template = self._environment.get_template(DECISION_TEMPLATE_NAME)
        self._decision_stylesheet: CSS | None = None  # parsed on the first decision
        # PDF/A's output intent: WeasyPrint's own sRGB profile, read once (left to itself, WeasyPrint opens and
        # parses the file on every render and never closes it).
        icc = (files("weasyprint.pdf") / "sRGB2014.icc").read_bytes()
        self._srgb = _FrozenColorProfile(io.BytesIO(icc), "sRGB2014.icc", "relative-colorimetric",
                                         (["r"], ["g"], ["b"]))

    def _css(self, name: str) -> CSS:
        path = self.template_dir / name
        return CSS(string=path.read_text(encoding="utf-8"), base_url=path2url(str(path)),
                   url_fetcher=self.url_fetcher, font_config=self._font_config)

    def decision_html(self, data: DecisionData, *, part: int = 0, first_page: int = 1) -> str:
        """The HTML source of a decision document's part: the decision and the start of its list (part 0), or the
        list continued (its rows from part × DECISION_PART_ROWS), pages numbered from `first_page`."""
        start = part * DECISION_PART_ROWS
        return self._decision_template.render(d=data, created=data.signed_on.isoformat(), first=part == 0,
                                              rows=data.citizens[start:start + DECISION_PART_ROWS], offset=start,
                                              first_page=first_page)

    def render_decision(self, data: DecisionData) -> bytes:
        """Return the PDF/A-3b of a recognition decision with its attached list (ADR 30).

        A list longer than DECISION_PART_ROWS is laid out in parts joined page by page (ADR 32): WeasyPrint's time and
        memory for one table grow faster than its rows (1,000 rows took 11 s and 230 MB in one piece), a part's
        stay those of its own rows, and its memory is given back before the next.
        """
        if self._decision_stylesheet is None:
            self._decision_stylesheet = self._css(DECISION_STYLESHEET_NAME)
        parts, pages = [], 0
        for part in range(max(1, -(-len(data.citizens) // DECISION_PART_ROWS))):
            html = HTML(string=self.decision_html(data, part=part, first_page=pages + 1), base_url=self._base_url,
                        url_fetcher=self.url_fetcher)
            document = html.render(stylesheets=[self._decision_stylesheet], font_config=self._font_config,
                                   color_profiles={OUTPUT_INTENT: self._srgb})
            pages += len(document.pages)
            parts.append(document.write_pdf(color_profiles={OUTPUT_INTENT: self._srgb}, output_intent=OUTPUT_INTENT,
                                            pdf_variant=PDF_VARIANT))
            del document, html
            if part:
                release_memory()
        return parts[0] if len(parts) == 1 else merged_pdf(parts, in_first=True)

    def html(self, items: Sequence[CertificateData], seals: Sequence[Seal | None] | None = None) -> str:
        """Return the HTML source of a document with one page per certificate.

        Each page's QR code is an image served while the document renders (`qr_texts` says what it encodes).
        """
        if not items:
            raise ValueError("nothing to render")
        seals = list(seals) if seals is not None else [None] * len(items)
        if len(seals) != len(items):
            raise ValueError("one seal (or None) per certificate")
        if len(items) == 1:
            title = f"Giấy công nhận {items[0].title} {items[0].year} - {items[0].holder_name}"
        else:
            title = f"Giấy công nhận ({len(items)} bản)"
        # A creation date taken from the data, not the clock, keeps the same data giving the same bytes.
        created = max(item.signed_on for item in items).isoformat()
        html = self._template.render(certificates=list(zip(items, self._qr_urls(len(items)), strict=True)),
                                     document_title=title, created=created)
        return _BETWEEN_TAGS.sub("><", html) if self.lean_user_agent else html

    def _qr_urls(self, count: int) -> list[str]:
        """Where each page's QR image is served from while its document renders (never a file on disk)."""
        return [f"{self._base_url.rstrip('/')}/generated/qr-{n}.png" for n in range(count)]

    @staticmethod
    def qr_texts(items: Sequence[CertificateData], seals: Sequence[Seal | None]) -> list[str]:
        """What each page's QR code says: the verification URL, with the signed payload in its fragment if sealed."""
        return [seal.qr_url(item.verify_url) if seal else item.verify_url
                for item, seal in zip(items, seals, strict=True)]

    def render_many(self, items: Sequence[CertificateData], seals: Sequence[Seal | None] | None = None) -> bytes:
        """Return one PDF/A-3b with one page per certificate (the pages share embedded font subsets).

        Each seal's payload is attached as an embedded file (one certificate a document: the file name is fixed).
        """
        seals = list(seals) if seals is not None else [None] * len(items)
        attachments = [_attachment(seal, item) for item, seal in zip(items, seals, strict=False) if seal]
        if len(attachments) > 1:
            raise ValueError("a document carries the offline payload of one certificate only")
        html = self.html(items, seals)  # checks the items and seals first
        images = {url: qr_png(text) for url, text in zip(self._qr_urls(len(items)), self.qr_texts(items, seals),
                                                         strict=True)}
        fetcher = copy.copy(self._document_fetcher)
        fetcher.generated = images
        document = _CertificateHTML(string=html, base_url=self._base_url, url_fetcher=fetcher)
        if self.lean_user_agent:
            document.user_agent_stylesheet = self._user_agent_stylesheet
        pdf: bytes = document.write_pdf(stylesheets=[self._stylesheet], font_config=self._font_config,
                                        color_profiles={OUTPUT_INTENT: self._srgb}, output_intent=OUTPUT_INTENT,
                                        pdf_variant=PDF_VARIANT, attachments=attachments,
                                        finisher=_each_associated_file_once)
        return pdf

    def render(self, data: CertificateData, seal: Seal | None = None) -> bytes:
        """Return the PDF of one certificate, with its offline payload when sealed."""
        return self.render_many([data], [seal])


def _each_associated_file_once(_document: Any, pdf: Any) -> None:
    """WeasyPrint lists an attachment in the catalogue's /AF twice (from the name tree and as a file spec)."""
    associated = pdf.catalog.get("AF")
    if associated:
        unique = list(dict.fromkeys(associated))
        associated.clear()
        associated.extend(unique)


def _attachment(seal: Seal, data: CertificateData) -> Attachment:
    # Dated from the data like the document, so that the same certificate gives the same bytes.
    moment = datetime.combine(data.signed_on, time(), tzinfo=UTC)
    return Attachment(string=seal.attachment(), name=ATTACHMENT_NAME, description=ATTACHMENT_DESCRIPTION,
                      created=moment, modified=moment, relationship=ATTACHMENT_RELATIONSHIP)


@functools.lru_cache(maxsize=1)
def default_renderer() -> CertificateRenderer:
    """Return this process's shared renderer over the bundled templates."""
    return CertificateRenderer()


def warm_up() -> None:
    """Build this process's renderer and render a sample certificate once (fonts, Pango, the stylesheet)."""
    from datetime import date

    sample = CertificateData(
        code="WARM0-00000", register_number="HN-00000-2000-000000", title="Công dân học tập", year=2000,
        holder_name="Nguyễn Văn A", date_of_birth=date(1990, 1, 1), residence="phường Ba Đình, thành phố Hà Nội",
        issuer_name="PHƯỜNG BA ĐÌNH", issuer_display="phường Ba Đình", decision_number="1/QĐ-UBND",
        decision_date=date(2000, 1, 1), place="Ba Đình", signed_on=date(2000, 1, 1), signer_title="CHỦ TỊCH",
        signer_name="Nguyễn Văn B", verify_url="https://cdht.invalid/verify/WARM0-00000")
    default_renderer().render(sample)


def release_memory() -> None:
    """Hand the memory of a large document back to the system: a decision's list of thousands grows a worker by
    ~50 MB that Python keeps after the render; a collection and glibc's `malloc_trim` return most of it (ADR 32)."""
    import ctypes
    import ctypes.util
    import gc

    gc.collect()
    libc = ctypes.util.find_library("c")
    if libc:
        trim = getattr(ctypes.CDLL(libc), "malloc_trim", None)
        if trim is not None:  # glibc only
            trim(0)
