"""CSV files people upload (imports from training platforms, population figures): UTF-8 (a spreadsheet's byte-order
mark allowed), a header naming the columns, rows numbered as a spreadsheet numbers them (the header is row 1)."""

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime

from .errors import Invalid

FIRST_ROW = 2


def records(data: bytes, header: tuple[str, ...], max_rows: int,
            errors: dict[str, str]) -> Iterator[tuple[int, list[str]]]:
    """The file's rows as (number, stripped cells), one cell per column of the header, blank lines skipped; a row
    with another number of cells goes into `errors` as `row.N: wrong_column_count` instead. Invalid naming the `file`
    when it is not UTF-8, its header is not `header`, or it has more than `max_rows` rows."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid(fields={"file": "not_utf8"}) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    if tuple(h.strip().lower() for h in next(reader, [])) != header:
        raise Invalid(fields={"file": "bad_header"}, expected=",".join(header))
    count = 0
    for number, record in enumerate(reader, FIRST_ROW):
        if not record or all(not cell.strip() for cell in record):
            continue  # a blank line is no row
        count += 1
        if count > max_rows:
            raise Invalid(fields={"file": "too_many_rows"}, limit=max_rows)
        if len(record) != len(header):
            errors[f"row.{number}"] = "wrong_column_count"
            continue
        yield number, [cell.strip() for cell in record]


def calendar_date(text: str) -> date | None:
    """A date written YYYY-MM-DD, or DD/MM/YYYY as Vietnamese spreadsheets write it; None otherwise."""
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date, no time of day
        except ValueError:
            continue
    return None
