"""E-mail to citizens (the e-mail channel of webapp.notifications; SMS or Zalo would be other channels): SMTP for
production, a folder of .eml files for `make run`, none at all when MAIL_URL is empty. Only workers send (the web
tier never waits on a mail server); nothing personal is logged, only that a message of a kind went out."""

from __future__ import annotations

import logging
import smtplib
import ssl
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

log = logging.getLogger(f"cdht.{__name__}")  # one hierarchy: "cdht"
TIMEOUT_S = 20


@dataclass(frozen=True)
class Message:
    """One message to one person: plain text (every mail reader shows it; links stay whole)."""

    to: str
    subject: str
    body: str
    kind: str  # what it is about, for the log (never the address)


class Mailer(Protocol):
    """Delivers a message or raises (the task retries)."""

    def send(self, message: Message) -> None: ...


def _email(message: Message, sender: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = sender, message.to, message.subject
    mail["Date"], mail["Message-ID"] = formatdate(localtime=False), make_msgid(domain="cdht")
    mail.set_content(message.body)
    return mail


@dataclass(frozen=True)
class SmtpMailer:
    """An SMTP server: plain (a relay on the local network), STARTTLS, or TLS from the start."""

    host: str
    port: int
    sender: str
    user: str | None = None
    password: str | None = None
    tls: str = ""  # "", "starttls" or "tls"

    def send(self, message: Message) -> None:
        context = ssl.create_default_context()
        smtp: smtplib.SMTP = (smtplib.SMTP_SSL(self.host, self.port, timeout=TIMEOUT_S, context=context)
                              if self.tls == "tls" else smtplib.SMTP(self.host, self.port, timeout=TIMEOUT_S))
        with smtp:
            if self.tls == "starttls":
                smtp.starttls(context=context)
            if self.user:
                smtp.login(self.user, self.password or "")
            smtp.send_message(_email(message, self.sender))
        log.info("mail sent: %s", message.kind)


@dataclass(frozen=True)
class FolderMailer:
    """Each message written as a .eml file (open it with any mail reader): `make run` sends nothing anywhere."""

    folder: Path
    sender: str

    def send(self, message: Message) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{message.kind}-{uuid.uuid4().hex[:12]}.eml"
        path.write_bytes(bytes(_email(message, self.sender)))
        log.info("mail written to the outbox folder: %s", message.kind)


class NoMailer:
    """No e-mail configured: nothing is sent (the ward gives new activation codes at its desk)."""

    def send(self, message: Message) -> None:
        log.info("no MAIL_URL: %s not sent", message.kind)


def mailer_from_url(url: str, sender: str) -> Mailer:
    """The mailer a MAIL_URL names (config.from_env checked its scheme)."""
    if not url:
        return NoMailer()
    parts = urlsplit(url)
    if parts.scheme == "folder":
        return FolderMailer(Path(unquote(parts.path)), sender)
    tls = {"smtps": "tls", "smtp+starttls": "starttls"}.get(parts.scheme, "")
    default_port = {"tls": 465, "starttls": 587}.get(tls, 25)
    return SmtpMailer(host=parts.hostname or "127.0.0.1", port=parts.port or default_port, sender=sender,
                      user=unquote(parts.username) if parts.username else None,
                      password=unquote(parts.password) if parts.password else None, tls=tls)
