"""The dashboard's figures as CSV and XLSX files, read back: Vietnamese text intact, numbers as numbers, and a text
that a spreadsheet would run as a formula written so that it is only shown."""

import csv
import io

import pytest
from factories import make_staff, signed_in
from flask import Flask
from openpyxl import load_workbook
from sqlmodel import Session

from webapp.exports import neutralised
from workflows.models import Population, Ward

TRAP = "=HYPERLINK(\"http://x\",\"Phường Ba Đình\")"


@pytest.fixture
def trapped_ward(session: Session):
    """Ward 00004 renamed as a formula for the test, and a population for it; put back afterwards."""
    ward = session.get(Ward, "00004")
    name = ward.name
    ward.name = TRAP
    session.add(Population(ward_code="00004", year=2026, population=40000, source="Số liệu thử"))
    session.commit()
    yield
    ward = session.get(Ward, "00004")
    ward.name = name
    session.commit()


def test_cells_that_would_run_as_formulas_are_neutralised() -> None:
    assert [neutralised(v) for v in ("=1+2", "+84", "-3", "@SUM(A1)", "\tx", "Phường Ba Đình", 12, 0.5, None)] == [
        "'=1+2", "'+84", "'-3", "'@SUM(A1)", "'\tx", "Phường Ba Đình", 12, 0.5, None]


def test_the_csv_and_xlsx_read_back_with_vietnamese_text_and_safe_cells(
        web: Flask, session: Session, trapped_ward: None) -> None:
    make_staff(session, "city_admin", None, username="admin-export")
    make_staff(session, "ward_reviewer", username="rev-export")
    admin = signed_in(web, "admin-export")
    assert signed_in(web, "rev-export").get("/admin/export.csv?year=2026").status_code == 404
    assert admin.get("/admin/export.pdf?year=2026").status_code == 404

    got = admin.get("/admin/export.csv?year=2026")
    assert got.status_code == 200 and got.mimetype == "text/csv"
    assert got.headers["Content-Disposition"] == 'attachment; filename="cdht-2026.csv"'
    assert got.data.startswith(b"\xef\xbb\xbf")  # the byte-order mark spreadsheets need for UTF-8
    rows = list(csv.reader(io.StringIO(got.data.decode("utf-8-sig"))))
    assert rows[0][:2] == ["Mã", "Phường/xã"] and len(rows) == 1 + 1 + 126
    assert rows[1][:2] == ["01", "Thành phố Hà Nội"]
    ward = next(r for r in rows if r[0] == "00004")
    assert ward[1] == "'" + TRAP and ward[2] == "40000" and ward[3] == "0" and ward[4] == "0.0"
    assert next(r for r in rows if r[0] == "00070")[1] == "Phường Hoàn Kiếm"

    book = admin.get("/admin/export.xlsx?year=2026")
    assert book.status_code == 200 and book.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(book.data)).worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:2] == ("Mã", "Phường/xã")
    line = next(v for v in values if v[0] == "00004")
    assert line[1] == "'" + TRAP and line[2] == 40000 and line[4] == 0
    assert next(v for v in values if v[0] == "00070")[1] == "Phường Hoàn Kiếm"
    assert sheet["E3"].number_format == "0.00%"
