"""Vietnamese formats for pages (1.234; 58,3 %; 17/05/1990; ngày 05 tháng 8 năm 2026), the vocabulary's labels and
tones as Jinja filters, and form-error helpers."""

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from flask import Blueprint
from flask.blueprints import BlueprintSetupState
from flask_babel import lazy_gettext
from werkzeug.datastructures import MultiDict

from certificates.dates import long_date as vietnamese_long_date
from workflows import consent, hamlets
from workflows.clock import HANOI_OFFSET
from workflows.validation import parse_int
from workflows.vocabulary import VOCABULARY, Event, Term, Tone

from ..i18n import field_params, gettext, locale, message

# The reviewer's three verdicts, in the order they are offered (a reviewer proposes; only the chair recognises).
DECISIONS: tuple[Event, ...] = (Event.APPROVE, Event.RETURN, Event.REJECT)

# A tone is shown with the page's existing classes: `tag …`, `banner …` (style "tag") or `status-…` (style "status").
TONE_CLASSES: dict[str, dict[Tone, str]] = {
    "tag": {Tone.DONE: "ok", Tone.PROBLEM: "bad", Tone.PROGRESS: "info", Tone.NEUTRAL: "grey"},
    "status": {Tone.DONE: "status-valid", Tone.PROBLEM: "status-revoked", Tone.PROGRESS: "status-neutral",
               Tone.NEUTRAL: "status-neutral"},
}

MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
             "November", "December")

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


# DigComp 2.2's eight proficiency levels, in four bands of two: `{{ bands[level - 1] }}`.
_BANDS = (lazy_gettext("Foundation"), lazy_gettext("Intermediate"), lazy_gettext("Advanced"),
          lazy_gettext("Highly specialised"))
LEVEL_BANDS = tuple(band for band in _BANDS for _ in range(2))

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


def _as_date(value: date | datetime | str) -> date | None:
    """A date, a datetime stored in UTC (→ its Hà Nội date) or an ISO string; None when it is none of them."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
        except ValueError:
            return None
    if isinstance(value, datetime):
        return (value + HANOI_OFFSET).date()
    return value


def long_date(value: date | datetime | str | None, lang: str | None = None) -> str:
    """A date written out, as Nghị định 30/2020/NĐ-CP writes it: 'ngày 05 tháng 8 năm 2026', 'ngày 15 tháng 02 năm
    2026' (a leading zero only for days below 10 and for months 1 and 2); in English '5 August 2026'."""
    if value is None or value == "":
        return "—"
    day = _as_date(value)
    if day is None:
        return str(value)
    if (lang or locale()) == "en":
        return f"{day.day} {MONTHS_EN[day.month - 1]} {day.year}"
    return vietnamese_long_date(day)  # the certificate's own rule: one implementation


def term(value: Term | str | None, kind: type[Term] | None = None) -> Term | None:
    """The vocabulary member for a member or a stored string of `kind`; None when it is neither."""
    if isinstance(value, Term):
        return value
    if value is None or kind is None:
        return None
    try:
        return kind(value)
    except ValueError:
        return None


def label(value: Term | str | None, kind: type[Term] | None = None) -> str:
    """A state, status, role, group, kind or sex in the reader's language: `{{ app.state | label(ApplicationState) }}`
    or `{{ member | label }}`. An unknown stored string is shown as it is (never a crash), nothing as '—'."""
    member = term(value, kind)
    if member is None:
        return "—" if value in (None, "") else str(value)
    return str(gettext(member.label))


def tone(value: Term | str | None, kind: type[Term] | None = None, style: str = "tag") -> str:
    """The CSS class of a member's tone: `<strong class="tag {{ app.state | tone(ApplicationState) }}">`."""
    member = term(value, kind)
    return TONE_CLASSES[style][member.tone if member is not None else Tone.NEUTRAL]


def localized(row: object, field: str) -> str:
    """A field stored in both languages (`text_vi`, `text_en`): `{{ indicator | localized("text") }}`."""
    vi = str(getattr(row, f"{field}_vi", "") or "")
    if locale() == "en":
        return str(getattr(row, f"{field}_en", "") or "") or vi
    return vi


def criterion(indicator: object) -> str:
    """The criterion (tiêu chí) an indicator belongs to, named by its criteria set (ADR 22): 'Tiêu chí I. Năng lực tự
    học và học tập suốt đời' — `{{ group.list[0] | criterion }}` under `indicators | groupby("competence")`."""
    return gettext("Criterion %(code)s. %(name)s", code=getattr(indicator, "competence", ""),
                   name=localized(indicator, "competence"))


def without(values: Mapping[str, Any], *keys: str) -> dict[str, Any]:
    """A copy of a mapping without some keys (link parameters: `keep | without('page')`)."""
    return {k: v for k, v in values.items() if k not in keys}


def hamlet_choices(session: Any, ward_code: str) -> list[tuple[str, str]]:
    """(code, name) of a ward's tổ dân phố / thôn, for a form's list; empty for an unknown ward or one without."""
    if not ward_code or len(ward_code) > 5:
        return []
    return [(h.code, h.name) for h in hamlets.of_ward(session, ward_code)]


def register_filters(bp: Blueprint) -> None:
    """Make the formats, labels and the vocabulary available to every template of the app."""
    for function in (vn_number, vn_percent, vn_date, vn_month, long_date, label, tone, localized, criterion, without):
        bp.add_app_template_filter(function, function.__name__)
    bp.record_once(_vocabulary_globals)


def _vocabulary_globals(state: BlueprintSetupState) -> None:
    """Every vocabulary enum by its name (form choices iterate it: `{% for k in ActivityKind %}`), and DECISIONS."""
    state.app.jinja_env.globals.update({kind.__name__: kind for kind in VOCABULARY}, DECISIONS=DECISIONS,
                                       CONSENT=consent.current())


# --- forms ---------------------------------------------------------------------------------------------------------

def date_from_parts(form: MultiDict[str, str], name: str, *, day_optional: bool = False) -> tuple[str, str | None]:
    """Join the day, month and year fields `name-day|month|year` into YYYY-MM-DD; with `day_optional`, a blank day
    with a month and a year is the month's first day (`month_only` tells the caller).

    Returns (value, error code): ("", None) when all three are blank (the domain decides if that is allowed).
    """
    parts = [re.sub(r"[\s.\-]", "", form.get(f"{name}-{p}", "")) for p in ("day", "month", "year")]
    if not any(parts):
        return "", None
    if day_optional and month_only(form, name):
        parts[0] = "1"
    numbers = [parse_int(p, 0, 9999) for p in parts]
    if None in numbers or len(parts[2]) != 4:
        return "", "date_parts"
    day, month, year = (n or 0 for n in numbers)
    try:
        return date(year, month, day).isoformat(), None
    except ValueError:
        return "", "date_invalid"


def month_only(form: MultiDict[str, str], name: str) -> bool:
    """Whether a date was given as a month and a year, the day left blank."""
    day, month, year = (form.get(f"{name}-{p}", "").strip() for p in ("day", "month", "year"))
    return not day and bool(month) and bool(year)


def vn_month(value: date | str | None) -> str:
    """A month as 03/2026 (a date whose day is not known)."""
    if not value:
        return "—"
    if isinstance(value, str):
        value = date.fromisoformat(value)
    return f"{value.month:02d}/{value.year}"


def date_parts(value: date | str | None) -> dict[str, str]:
    """Split a date back into the three fields for a form."""
    if not value:
        return {"day": "", "month": "", "year": ""}
    if isinstance(value, str):
        value = date.fromisoformat(value)
    return {"day": str(value.day), "month": str(value.month), "year": str(value.year)}


def error_messages(codes: Mapping[str, str], order: Iterable[str], ids: Mapping[str, str] | None = None,
                   params: Mapping[str, Any] | None = None) -> dict[str, str]:
    """Turn {field: error code} into {element id: message} in the form's order (unknown fields last); params (the
    error's, e.g. pass_total) fill the messages' placeholders."""
    ids = ids or {}
    order = list(order)
    ordered = [f for f in order if f in codes] + [f for f in codes if f not in set(order)]
    result: dict[str, str] = {}
    for field in ordered:
        element = ids.get(field, field)
        result.setdefault(element, message(codes[field], **field_params(params or {}, field)))
    return result


SHOWN_ROW_ERRORS = 50  # a file wrong throughout names its first fifty rows, and says how many more


def file_errors(codes: Mapping[str, str], params: Mapping[str, Any], order: Iterable[str],
                columns: Mapping[str, Any] | None = None) -> tuple[dict[str, str], list[tuple[int, str, str]], int]:
    """The errors of a form with a CSV file: the form's field messages (bad rows summarised on `file`), the first
    bad rows as (number, the column's label or "", message), and how many more rows are wrong. `params["columns"]`
    (row.N → column name, from the domain) picks each row's label in `columns`."""
    params = dict(params)
    at_fault = params.pop("columns", None)
    at_fault = at_fault if isinstance(at_fault, Mapping) else {}
    rows = sorted((int(k[4:]) if k[4:].isdigit() else 0, str((columns or {}).get(at_fault.get(k, ""), "")),
                   message(v)) for k, v in codes.items() if k.startswith("row."))
    fields = {k: v for k, v in codes.items() if not k.startswith("row.")}
    if rows and "file" not in fields:
        fields["file"] = "rows_invalid"
        params["count"] = len(rows)
    return (error_messages(fields, order, params=params), rows[:SHOWN_ROW_ERRORS],
            max(0, len(rows) - SHOWN_ROW_ERRORS))


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



def page_links(current: int, last: int, around: int = 2) -> list[int | None]:
    """The page numbers a pager shows: the first, the last, and `around` either side of the current one, with None
    where numbers are left out (shown as "…"). No total known (last 0) or a single page: none."""
    if last <= 1:
        return []
    shown = sorted({1, last, *range(max(1, current - around), min(last, current + around) + 1)})
    links: list[int | None] = []
    for number in shown:
        if links and number - (links[-1] or 0) > 1:
            links.append(None)
        links.append(number)
    return links
