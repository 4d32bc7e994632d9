"""Rendered certificates checked with the tools a reader would use: poppler, zbar and qpdf."""

import re
import shutil
import subprocess
import unicodedata
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from factories import sample_certificate
from PIL import Image, ImageChops

from certificates import CertificateData
from certificates.render import (
    DEFAULT_TEMPLATE_DIR,
    CertificateRenderer,
    ResourceRefused,
    default_renderer,
    long_date,
    short_date,
)

DATA = sample_certificate()
RARE = replace(
    DATA,
    code="ABCDE-FGHJK",
    holder_name="Nguyễn Thị Ể Ỗ Ậ Ữ ỵ",
    verify_url="https://cdht.example.vn/xac-thuc/ABCDE-FGHJK",
)


def tool(name: str) -> str:
    """Path of a required system tool; a missing one fails (CI installs them) rather than skips."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: apt-get install poppler-utils zbar-tools qpdf")
    return path


def run(*args: str) -> str:
    result = subprocess.run(args, capture_output=True, text=True, check=False, timeout=60)
    assert result.returncode == 0, f"{args[0]} failed ({result.returncode}): {result.stderr}"
    return result.stdout


def pdf_text(pdf: Path) -> str:
    text = run(tool("pdftotext"), "-enc", "UTF-8", str(pdf), "-")
    return " ".join(unicodedata.normalize("NFC", text).split())


def page_count(pdf: Path) -> int:
    match = re.search(r"^Pages:\s+(\d+)$", run(tool("pdfinfo"), str(pdf)), re.MULTILINE)
    assert match is not None
    return int(match.group(1))


def decode_qr(pdf: Path, page: int, tmp_path: Path) -> str:
    image = tmp_path / f"page-{page}"
    run(
        tool("pdftoppm"),
        "-png",
        "-r",
        "150",
        "-f",
        str(page),
        "-l",
        str(page),
        "-singlefile",
        str(pdf),
        str(image),
    )
    return run(tool("zbarimg"), "--raw", "-q", f"{image}.png").strip()


def fonts(pdf: Path) -> list[dict[str, str]]:
    """Rows of `pdffonts`, cut by the column widths of its dashed header line."""
    lines = run(tool("pdffonts"), str(pdf)).splitlines()
    header, dashes, rows = lines[0], lines[1], lines[2:]
    spans = [(m.start(), m.end()) for m in re.finditer(r"-+", dashes)]
    names = [header[start:end].strip() for start, end in spans]
    return [
        {name: row[start:end].strip() for name, (start, end) in zip(names, spans, strict=True)}
        for row in rows
    ]


@pytest.fixture(scope="module")
def renderer() -> CertificateRenderer:
    return CertificateRenderer()


@pytest.fixture(scope="module")
def single_pdf(renderer: CertificateRenderer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("render") / "single.pdf"
    path.write_bytes(renderer.render(DATA))
    return path


@pytest.fixture(scope="module")
def batch_pdf(renderer: CertificateRenderer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    third = replace(
        DATA, code="00000-11111", holder_name="Trần Đức Ấn", verify_url="https://cdht.example.vn/v/3"
    )
    path = tmp_path_factory.mktemp("render") / "batch.pdf"
    path.write_bytes(renderer.render_many([DATA, RARE, third]))
    return path


def test_single_certificate_is_one_a4_landscape_page(single_pdf: Path) -> None:
    info = run(tool("pdfinfo"), str(single_pdf))
    assert page_count(single_pdf) == 1
    width, height = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info).groups())  # type: ignore[union-attr]
    assert (round(width), round(height)) == (842, 595)


def test_fonts_are_bundled_embedded_and_subsetted(single_pdf: Path, batch_pdf: Path) -> None:
    for pdf in (single_pdf, batch_pdf):
        rows = fonts(pdf)
        assert len(rows) >= 3, rows  # regular, bold and italic are all used
        for row in rows:
            assert row["emb"] == "yes", row
            assert row["sub"] == "yes", row
            assert row["uni"] == "yes", row
            # Subset prefix plus our bundled family: no silent fallback to a system font.
            assert re.fullmatch(r"[A-Z]{6}\+CDHT-Serif(-\w+)?", row["name"]), row


def test_text_carries_every_printed_field(single_pdf: Path) -> None:
    text = pdf_text(single_pdf)
    expected = [
        "ỦY BAN NHÂN DÂN",
        "PHƯỜNG BA ĐÌNH",
        "Số vào sổ: HN-00004-2025-000001",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "Ba Đình, ngày 04 tháng 8 năm 2025",
        "GIẤY CÔNG NHẬN",
        "Ủy ban nhân dân phường Ba Đình công nhận:",
        "Bà Lê Hoàng Yến",
        "Ngày sinh: 07/03/1990",
        "Nơi cư trú: phường Ba Đình, thành phố Hà Nội",
        "Đã đạt danh hiệu “Công dân học tập” năm 2025",
        "(Theo Quyết định số 125/QĐ-UBND ngày 30 tháng 7 năm 2025 của Ủy ban nhân dân phường Ba Đình)",
        "TM. ỦY BAN NHÂN DÂN",
        "CHỦ TỊCH",
        "Nguyễn Văn Thắng",
        "Quét mã để xác thực",
        "7K3QW-M9TXA",
    ]
    missing = [line for line in expected if line not in text]
    assert not missing, f"missing {missing} in {text!r}"
    assert "Ông/Bà" not in text
    assert "Phường Ba Đình" not in text  # upper case only in the heading: "PHƯỜNG BA ĐÌNH"
    assert "Hà Nội, ngày" not in text  # the ward names its own place
    assert text.count("Công dân học tập") == 1  # no line repeats another


def test_deputy_signs_for_the_chair_and_the_text_names_the_chair(renderer: CertificateRenderer,
                                                                 tmp_path: Path) -> None:
    deputy = replace(DATA, honorific="Ông", holder_name="Trần Văn Bình", issuer_name="XÃ YÊN XUÂN",
                     issuer_display="xã Yên Xuân", place="Yên Xuân", authority="Chủ tịch Ủy ban nhân dân xã Yên Xuân",
                     signing_line="KT. CHỦ TỊCH", signer_title="PHÓ CHỦ TỊCH", signed_on=date(2026, 2, 5),
                     residence="xã Yên Xuân, thành phố Hà Nội")
    pdf = tmp_path / "deputy.pdf"
    pdf.write_bytes(renderer.render(deputy))
    text = pdf_text(pdf)
    for line in ("XÃ YÊN XUÂN", "Yên Xuân, ngày 05 tháng 02 năm 2026",
                 "Chủ tịch Ủy ban nhân dân xã Yên Xuân công nhận:", "Ông Trần Văn Bình",
                 "Nơi cư trú: xã Yên Xuân, thành phố Hà Nội", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH",
                 "của Chủ tịch Ủy ban nhân dân xã Yên Xuân)"):
        assert line in text, (line, text)
    assert "TM. ỦY BAN NHÂN DÂN" not in text


def test_a_snapshot_written_before_the_signer_fields_still_renders(renderer: CertificateRenderer) -> None:
    payload = DATA.as_payload()
    for name in ("honorific", "authority", "signing_line"):
        del payload[name]
    old = CertificateData.from_payload(payload)
    html = renderer.html([old])
    assert "Ông/Bà" not in html and "TM. ỦY BAN NHÂN DÂN" in html
    assert "Ủy ban nhân dân phường Ba Đình công nhận:" in html


def test_qr_code_decodes_to_the_verify_url(single_pdf: Path, tmp_path: Path) -> None:
    assert decode_qr(single_pdf, 1, tmp_path) == DATA.verify_url


def test_qpdf_check_passes(single_pdf: Path, batch_pdf: Path) -> None:
    for pdf in (single_pdf, batch_pdf):
        result = subprocess.run(
            [tool("qpdf"), "--check", str(pdf)], capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "No syntax or stream encoding errors found" in result.stdout


def test_render_many_gives_one_page_each_in_order(batch_pdf: Path, tmp_path: Path) -> None:
    assert page_count(batch_pdf) == 3
    assert decode_qr(batch_pdf, 2, tmp_path) == RARE.verify_url
    assert decode_qr(batch_pdf, 3, tmp_path) == "https://cdht.example.vn/v/3"
    pages = [
        " ".join(
            unicodedata.normalize(
                "NFC", run(tool("pdftotext"), "-f", str(n), "-l", str(n), str(batch_pdf), "-")
            ).split()
        )
        for n in (1, 2, 3)
    ]
    assert "Bà Lê Hoàng Yến" in pages[0]
    assert "Bà Nguyễn Thị Ể Ỗ Ậ Ữ ỵ" in pages[1]
    assert "Bà Trần Đức Ấn" in pages[2]


def test_batch_shares_fonts(batch_pdf: Path) -> None:
    # One font object per face for the whole batch, not one per page.
    names = [row["name"] for row in fonts(batch_pdf)]
    assert len(names) == len(set(names)) <= 4


def test_markup_in_data_is_escaped(renderer: CertificateRenderer, tmp_path: Path) -> None:
    hostile = replace(DATA, holder_name='<img src="file:///etc/passwd">Yến</b>')
    assert '<img src="file:///etc/passwd">' not in renderer.html([hostile])
    pdf = tmp_path / "hostile.pdf"
    pdf.write_bytes(renderer.render(hostile))
    assert '<img src="file:///etc/passwd">Yến</b>' in pdf_text(pdf)


def test_no_cccd_field_exists() -> None:
    assert not any("cccd" in name.lower() or "identity" in name.lower() for name in DATA.as_payload())


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/x.png",
        "https://example.com/x.png",
        "ftp://example.com/x.png",
        "data:image/png;base64,iVBORw0KGgo=",
        "file:///etc/passwd",
        "file://otherhost" + str(DEFAULT_TEMPLATE_DIR / "certificate.css"),
        "../x",
        "fonts/NotoSerif-Regular.ttf",
        DEFAULT_TEMPLATE_DIR.as_uri() + "/../../pyproject.toml",
        DEFAULT_TEMPLATE_DIR.as_uri() + "/%2e%2e/%2e%2e/pyproject.toml",
        DEFAULT_TEMPLATE_DIR.as_uri() + "/no-such-file.png",
        DEFAULT_TEMPLATE_DIR.as_uri() + "/fonts",
    ],
)
def test_url_fetcher_refuses_everything_outside_the_template_folder(
    renderer: CertificateRenderer, url: str
) -> None:
    with pytest.raises(ResourceRefused):
        renderer.url_fetcher.fetch(url)


def test_url_fetcher_serves_template_files(renderer: CertificateRenderer) -> None:
    font = renderer.url_fetcher.fetch(DEFAULT_TEMPLATE_DIR.as_uri() + "/fonts/NotoSerif-Regular.ttf")
    assert font.read(4) == b"\x00\x01\x00\x00"
    font.close()


def test_symlink_out_of_the_folder_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "templates"
    shutil.copytree(DEFAULT_TEMPLATE_DIR, folder)
    (folder / "leak.txt").symlink_to(tmp_path.parent)
    custom = CertificateRenderer(folder)
    with pytest.raises(ResourceRefused):
        custom.url_fetcher.fetch((folder / "leak.txt").as_uri())


def test_template_referring_outside_stops_the_render(tmp_path: Path) -> None:
    folder = tmp_path / "templates"
    shutil.copytree(DEFAULT_TEMPLATE_DIR, folder)
    html = folder / "certificate.html"
    html.write_text(
        html.read_text(encoding="utf-8").replace("<body>", '<body><img src="http://example.com/x.png">')
    )
    with pytest.raises(BaseException, match=r"example\.com"):
        CertificateRenderer(folder).render(DATA)


def test_missing_template_variable_is_an_error(tmp_path: Path) -> None:
    folder = tmp_path / "templates"
    shutil.copytree(DEFAULT_TEMPLATE_DIR, folder)
    html = folder / "certificate.html"
    html.write_text(html.read_text(encoding="utf-8").replace("{{ c.code }}", "{{ c.cccd }}"))
    with pytest.raises(Exception, match="cccd"):
        CertificateRenderer(folder).render(DATA)


def test_render_many_refuses_an_empty_batch(renderer: CertificateRenderer) -> None:
    with pytest.raises(ValueError, match="nothing to render"):
        renderer.render_many([])


def test_vietnamese_dates() -> None:
    assert long_date(date(2025, 8, 4)) == "ngày 04 tháng 8 năm 2025"
    assert long_date(date(2026, 2, 15)) == "ngày 15 tháng 02 năm 2026"
    assert long_date(date(2026, 1, 5)) == "ngày 05 tháng 01 năm 2026"
    assert long_date(date(2026, 12, 10)) == "ngày 10 tháng 12 năm 2026"
    assert short_date(date(1990, 3, 7)) == "07/03/1990"


def test_default_renderer_is_shared() -> None:
    assert default_renderer() is default_renderer()


def test_harfbuzz_subset_is_available() -> None:
    # Without libharfbuzz-subset0 WeasyPrint falls back to fontTools: ten times slower and not reproducible.
    from weasyprint.text.ffi import harfbuzz_subset

    assert harfbuzz_subset is not None, "apt-get install libharfbuzz-subset0"


def test_same_data_gives_the_same_bytes(renderer: CertificateRenderer, tmp_path: Path) -> None:
    first = renderer.render(DATA)
    assert CertificateRenderer().render(DATA) == first
    assert renderer.render(RARE) != first
    pdf = tmp_path / "a.pdf"
    pdf.write_bytes(first)
    # The creation date comes from the data (signed_on), not from the clock.
    info = " ".join(run(tool("pdfinfo"), "-isodates", str(pdf)).split())
    assert "CreationDate: 2025-08-04T00:00:00Z" in info


@pytest.mark.parametrize("data", [DATA, replace(RARE, honorific="Bà", signing_line="KT. CHỦ TỊCH",
                                                signer_title="PHÓ CHỦ TỊCH")])
def test_the_lean_user_agent_stylesheet_draws_the_same_page(data: CertificateData, tmp_path: Path) -> None:
    """certificate-ua.css stands in for WeasyPrint's own defaults and the whitespace between tags is dropped (ADR 32):
    the page must not move by a pixel."""
    pages = []
    for lean in (True, False):
        own = CertificateRenderer()
        own.lean_user_agent = lean
        pdf = tmp_path / f"lean-{lean}.pdf"
        pdf.write_bytes(own.render(data))
        run(tool("pdftoppm"), "-png", "-r", "150", "-singlefile", str(pdf), str(tmp_path / f"lean-{lean}"))
        pages.append(Image.open(tmp_path / f"lean-{lean}.png").convert("RGB"))
    assert pages[0].size == pages[1].size
    assert ImageChops.difference(pages[0], pages[1]).getbbox() is None
