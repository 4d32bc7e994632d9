"""The official Vietnamese of docs/glossary.md: no template and no Vietnamese translation uses a form it says to avoid.

The list below mirrors the glossary's "avoid" column; each failure names the file and line.
"""

import re
import unicodedata
from datetime import date
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from webapp.i18n import catalogue_path
from webapp.pages.formats import long_date

ROOT = Path(__file__).resolve().parents[2]
# (why, pattern): matched case-insensitively on NFC text.
AVOID: tuple[tuple[str, re.Pattern[str]], ...] = tuple((why, re.compile(pattern, re.IGNORECASE)) for why, pattern in (
    # one tone-mark style, the older one: khóa, xóa, hòa, hóa, thủy, lũy, Ủy
    ("new-style tone mark: write khóa, xóa, hòa, hóa", r"\b(khoá|xoá|hoà|hoá)\b"),
    ("new-style tone mark (oa, oe, uy in an open syllable): write e.g. thủy, lũy, Ủy, khỏe",
     r"\b\w*(?<![qQ])(o[àáảãạ]|o[èéẻẽẹ]|u[ỳýỷỹỵ])\b"),
    # plain words a clerk would write
    ("error heading: write 'Cần sửa các mục sau'", r"Có vấn đề"),
    ("certificate status: write 'Chưa cấp được'", r"Cấp lỗi"),
    ("step state: write 'Chưa đến bước này' or 'Chưa bắt đầu'", r"Chưa tới"),
    ("date input: explain 'ngày, tháng, năm', e.g. 'Ví dụ: 17 5 1990'", r"NNNN-TT-NN|dd/mm/yyyy"),
    # a reviewer proposes; only the chair's Quyết định công nhận is a "Quyết định"
    ("the reviewer's verdict is not a 'Quyết định'",
     r"Quyết định (của (phường|xã|bạn|người xét|cán bộ)|xét)\b|Lưu quyết định|xét hồ sơ mới ghi quyết định"),
    ("the reviewer proposes: 'Đề nghị công nhận', not 'Công nhận đạt'", r"Công nhận đạt"),
    ("the reviewer proposes: 'Đã được đề nghị công nhận', not 'đã duyệt'", r"(phường|xã) đã duyệt"),
    ("the reviewer's refusal is 'Không đề nghị công nhận'", r"(?<!đề nghị )(?<!được )\bKhông công nhận\b"),
    # chỉ số (ten scored items) versus tiêu chí (three competences)
    ("a scored item is a 'chỉ số', not a 'tiêu chí'",
     (r"\b(10|mười) tiêu chí|tiêu chí (này|nào) dưới|tiêu chí [IVX]+\.\d|tiêu chí liên quan|mỗi tiêu chí chấm"
      r"|chấm (đủ )?(\d+ )?tiêu chí|đạt tiêu chí nào")),
    # the unit is the citizen's own phường or xã
    ("generic unit: write 'phường/xã'", r"(?<![/(])\bphường\b(?!/xã)(?!(?-i: [A-ZĐ]))"),  # not "Phường Ba Đình"
    ("write 'phường/xã', not 'xã/phường'", r"xã/phường"),
    # Luật Căn cước 2023
    ("write 'Số định danh cá nhân (số CCCD)'", r"(?<!\()\bsố CCCD\b|số căn cước công dân"),
    ("CMND no longer exists: write 'Số định danh cá nhân (số CCCD)'", r"\bCMND\b|chứng minh nhân dân"),
    ("one-stop desk: write 'Trung tâm Phục vụ hành chính công'", r"bộ phận một cửa"),
    # Nghị định 30/2020: a leading zero only for days below 10 and for months 1 and 2
    ("date written out: months 3–12 without a leading zero (ngày 05 tháng 8)", r"tháng 0[3-9]\b"),
    ("date written out: a leading zero for days below 10 and months 1, 2", r"ngày [1-9] tháng|tháng [12] năm"),
))

# Where a form is right although a pattern matches: the two kinds listed apart on the registration form.
ALLOWED_MSGSTRS = {"Phường", "Xã"}


def findings(text: str) -> list[str]:
    text = unicodedata.normalize("NFC", text)
    return [f"{why}: {m.group(0)!r}" for why, pattern in AVOID for m in pattern.finditer(text)]


def template_lines():
    templates = ROOT / "templates"
    for path in sorted([*templates.joinpath("pages").rglob("*.html"), *templates.glob("*.html")]):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            # code comparing stored values (kind == 'phường') is not text anyone reads
            yield f"{path.relative_to(ROOT)}:{number}", re.sub(r"==\s*'[^']*'", "", line)


def msgstr_lines():
    path = catalogue_path("vi", "po")
    with path.open("rb") as f:
        catalogue = read_po(f, locale="vi")
    for message in catalogue:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in strings:
            if text not in ALLOWED_MSGSTRS:
                yield f"{path.relative_to(ROOT)}:{message.lineno} (msgid {message.id!r})", text


def test_templates_use_the_glossary():
    wrong = [f"{where}: {problem}" for where, line in template_lines() for problem in findings(line)]
    assert not wrong, "forms docs/glossary.md says to avoid:\n" + "\n".join(wrong)


def test_vietnamese_translations_use_the_glossary():
    wrong = [f"{where}: {problem}" for where, text in msgstr_lines() for problem in findings(text)]
    assert not wrong, "forms docs/glossary.md says to avoid:\n" + "\n".join(wrong)


def test_e_mails_use_the_glossary():
    from webapp.notifications import FOOTER, RESET_SUBJECT, RESET_TEXT, TEXTS

    texts = {f"webapp/notifications.py ({kind})": f"{subject} {vi}" for kind, (subject, vi, _en) in TEXTS.items()}
    texts |= {"webapp/notifications.py (reset)": f"{RESET_SUBJECT} {RESET_TEXT} {FOOTER}"}
    wrong = [f"{where}: {problem}" for where, text in texts.items() for problem in findings(text)]
    assert not wrong, "forms docs/glossary.md says to avoid:\n" + "\n".join(wrong)


@pytest.mark.parametrize("text", [
    "Tệp PDF có mật khẩu, vui lòng gửi bản không khoá.",
    "Bạn có thể yêu cầu xoá dữ liệu.",
    "Uỷ ban nhân dân phường/xã",
    "Có vấn đề",
    "Cấp lỗi:",
    "Chưa tới",
    "Ngày phải theo dạng NNNN-TT-NN.",
    "Quyết định của phường",
    "Quyết định xét",
    "Quyết định của bạn",
    "Lưu quyết định",
    "Công nhận đạt",
    "Tự đánh giá theo 10 tiêu chí",
    "Tiêu chí này dưới 5 điểm.",
    "Tổng điểm từ 80 trở lên và không tiêu chí nào dưới 5",
    "Phường xét",
    "Người dân trong xã/phường",
    "Số CCCD",
    "Số CCCD phải gồm đúng 12 chữ số.",
    "Số CMND",
    "bộ phận một cửa của phường/xã",
    "ngày 05 tháng 08 năm 2026",
    "ngày 5 tháng 8 năm 2026",
])
def test_a_reintroduced_wrong_form_is_caught(text):
    assert findings(text), f"the glossary test would miss {text!r}"


@pytest.mark.parametrize("text", [
    "Tệp PDF có mật khẩu, vui lòng gửi bản không khóa.",
    "Ủy ban nhân dân phường/xã", "Khóa học, lớp học", "hòa giải mâu thuẫn", "quý", "Thủy", "Huỳnh",
    "Cần sửa các mục sau", "Chưa đến bước này", "Ghi ngày, tháng, năm bằng số. Ví dụ: 17 5 1990",
    "Quyết định công nhận số 12/QĐ-UBND", "Đề nghị công nhận", "Không đề nghị công nhận",
    "Không được đề nghị công nhận", "Tự đánh giá theo 10 chỉ số", "10 chỉ số được chia theo 3 tiêu chí.",
    "Tiêu chí I. Năng lực tự học và học tập suốt đời", "Phường/xã xét", "Phường Ba Đình",
    "Số định danh cá nhân (số CCCD)", "Trung tâm Phục vụ hành chính công",
    "ngày 05 tháng 8 năm 2026", "ngày 15 tháng 02 năm 2026", "ngày 01 tháng 01 năm 2027",
])
def test_the_right_forms_pass(text):
    assert not findings(text)


def test_long_dates_follow_decree_30():
    assert long_date(date(2026, 8, 5)) == "ngày 05 tháng 8 năm 2026"
    assert long_date(date(2026, 2, 15)) == "ngày 15 tháng 02 năm 2026"
    assert long_date(date(2027, 1, 1)) == "ngày 01 tháng 01 năm 2027"
    assert long_date(date(2026, 12, 25)) == "ngày 25 tháng 12 năm 2026"
    assert long_date("2026-03-09") == "ngày 09 tháng 3 năm 2026"
    assert long_date(date(2026, 8, 5), "en") == "5 August 2026"
    assert long_date(None) == "—"
