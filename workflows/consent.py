"""The consent texts as versioned data (Law 91/2025/QH15, ADR 41): each version's Vietnamese and English wording and
the purposes it covers. Registration (online, at the ward's desk, a ward's import) shows the current version and
records one `ConsentRecord` per purpose it covers, in the registration's own transaction. A version is never edited
once citizens agreed to it: a change of wording is a new version, and CURRENT moves to it.

What the current text says is what the system does; ADR 41 lists each promise with the code that keeps it.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .models.ids import new_id

ONLINE, PAPER = "online", "paper"  # how consent was given


@dataclass(frozen=True)
class Purpose:
    """One purpose a citizen consents to: its stable code and its name in both languages."""

    code: str
    vi: str
    en: str


RECOGNITION = Purpose("recognition", "Xét và công nhận danh hiệu “Công dân học tập”",
                      "Assessing and recognising the “Learning citizen” title")
DIGITAL_SKILLS = Purpose("digital_skills", "Ghi nhận và xác nhận kỹ năng số",
                         "Recording and verifying digital skills")
CONTACT = Purpose("contact", "Báo cho bạn về hồ sơ và yêu cầu của bạn",
                  "Telling you about your application and your requests")
STATISTICS = Purpose("statistics", "Thống kê của thành phố (chỉ là số đếm, không nêu tên ai)",
                     "The city's statistics (counts only, naming no one)")
PURPOSES = {p.code: p for p in (RECOGNITION, DIGITAL_SKILLS, CONTACT, STATISTICS)}


@dataclass(frozen=True)
class ConsentText:
    """One version of the consent text: what the citizen read (paragraphs, in each language) and agreed to."""

    version: str
    purposes: tuple[str, ...]
    vi: tuple[str, ...]
    en: tuple[str, ...]

    def paragraphs(self, language: str) -> tuple[str, ...]:
        return self.vi if language == "vi" else self.en

    def purpose_names(self, language: str) -> list[str]:
        return [getattr(PURPOSES[code], "vi" if language == "vi" else "en") for code in self.purposes]


TEXTS: dict[str, ConsentText] = {
    # The first text (registration from 2026 until ADR 41): one purpose.
    "2026-01": ConsentText(
        version="2026-01",
        purposes=(RECOGNITION.code,),
        vi=(("Dữ liệu của bạn (số định danh cá nhân, họ tên, ngày sinh, giới tính, nơi cư trú, nhóm đối tượng và thông "
             "tin liên hệ) chỉ được Ủy ban nhân dân và Hội Khuyến học phường/xã dùng để xét và công nhận danh hiệu "
             "“Công dân học tập”, theo Luật Bảo vệ dữ liệu cá nhân số 91/2025/QH15. Bạn có thể yêu cầu xem, sửa hoặc "
             "xóa dữ liệu của mình bất cứ lúc nào."),),
        en=(("Your data (personal identification number, name, date of birth, sex, residence, target group and "
             "contact details) is used by the People's Committee and the Association for Promoting Education of your "
             "ward or commune only to assess and recognise the “Learning citizen” title, under the Personal Data "
             "Protection Law No. 91/2025/QH15. You can ask to see, correct or delete it at any time."),),
    ),
    # ADR 41: what is collected, for which purposes, who sees it, how long it is kept, the rights and where to use
    # them, as the system does them.
    "2026-02": ConsentText(
        version="2026-02",
        purposes=(RECOGNITION.code, DIGITAL_SKILLS.code, CONTACT.code, STATISTICS.code),
        vi=(
            ("Dữ liệu được thu thập: số định danh cá nhân, họ tên, ngày sinh, giới tính, phường/xã và tổ dân phố/thôn, "
             "nhóm đối tượng, thư điện tử và số điện thoại (nếu bạn cung cấp); các hoạt động học tập, minh chứng và "
             "điểm tự chấm của bạn; kết quả kỹ năng số (bài kiểm tra, chứng chỉ khóa học bạn gửi, kết quả do nền tảng "
             "đào tạo gửi về theo số định danh cá nhân)."),
            ("Mục đích: xét và công nhận danh hiệu “Công dân học tập”; ghi nhận và xác nhận kỹ năng số; báo cho bạn "
             "qua thư điện tử về hồ sơ, yêu cầu của bạn và đường dẫn đặt lại mật khẩu; thống kê của thành phố (chỉ "
             "là số đếm, không nêu tên ai)."),
            ("Người được xem: cán bộ xét hồ sơ và Chủ tịch Ủy ban nhân dân phường/xã nơi bạn cư trú (hồ sơ chỉ sau "
             "khi bạn nộp), cán bộ trung tâm học tập cộng đồng khi ghi kết quả đánh giá có giám sát, quản trị viên "
             "của thành phố. Số định danh cá nhân được che bớt trên các trang của cán bộ và không bao giờ được ghi vào "
             "nhật ký hệ thống. Giấy công nhận và mã QR của nó ghi họ tên và ngày sinh của bạn: ai có giấy hoặc mã "
             "xác thực đều kiểm tra được."),
            ("Thời gian lưu: trong thời gian bạn còn tài khoản. Hồ sơ đã nộp, quyết định công nhận, Giấy công nhận và "
             "nhật ký thay đổi là hồ sơ của quyết định hành chính nên được lưu giữ theo quy định về lưu trữ, kể cả "
             "khi bạn yêu cầu xóa."),
            ("Quyền của bạn (Luật Bảo vệ dữ liệu cá nhân số 91/2025/QH15): tại trang “Dữ liệu của tôi”, bạn tải về "
             "toàn bộ dữ liệu hệ thống giữ về bạn, yêu cầu sửa hoặc xóa dữ liệu; phường/xã trả lời trong 2 ngày làm "
             "việc. Rút lại sự đồng ý là yêu cầu xóa: khi chưa nộp hồ sơ nào và chưa có Giấy công nhận, thông "
             "tin cá nhân được xóa và tài khoản bị khóa; nếu đã có, yêu cầu bị từ chối và bạn được cho biết căn "
             "cứ pháp lý. Bạn cũng có thể hỏi tại Trung tâm Phục vụ hành chính công của phường/xã."),
        ),
        en=(
            ("What is collected: your personal identification number, name, date of birth, sex, ward or commune and "
             "residential group or village, target group, e-mail address and phone number (when you give them); your "
             "learning activities, their evidence and your self-scores; your digital skills records (tests, course "
             "certificates you send, completions a training platform sends in by your identification number)."),
            ("Purposes: assessing and recognising the “Learning citizen” title; recording and verifying digital "
             "skills; telling you by e-mail about your application and your requests, and sending password-reset "
             "links; the city's statistics (counts only, naming no one)."),
            ("Who sees it: the reviewers and the Chair of the People's Committee of the ward or commune where you "
             "live (your application only once you submit it), community learning centre staff when they record a "
             "supervised assessment, and the city's administrators. Your identification number is masked on staff "
             "pages and never written in the system's logs. A certificate of recognition and its QR code carry your "
             "name and date of birth: anyone holding it or its verification code can check it."),
            ("How long it is kept: while you have an account. Submitted applications, recognition decisions, "
             "certificates and the record of changes are records of administrative decisions and are kept as the "
             "law on archives requires, even when you ask for deletion."),
            ("Your rights (Personal Data Protection Law No. 91/2025/QH15): on the “My data” page you download "
             "everything the system holds about you and ask for correction or deletion; your ward or commune answers "
             "within 2 working days. Withdrawing consent is a deletion request: when you never submitted an "
             "application and hold no certificate, your profile is erased and your account closed; otherwise the "
             "request is refused and you are told the legal ground. You can also ask at the Public Administrative "
             "Service Centre of your ward or commune."),
        ),
    ),
}
CURRENT = "2026-02"


def current() -> ConsentText:
    """The version registration shows and records today."""
    return TEXTS[CURRENT]


def rows(entries: Iterable[tuple[str, str | None, str | None]], *, channel: str, at: datetime,
         version: str = CURRENT) -> list[dict[str, Any]]:
    """The consent rows of new citizens, one per purpose the version covers: each entry is (the citizen's id, the
    paper form's number or None, the account it was given through: the citizen's own online, the official's on
    paper). Written with the registration, in its transaction."""
    purposes = TEXTS[version].purposes
    return [{"id": new_id(), "citizen_id": citizen_id, "purpose": purpose, "text_version": version,
             "channel": channel, "reference": reference, "given_at": at, "given_by": given_by,
             "withdrawn_at": None}
            for citizen_id, reference, given_by in entries for purpose in purposes]
