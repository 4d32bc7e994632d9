"""One message catalogue (ADR 7): every English message id in the code has a Vietnamese translation, the vocabulary
is translated, pages are Vietnamese unless English is chosen, and the API's errors follow Accept-Language."""

import ast
import re
from functools import cache
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from babel.support import Translations

from webapp.i18n import FALLBACKS, MESSAGES, TRANSLATIONS, catalogue_path, message
from workflows.vocabulary import VOCABULARY, Term, Tone, VerificationStatus

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "_l": None}  # as `make messages` extracts


@cache
def vietnamese() -> Catalog:
    with catalogue_path("vi", "po").open("rb") as f:
        return read_po(f, locale="vi")


def extracted() -> dict[str | tuple[str, ...], str]:
    """Every message id in the source now (python, templates, N_ in workflows/), with where it was found."""
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    found: dict[str | tuple[str, ...], str] = {}
    for filename, lineno, msgid, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS, strip_comment_tags=True):
        found.setdefault(msgid, f"{filename}:{lineno}")
    return found


def translated(msgid: str | tuple[str, ...]) -> bool:
    entry = vietnamese().get(msgid[0] if isinstance(msgid, tuple) else msgid)
    if entry is None or entry.fuzzy:
        return False
    strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
    return all(s.strip() for s in strings)


# --- (a) the catalogue covers the source ----------------------------------------------------------------------------

def test_every_message_id_in_the_source_has_a_vietnamese_translation():
    found = extracted()
    assert len(found) > 300, "the extraction found too little: is babel.cfg right?"
    untranslated = [f"{where}: {msgid!r}" for msgid, where in found.items() if not translated(msgid)]
    assert not untranslated, ("msgids without a non-empty, non-fuzzy Vietnamese translation (run `make messages` and "
                              "translate them in webapp/translations/vi/LC_MESSAGES/messages.po):\n"
                              + "\n".join(untranslated))


def test_error_messages_are_marked_for_extraction():
    found = extracted()
    missing = [code for code, msgid in {**MESSAGES, **{f"{k} (fallback)": v for k, v in FALLBACKS.items()}}.items()
               if msgid not in found]
    assert not missing, f"error messages not marked with N_ in webapp/i18n.py: {missing}"


def test_translations_keep_their_placeholders():
    problems = [f"{m.id!r}: {errors}" for m, errors in vietnamese().check()]
    for m in vietnamese():
        if not m.id:
            continue
        ids = m.id if isinstance(m.id, tuple) else (m.id,)
        strings = m.string if isinstance(m.string, tuple) else (m.string,)
        wanted = set(re.findall(r"%\((\w+)\)", ids[-1]))
        problems.extend(f"{m.id!r}: placeholders {sorted(wanted)} but the translation has another set"
                        for s in strings if set(re.findall(r"%\((\w+)\)", s)) != wanted)
    assert not problems, "\n".join(problems)


def test_compiled_catalogue_is_present_and_current():
    compiled = catalogue_path("vi")
    assert compiled.is_file(), f"{compiled} is missing: run `make install` (pybabel compile -d webapp/translations)"
    mo = Translations.load(str(TRANSLATIONS), ["vi"])
    stale = [m.id for m in vietnamese() if m.id and not m.fuzzy and isinstance(m.id, str)
             and mo.gettext(m.id) != m.string]
    assert not stale, f"messages.mo is older than messages.po (run `make install`): {stale[:5]}"


# --- error codes ----------------------------------------------------------------------------------------------------

RAISING = {"Invalid", "Conflict", "NotFound", "Forbidden", "DomainError", "_fail"}
CODE = re.compile(r"^[a-z][a-z0-9_]*$")
# Codes that reach message() without a literal raise: class defaults, HTTP statuses, check functions' results.
INDIRECT = {"invalid", "bad_request", "not_found", "forbidden", "conflict", "unauthorized", "bad_credentials",
            "rate_limited", "invalid_characters", "server_error", "bad_json", "too_large", "unsupported_media",
            "method_not_allowed", "csrf", "cccd_format", "cccd_province", "cccd_birth_mismatch", "cccd_sex_mismatch",
            "date_parts", "date_invalid", "no_selection", "not_approved", "wrong_year", "invalid_list",
            "invalid_scores", "signed_before_year", "year_not_started", "confirm_self_scores"}


def _codes_raised() -> dict[str, str]:
    """Error codes written literally where errors are raised or collected in workflows/ and webapp/."""
    found: dict[str, str] = {}

    def add(node: ast.AST | None, where: str) -> None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and CODE.match(node.value):
            found.setdefault(node.value, where)

    for path in sorted([*ROOT.joinpath("workflows").rglob("*.py"), *ROOT.joinpath("webapp").rglob("*.py")]):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Call):
                func = node.func
                name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
                if name in RAISING:
                    add(node.args[0] if node.args else None, where)
                    for keyword in node.keywords:
                        if keyword.arg == "fields":
                            for sub in ast.walk(keyword.value):
                                if isinstance(sub, ast.Dict):
                                    for value in sub.values:
                                        add(value, where)
                                elif isinstance(sub, ast.DictComp):
                                    add(sub.value, where)
            elif isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name) and (
                        target.value.id in ("errors", "self", "bad", "codes")):
                    add(node.value, where)
                elif isinstance(target, ast.Name) and target.id.endswith("_CODES") and isinstance(node.value, ast.Dict):
                    for value in node.value.values:
                        add(value, where)
    return found


def test_every_error_code_has_a_message():
    raised = _codes_raised()
    assert len(raised) > 30, "the scan found too few codes"
    missing = sorted(f"{code} ({where})" for code, where in raised.items() if code not in MESSAGES)
    missing += sorted(f"{code} (expected)" for code in INDIRECT if code not in MESSAGES)
    assert not missing, f"error codes without a message in webapp/i18n.py MESSAGES: {missing}"


def test_message_fills_params_and_falls_back_without_them():
    text = message("pass_rule_failed", "vi", pass_total=80, pass_each=5, total=71)
    assert "80" in text and "5" in text and "chỉ số" in text
    assert message("pass_rule_failed", "en", pass_total=75, pass_each=4).startswith("The scores do not pass")
    assert "%(" not in message("pass_rule_failed", "vi")  # a missing param: the fallback wording, never a crash
    assert message("pass_rule_failed", "en") == FALLBACKS["pass_rule_failed"]
    assert message("year_not_started", "vi", year=2027) == "Năm 2027 chưa bắt đầu."
    assert message("no_such_code", "en") == MESSAGES["invalid"]
    assert message("required", "vi", unused=1) == "Trường này là bắt buộc."


# --- (b) the vocabulary ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", VOCABULARY, ids=lambda k: k.__name__)
def test_every_vocabulary_member_has_an_english_label_and_a_vietnamese_translation(kind: type[Term]):
    translations = Translations.load(str(TRANSLATIONS), ["vi"])
    seen: dict[str, str] = {}
    for member in kind:
        assert isinstance(member.label, str) and member.label.strip(), f"{kind.__name__}.{member.name} has no label"
        assert isinstance(member.tone, Tone)
        assert translated(member.label), f"{kind.__name__}.{member.name}: {member.label!r} is not translated"
        vi = translations.gettext(member.label)
        assert vi and vi != "", f"{kind.__name__}.{member.name} has no Vietnamese"
        assert vi not in seen, f"{kind.__name__}: {member.name} and {seen.get(vi)} both read {vi!r}"
        seen[vi] = member.name


def test_label_and_tone_filters_read_the_vocabulary(app):
    from webapp.pages.formats import label, tone
    from workflows.vocabulary import ApplicationState, CertificateStatus, Event

    with app.test_request_context("/"):
        assert label("approved", ApplicationState) == "Đã được đề nghị công nhận"
        assert label(Event.REJECT) == "Không đề nghị công nhận"
        assert label("failed", CertificateStatus) == "Chưa cấp được"
        assert label("no-such-state", ApplicationState) == "no-such-state" and label(None) == "—"
        assert tone("returned", ApplicationState) == "bad" and tone("recognised", ApplicationState) == "ok"
        assert tone("valid", VerificationStatus, "status") == "status-valid"
    with app.test_request_context("/?lang=en"):
        assert label("approved", ApplicationState) == "Proposed for recognition"


# --- (c) pages ------------------------------------------------------------------------------------------------------

def test_pages_are_vietnamese_by_default_and_english_on_request(client):
    page = client.get("/citizen/register").get_data(as_text=True)
    assert '<html lang="vi">' in page
    assert "Tạo tài khoản" in page and "Số định danh cá nhân (số CCCD)" in page and "Người lao động" in page
    assert "Create an account" not in page
    english = client.get("/citizen/register?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in english
    assert "Create an account" in english and "Personal identification number" in english and "Workers" in english
    assert "Tạo tài khoản" not in english
    again = client.get("/citizen/register").get_data(as_text=True)
    assert '<html lang="vi">' in again  # ?lang= is for one page; the cookie (/language/en) is what persists


def test_an_unknown_verification_code_is_explained_in_the_readers_language(client):
    vi = client.get("/verify/AAAAA-BBBBB").get_data(as_text=True)
    en = client.get("/verify/AAAAA-BBBBB?lang=en").get_data(as_text=True)
    assert "Không tìm thấy" in vi and "Not found" in en


# --- (d) the API ----------------------------------------------------------------------------------------------------

def test_api_error_messages_follow_accept_language(client):
    en = client.post("/api/v1/citizens", json={}, headers={"Accept-Language": "en-GB,en;q=0.9"}).json["error"]
    vi = client.post("/api/v1/citizens", json={}, headers={"Accept-Language": "vi-VN,vi;q=0.9"}).json["error"]
    default = client.post("/api/v1/citizens", json={}).json["error"]
    assert en["code"] == vi["code"] == "invalid"
    assert en["message"] == MESSAGES["invalid"]
    assert vi["message"] == default["message"] == "Dữ liệu chưa hợp lệ. Vui lòng kiểm tra các mục được nêu."
    assert en["fields"]["cccd"] == "This field is required." and vi["fields"]["cccd"] == "Trường này là bắt buộc."
