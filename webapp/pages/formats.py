"""Vietnamese formats for pages (1.234; 58,3 %; 17/05/1990), the labels of codes, and form-error helpers."""

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime

from flask import Blueprint
from werkzeug.datastructures import MultiDict

from workflows.clock import HANOI_OFFSET
from workflows.validation import parse_int

from ..i18n import message, pick

STATES: dict[str, tuple[str, str]] = {
    "draft": ("Đang làm", "In progress"),
    "submitted": ("Đã nộp, chờ xét", "Submitted, awaiting review"),
    "returned": ("Cần sửa", "Needs changes"),
    "approved": ("Phường đã duyệt", "Approved by the ward"),
    "rejected": ("Không công nhận", "Not recognised"),
    "recognised": ("Đã được công nhận", "Recognised"),
}
STATE_CLASS = {"returned": "bad", "rejected": "bad", "approved": "ok", "recognised": "ok"}
TARGET_GROUPS: dict[str, tuple[str, str]] = {
    "resident": ("Người dân trong xã/phường", "Resident of the ward or commune"),
    "worker": ("Người lao động", "Worker"),
    "staff": ("Cán bộ, công nhân viên, doanh nhân", "Staff, employees and business people"),
    "learner": ("Học sinh, sinh viên, học viên", "Pupil, student or learner"),
}
SEXES: dict[str, tuple[str, str]] = {"male": ("Nam", "Male"), "female": ("Nữ", "Female")}
ACTIVITY_KINDS: dict[str, tuple[str, str]] = {
    "course": ("Khoá học, lớp học", "Course or class"),
    "self_study": ("Tự học", "Self-study"),
    "community": ("Hoạt động cộng đồng", "Community activity"),
    "club": ("Câu lạc bộ, sinh hoạt chuyên đề", "Club or study group"),
    "training": ("Tập huấn, bồi dưỡng", "Training"),
    "other": ("Khác", "Other"),
}
DECISIONS: dict[str, tuple[str, str]] = {
    "approve": ("Công nhận đạt", "Recognise as passed"),
    "return": ("Trả lại để bổ sung", "Return for changes"),
    "reject": ("Không công nhận", "Do not recognise"),
}
CERT_STATUSES: dict[str, tuple[str, str]] = {
    "queued": ("Đang chờ cấp", "Waiting to be issued"),
    "rendering": ("Đang cấp", "Being issued"),
    "issued": ("Đã cấp", "Issued"),
    "failed": ("Cấp lỗi", "Failed"),
    "revoked": ("Đã thu hồi", "Revoked"),
    "superseded": ("Đã được thay thế", "Superseded"),
}


def vn_number(value: int | float | None) -> str:
    """1234567 → '1.234.567' (dots group thousands); None → '—'."""
    if value is None:
        return "—"
    return f"{round(value):,}".replace(",", ".")


def vn_percent(fraction: float | None, digits: int = 1) -> str:
    """0.583 → '58,3 %', 0.7 → '70 %' (comma decimals, no trailing ',0'), 0.00002 → '< 0,1 %'; None → '—'."""
    if fraction is None:
        return "—"
    if 0 < fraction * 100 < 10 ** -digits:
        return f"< {vn_percent(10 ** -digits / 100, digits)}"  # 1 in 55.038 is not "0 %"
    text = f"{fraction * 100:,.{digits}f}".replace(",", " ").replace(".", ",").replace(" ", ".")
    if "," in text:
        text = text.rstrip("0").rstrip(",")
    return f"{text} %"


def vn_date(value: date | datetime | str | None) -> str:
    """A date as dd/mm/yyyy; datetimes (stored in UTC) are shown in Hà Nội time with hh:mm first."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        try:
            parsed: date = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
        except ValueError:
            return value
        value = parsed
    if isinstance(value, datetime):
        return (value + HANOI_OFFSET).strftime("%H:%M %d/%m/%Y")  # stored in UTC, naive or aware
    return value.strftime("%d/%m/%Y")


def _label(table: Mapping[str, tuple[str, str]]) -> object:
    def choose(code: str | None) -> str:
        vi, en = table.get(code or "", (code or "—", code or "—"))
        return pick(vi, en)

    return choose


def register_filters(bp: Blueprint) -> None:
    """Make the formats and labels Jinja filters for every template of the app."""
    bp.add_app_template_filter(vn_number, "vn_number")
    bp.add_app_template_filter(vn_percent, "vn_percent")
    bp.add_app_template_filter(vn_date, "vn_date")
    for name, table in (("state_label", STATES), ("group_label", TARGET_GROUPS), ("sex_label", SEXES),
                        ("kind_label", ACTIVITY_KINDS), ("decision_label", DECISIONS),
                        ("cert_label", CERT_STATUSES)):
        bp.add_app_template_filter(_label(table), name)  # type: ignore[arg-type]


# --- forms ---------------------------------------------------------------------------------------------------------

def date_from_parts(form: MultiDict[str, str], name: str) -> tuple[str, str | None]:
    """Join the day, month and year fields `name-day|month|year` into YYYY-MM-DD.

    Returns (value, error code): ("", None) when all three are blank (the domain decides if that is allowed).
    """
    parts = [re.sub(r"[\s.\-]", "", form.get(f"{name}-{p}", "")) for p in ("day", "month", "year")]
    if not any(parts):
        return "", None
    numbers = [parse_int(p, 0, 9999) for p in parts]
    if None in numbers or len(parts[2]) != 4:
        return "", "date_parts"
    day, month, year = (n or 0 for n in numbers)
    try:
        return date(year, month, day).isoformat(), None
    except ValueError:
        return "", "date_invalid"


def date_parts(value: date | str | None) -> dict[str, str]:
    """Split a date back into the three fields for a form."""
    if not value:
        return {"day": "", "month": "", "year": ""}
    if isinstance(value, str):
        value = date.fromisoformat(value)
    return {"day": str(value.day), "month": str(value.month), "year": str(value.year)}


def error_messages(codes: Mapping[str, str], order: Iterable[str], ids: Mapping[str, str] | None = None
                   ) -> dict[str, str]:
    """Turn {field: error code} into {element id: message} in the form's order (unknown fields last)."""
    ids = ids or {}
    ordered = [f for f in order if f in codes] + [f for f in codes if f not in set(order)]
    result: dict[str, str] = {}
    for field in ordered:
        element = ids.get(field, field)
        result.setdefault(element, message(codes[field]))
    return result


def score_id(code: str) -> str:
    """The element id of an indicator's score input (I.1 → score-I-1)."""
    return "score-" + code.replace(".", "-")


def parse_score(raw: str | None) -> int | str | None:
    """A typed score: blank → None, digits → int, anything else kept as text for the domain to refuse."""
    text = "".join((raw or "").split())
    if not text:
        return None
    number = parse_int(text, 0, 10**6)
    return number if number is not None else text

