"""The dashboard's figures as files: CSV (UTF-8 with a byte-order mark, so that spreadsheets read the Vietnamese) and
XLSX. A text cell that a spreadsheet would run as a formula (it starts with =, +, -, @, a tab or a line break) is
written with a leading apostrophe, so that it is shown, never run."""

import csv
import io
from collections.abc import Sequence
from datetime import datetime

from flask import Response
from flask_babel import gettext
from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from workflows.rollup import Figures, Rollup, people_short
from workflows.vocabulary import TargetIndicator

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
Cell = str | int | float | None
RATE_COLUMNS = (4, 8)  # zero-based: the two rates, shown as percentages in the XLSX file


def neutralised(value: Cell) -> Cell:
    """A cell as it can be written safely: text that would start a formula gets an apostrophe in front."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def table(result: Rollup) -> tuple[list[str], list[list[Cell]]]:
    """The header and the rows: the city first, then every ward, each with its figures against the targets."""
    cdht, digital = result.targets.get(TargetIndicator.CDHT), result.targets.get(TargetIndicator.DIGITAL)
    header = [gettext("Code"), gettext("Ward or commune"), gettext("Population (learning citizens' denominator)"),
              gettext("Learning citizens"), gettext("Rate of learning citizens"),
              gettext("People short of the line expected by now"),
              gettext("Population (digital skills' denominator)"), gettext("Basic digital skills"),
              gettext("Rate of basic digital skills"),
              gettext("People short of the line expected by now (digital skills)")]

    def line(f: Figures) -> list[Cell]:
        return [f.code, f.name, f.population, f.cdht, f.rate(f.cdht),
                people_short(f.cdht, f.population, cdht.expected_by_now if cdht else None),
                f.digital_population, f.digital, f.digital_rate,
                people_short(f.digital, f.digital_population, digital.expected_by_now if digital else None)]

    return header, [line(result.city), *(line(w) for w in result.wards)]


def csv_response(header: Sequence[str], rows: Sequence[Sequence[Cell]], filename: str) -> Response:
    """CSV, UTF-8 with a byte-order mark; rates as fractions with a point (0.5123)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([neutralised(h) for h in header])
    for row in rows:
        writer.writerow(["" if v is None else neutralised(round(v, 6) if isinstance(v, float) else v) for v in row])
    return _attachment(("\ufeff" + out.getvalue()).encode("utf-8"), "text/csv; charset=utf-8", filename)


def xlsx_response(header: Sequence[str], rows: Sequence[Sequence[Cell]], filename: str, title: str,
                  as_of: datetime) -> Response:
    """XLSX: numbers as numbers, rates as percentages, the header frozen, the moment of the figures noted."""
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append([neutralised(h) for h in header])
    for row in rows:
        sheet.append([neutralised(v) for v in row])
    for column in RATE_COLUMNS:
        for cell in sheet[get_column_letter(column + 1)][1:]:
            cell.number_format = "0.00%"
    sheet.freeze_panes = "C2"
    sheet.column_dimensions["B"].width = 28
    notes = book.create_sheet(gettext("About"))
    notes.append([gettext("Figures as of"), as_of.isoformat(timespec="seconds")])
    out = io.BytesIO()
    book.save(out)
    return _attachment(out.getvalue(),
                       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", filename)


def _attachment(data: bytes, mimetype: str, filename: str) -> Response:
    return Response(data, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "private, no-store"})
