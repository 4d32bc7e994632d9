"""The recognition decision's PDF read back with pdftotext: the pattern of Nghị định 30/2020 and its attached list."""

import re
import subprocess
import unicodedata
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from certificates import DecisionData, ListedCitizen
from certificates.render import CertificateRenderer


def pdf_text(pdf: Path) -> str:
    """The PDF's text as pdftotext reads it (poppler-utils), NFC, whitespace folded; pages split by a form feed."""
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True)
    return " ".join(unicodedata.normalize("NFC", out.stdout).split())


def page_count(pdf: Path) -> int:
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True)
    return out.stdout.rstrip("\f").count("\f") + 1


ROWS = tuple(
    ListedCitizen(full_name=f"Nguyễn Thị Hoa {n}", date_of_birth=date(1990, 3, n), sex="Nữ" if n % 2 else "Nam",
                  hamlet=f"Tổ dân phố số {n}", target_group="Người dân", register_number=f"HN-00004-2026-{n:06d}")
    for n in range(1, 4))
DATA = DecisionData(number="15/QĐ-UBND", year=2026, title="Công dân học tập", signed_on=date(2026, 8, 5),
                    issuer_name="PHƯỜNG BA ĐÌNH", unit="phường Ba Đình", place="Ba Đình",
                    authority="Ủy ban nhân dân phường Ba Đình", signing_line="TM. ỦY BAN NHÂN DÂN",
                    signer_title="CHỦ TỊCH", signer_name="Nguyễn Văn Thắng", citizens=ROWS)


@pytest.fixture(scope="module")
def decision_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("decision") / "decision.pdf"
    path.write_bytes(CertificateRenderer().render_decision(DATA))
    return path


def test_the_decision_follows_the_official_pattern(decision_pdf: Path) -> None:
    text = pdf_text(decision_pdf)
    for line in ("ỦY BAN NHÂN DÂN PHƯỜNG BA ĐÌNH", "Số: 15/QĐ-UBND", "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
                 "Độc lập - Tự do - Hạnh phúc", "Ba Đình, ngày 05 tháng 8 năm 2026", "QUYẾT ĐỊNH",
                 "Về việc công nhận danh hiệu “Công dân học tập” năm 2026",
                 "Căn cứ Luật Tổ chức chính quyền địa phương",
                 "Căn cứ Quyết định số 677/QĐ-TTg", "Căn cứ Quyết định số 324/QĐ-KHVN",
                 "Xét đề nghị của Hội Khuyến học phường Ba Đình.",
                 "Điều 1. Công nhận 3 công dân đạt danh hiệu “Công dân học tập” năm 2026 (có danh sách kèm theo).",
                 "Điều 2.", "Điều 3.", "Nơi nhận:", "TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH", "Nguyễn Văn Thắng",
                 "(Kèm theo Quyết định số 15/QĐ-UBND ngày 05 tháng 8 năm 2026 của Ủy ban nhân dân phường Ba Đình)",
                 "STT", "Họ và tên", "Ngày sinh", "Giới tính", "Tổ dân phố/thôn", "Đối tượng", "Số vào sổ"):
        assert line in text, (line, text)
    for n, row in enumerate(ROWS, start=1):
        printed = f"{n} {row.full_name} {row.date_of_birth:%d/%m/%Y} {row.sex} {row.hamlet} Người dân"
        assert f"{printed} {row.register_number}" in text, text
    assert "CCCD" not in text and "Phường Ba Đình" not in text


def test_a_deputy_signs_for_the_chair(tmp_path: Path) -> None:
    deputy = replace(DATA, authority="Chủ tịch Ủy ban nhân dân phường Ba Đình", signing_line="KT. CHỦ TỊCH",
                     signer_title="PHÓ CHỦ TỊCH")
    pdf = tmp_path / "deputy.pdf"
    pdf.write_bytes(CertificateRenderer().render_decision(deputy))
    text = pdf_text(pdf)
    assert "CHỦ TỊCH ỦY BAN NHÂN DÂN PHƯỜNG BA ĐÌNH" in text and "KT. CHỦ TỊCH PHÓ CHỦ TỊCH" in text
    assert page_count(pdf) == 2  # the decision, then its list


def test_a_long_list_is_laid_out_in_parts_that_read_as_one(tmp_path: Path, monkeypatch) -> None:
    """ADR 32: parts of DECISION_PART_ROWS rows joined page by page: one numbering of rows and of pages, the heading
    once, the header row on every page, one PDF/A."""
    import pikepdf

    import certificates.render

    monkeypatch.setattr(certificates.render, "DECISION_PART_ROWS", 4)
    rows = tuple(replace(ROWS[0], full_name=f"Trần Văn Minh {n}", register_number=f"HN-00004-2026-{n:06d}")
                 for n in range(1, 11))
    pdf = tmp_path / "long.pdf"
    pdf.write_bytes(CertificateRenderer().render_decision(replace(DATA, citizens=rows)))
    text = pdf_text(pdf)
    found = [int(m) for m in re.findall(r"(\d+) Trần Văn Minh \1 ", text)]
    assert found == list(range(1, 11)), text  # every row once, in order, numbered on across the parts
    assert text.count("DANH SÁCH CÔNG DÂN ĐẠT DANH HIỆU") == 1 and text.count("Điều 1.") == 1
    assert "Công nhận 10 công dân" in text
    pages = page_count(pdf)
    assert pages >= 4  # the decision, then three parts of the list
    for page in range(1, pages + 1):
        out = subprocess.run(["pdftotext", "-layout", "-f", str(page), "-l", str(page), str(pdf), "-"],
                             capture_output=True, text=True, check=True).stdout
        assert re.search(rf"^\s*{page}\s*$", out, re.MULTILINE), (page, out)  # its number, alone on a line
        if page > 1:
            assert "STT" in out  # the list's header row on each of its pages
    check = subprocess.run(["qpdf", "--check", str(pdf)], capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stdout
    with pikepdf.open(pdf) as joined:
        meta = joined.open_metadata()
        assert (meta.get("pdfaid:part"), meta.get("pdfaid:conformance")) == ("3", "B")
        assert len(joined.Root.OutputIntents) == 1
