"""What the citizen is told by e-mail, and the task that sends it. A message names no one but its reader, carries
no identity number, and points to the service (the citizen signs in to see details); Vietnamese first, then
English. Built from the rows when the task runs, so the broker message holds only an id."""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from typing import Protocol

from celery import shared_task
from sqlmodel import Session, select

from workflows.clock import HANOI_OFFSET
from workflows.effects import EffectKind
from workflows.models import Application, Certificate, Citizen, PrivacyRequest, User

from .mail import Mailer, Message
from .password_links import reset_link
from .runtime import runtime

log = logging.getLogger(f"cdht.{__name__}")  # one hierarchy: "cdht"

# (subject, Vietnamese body, English body); {name}, {year}, {link} filled in.
TEXTS: dict[EffectKind, tuple[str, str, str]] = {
    EffectKind.NOTIFY_RETURNED: (
        "Hồ sơ Công dân học tập năm {year} cần bổ sung / Your application needs more evidence",
        ("Kính gửi {name},\n\nHồ sơ đăng ký danh hiệu “Công dân học tập” năm {year} của bạn đã được phường/xã trả lại "
        "để bổ sung. Hãy đăng nhập để đọc nhận xét của cán bộ, bổ sung phần được yêu cầu rồi nộp lại:\n{link}"),
        ("Your {year} application for the title “Learning citizen” was returned by your ward or commune for more "
        "evidence. Sign in to read the reviewer's comment, add what is asked and submit again:\n{link}")),
    EffectKind.NOTIFY_PROPOSED: (
        "Hồ sơ Công dân học tập năm {year} được đề nghị công nhận / Proposed for recognition",
        ("Kính gửi {name},\n\nHồ sơ năm {year} của bạn đã được phường/xã đề nghị công nhận danh hiệu "
        "“Công dân học tập”. Chủ tịch Ủy ban nhân dân phường/xã sẽ ký quyết định công nhận; bạn sẽ nhận thư khi "
        "giấy công nhận sẵn sàng.\n{link}"),
        ("Your {year} application was proposed for recognition as a “Learning citizen”. The Chair of the People's "
        "Committee signs the recognition decision; you will be told when your certificate is ready.\n{link}")),
    EffectKind.NOTIFY_RECOGNISED: (
        "Bạn được công nhận Công dân học tập năm {year} / You are recognised",
        ("Kính gửi {name},\n\nBạn đã được công nhận danh hiệu “Công dân học tập” năm {year}. Giấy công nhận đang "
        "được tạo và sẽ có trong vài phút.\n{link}"),
        ("You are recognised as a “Learning citizen” for {year}. Your certificate of recognition is being prepared "
        "and will be ready in a few minutes.\n{link}")),
    EffectKind.NOTIFY_CERTIFICATE: (
        "Giấy công nhận Công dân học tập năm {year} đã sẵn sàng / Your certificate is ready",
        ("Kính gửi {name},\n\nGiấy công nhận “Công dân học tập” năm {year} của bạn đã sẵn sàng. Đăng nhập để tải về, "
        "in hoặc chia sẻ đường dẫn xác thực:\n{link}"),
        ("Your {year} certificate of recognition as a “Learning citizen” is ready. Sign in to download it, print it "
        "or share its verification link:\n{link}")),
}
RESET_SUBJECT = "Đặt lại mật khẩu CDHT / Reset your CDHT password"
RESET_TEXT = (
    "Kính gửi {name},\n\nCó yêu cầu đặt lại mật khẩu cho tài khoản Công dân học tập của bạn. Mở đường dẫn sau trong "
    "vòng 1 giờ để chọn mật khẩu mới (đường dẫn chỉ dùng được một lần):\n{link}\n\nNếu bạn không yêu cầu, hãy bỏ qua "
    "thư này; mật khẩu của bạn không thay đổi.\n\n---\n\nSomeone asked to reset the password of your Learning "
    "citizen account. Open this link within an hour to choose a new password (it works once):\n{link}\n\nIf it was "
    "not you, ignore this message; your password stays as it is.")
REGISTERED_AGAIN_SUBJECT = "Có người đăng ký bằng số định danh của bạn / Someone registered with your identity number"
REGISTERED_AGAIN_TEXT = (
    "Kính gửi {name},\n\nVừa có người đăng ký tài khoản Công dân học tập bằng số định danh cá nhân của bạn. Số này "
    "đã có tài khoản nên không có tài khoản mới nào được tạo và tài khoản của bạn không thay đổi.\n\nNếu đó là bạn: "
    "hãy đăng nhập, hoặc đặt lại mật khẩu nếu đã quên:\n{link}\n\nNếu không phải bạn, bạn không cần làm gì. Nếu "
    "bạn chưa từng đăng ký, có thể người khác đã đăng ký thay bạn: hãy mang thẻ căn cước đến Ủy ban nhân dân "
    "phường/xã để nhận lại tài khoản.\n\n---\n\nSomeone just tried to register a Learning citizen account with your "
    "personal identification number. The number already has an account, so no account was created and yours is "
    "unchanged.\n\nIf it was you: sign in, or reset your password if you forgot it:\n{link}\n\nIf it was not you, "
    "there is nothing to do. If you never registered, someone else may have registered in your name: bring your "
    "identity card to your ward or commune's People's Committee to take the account back.")
PRIVACY_SUBJECT = "Trả lời yêu cầu về dữ liệu cá nhân / The answer to your request about your personal data"
PRIVACY_TEXT = (
    "Kính gửi {name},\n\nPhường/xã đã trả lời yêu cầu {kind_vi} dữ liệu cá nhân bạn gửi ngày {filed}: {outcome_vi}."
    "{said_vi}\nĐăng nhập để xem tại trang “Dữ liệu của tôi”:\n{link}\n\n---\n\nYour ward or commune answered your "
    "request for {kind_en} of your personal data of {filed}: {outcome_en}.{said_en}\nSign in to see it on the “My "
    "data” page:\n{link}")
PRIVACY_WORDS = {"correction": ("sửa", "correction"), "deletion": ("xóa", "deletion"),
                 "done": ("đã thực hiện", "done"), "refused": ("từ chối", "refused")}
FOOTER = "\n\n--\nHệ thống công nhận Công dân học tập thành phố Hà Nội. Thư tự động, xin đừng trả lời."


@dataclass(frozen=True)
class Notice:
    """What a citizen is told, before a channel carries it: a subject line, the text, and what it is about (for
    the log, never the address)."""

    subject: str
    text: str
    kind: str


class Channel(Protocol):
    """One way of reaching a citizen. E-mail is built; an SMS or a Zalo adapter would be another implementation
    (the address it reads, how it delivers), listed in `channels()` (not built: issue 11 leaves them out)."""

    @property
    def name(self) -> str: ...

    def address(self, citizen: Citizen) -> str | None: ...

    def deliver(self, to: str, notice: Notice) -> None: ...


@dataclass(frozen=True)
class EmailChannel:
    """E-mail to the address the citizen gave, through the configured mailer (MAIL_URL)."""

    mailer: Mailer
    name: str = "email"

    def address(self, citizen: Citizen) -> str | None:
        return citizen.email or None

    def deliver(self, to: str, notice: Notice) -> None:
        self.mailer.send(Message(to=to, subject=notice.subject, body=notice.text, kind=notice.kind))


def channels() -> tuple[Channel, ...]:
    """The channels a notice goes out on: every one the citizen has an address for."""
    return (EmailChannel(runtime().mailer),)


def notice_for(session: Session, kind: EffectKind, entity_id: str) -> tuple[Citizen, Notice] | None:
    """The citizen an effect concerns and what they are told, or None when the row is gone."""
    base = runtime().settings.public_base_url
    if kind == EffectKind.SEND_PASSWORD_RESET:
        user = session.get(User, entity_id)
        citizen = session.exec(select(Citizen).where(Citizen.user_id == entity_id)).first()
        if user is None or citizen is None:
            return None
        text = RESET_TEXT.format(name=citizen.full_name, link=reset_link(user))
        return citizen, Notice(subject=RESET_SUBJECT, text=text + FOOTER, kind=kind.value)
    if kind == EffectKind.NOTIFY_REGISTERED_AGAIN:
        owner = session.get(Citizen, entity_id)
        if owner is None:
            return None
        text = REGISTERED_AGAIN_TEXT.format(name=owner.full_name, link=f"{base}/password/forgot")
        return owner, Notice(subject=REGISTERED_AGAIN_SUBJECT, text=text + FOOTER, kind=kind.value)
    if kind == EffectKind.NOTIFY_PRIVACY:
        return _privacy_notice(session, entity_id, base)
    if kind == EffectKind.NOTIFY_CERTIFICATE:
        cert = session.get(Certificate, entity_id)
        app = session.get(Application, cert.application_id) if cert else None
    else:
        app = session.get(Application, entity_id)
    citizen = session.get(Citizen, app.citizen_id) if app else None
    if app is None or citizen is None:
        return None
    subject, vi, en = TEXTS[kind]
    values = {"name": citizen.full_name, "year": app.year, "link": f"{base}/citizen/"}
    return citizen, Notice(subject=subject.format(**values),
                           text=vi.format(**values) + "\n\n---\n\n" + en.format(**values) + FOOTER, kind=kind.value)


def _privacy_notice(session: Session, request_id: str, base: str) -> tuple[Citizen, Notice] | None:
    """The answer to a request about personal data, with the staff's words (the citizen's own request, their ward's
    answer: no one else's data). An erased profile has no address left, so it is told nothing here (ADR 41)."""
    request = session.get(PrivacyRequest, request_id)
    citizen = session.get(Citizen, request.citizen_id) if request else None
    if request is None or citizen is None or request.state == "open":
        return None
    kind_vi, kind_en = PRIVACY_WORDS[request.kind]
    outcome_vi, outcome_en = PRIVACY_WORDS[request.state]
    said = f"\n«{request.outcome}»" if request.outcome else ""
    text = PRIVACY_TEXT.format(name=citizen.full_name, kind_vi=kind_vi, kind_en=kind_en,
                               filed=(request.filed_at + HANOI_OFFSET).strftime("%d/%m/%Y"), outcome_vi=outcome_vi,
                               outcome_en=outcome_en, said_vi=said, said_en=said, link=f"{base}/citizen/account")
    return citizen, Notice(subject=PRIVACY_SUBJECT, text=text + FOOTER, kind=EffectKind.NOTIFY_PRIVACY.value)


@shared_task(name="cdht.notify", acks_late=True, autoretry_for=(OSError, smtplib.SMTPException),
             retry_backoff=30, retry_kwargs={"max_retries": 5})
def notify(entity_id: str, kind: str) -> str:
    """Send the notice an effect earned on every channel the citizen has an address for (retried with growing
    delays while a channel's server is away)."""
    with Session(runtime().engine) as session:
        found = notice_for(session, EffectKind(kind), entity_id)
    if found is None:
        return "no address"
    citizen, notice = found
    sent = 0
    for channel in channels():
        to = channel.address(citizen)
        if to:
            channel.deliver(to, notice)
            sent += 1
    return "sent" if sent else "no address"
