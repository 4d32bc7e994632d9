"""How the web, the worker and beat write their logs (ADR 45): one JSON object a line (`LOG_FORMAT=json`, production's
default) or a plain line (`text`, the embedded runtime's), each with the request's id and, in a task, the task's.

Every handler set up here carries `MaskIdentityNumbers`, a safety net under the rule that no personal data is logged:
any run of exactly twelve digits (the length of a CCCD number) is masked in the message and in a traceback.
"""

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

from . import request_id

FORMATS = ("json", "text")
_CCCD = re.compile(r"(?<!\d)\d{12}(?!\d)")
MASKED = "************"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
_HANDLER_NAME = "cdht"  # the handler this module owns on a logger, replaced (never doubled) when set up again


def mask_identity_numbers(text: str) -> str:
    """The text with every run of exactly twelve digits masked."""
    return _CCCD.sub(MASKED, text)


class MaskIdentityNumbers(logging.Filter):
    """Masks twelve-digit runs in the record's message and traceback, and adds the request's and task's ids."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_identity_numbers(message)
        if masked != message or record.args:
            record.msg, record.args = masked, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_identity_numbers(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_identity_numbers(record.stack_info)
        for name, var in (("request_id", request_id.request_id), ("task_id", request_id.task_id),
                          ("task_name", request_id.task_name)):
            if getattr(record, name, None) is None:
                setattr(record, name, var.get())
        if getattr(record, "request_id", None) is None:
            record.request_id = "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, request_id; task_id and task in a
    task; fields a caller passed in `extra=` under `FIELDS`; the traceback under `exc`."""

    FIELDS = ("method", "path", "status", "duration_ms", "bytes")  # the access log's (webapp.access_log)

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        if entry["request_id"] == "-":
            entry["request_id"] = None
        if getattr(record, "task_id", None):
            entry["task_id"] = record.task_id  # type: ignore[attr-defined]
            entry["task"] = getattr(record, "task_name", None)
        for name in self.FIELDS:
            if hasattr(record, name):
                entry[name] = getattr(record, name)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False, default=str)


def formatter(log_format: str) -> logging.Formatter:
    """The formatter for LOG_FORMAT (json or text)."""
    return JsonFormatter() if log_format == "json" else logging.Formatter(TEXT_FORMAT)


def handler(log_format: str, stream: Any = None) -> logging.Handler:
    """A stream handler (stderr by default) with the format and the identity-number filter."""
    made = logging.StreamHandler(stream or sys.stderr)
    made.set_name(_HANDLER_NAME)
    made.setFormatter(formatter(log_format))
    made.addFilter(MaskIdentityNumbers())
    return made


def configure(log_format: str, level: int | str = logging.INFO, logger: logging.Logger | None = None) -> None:
    """Send `logger`'s records (the root's by default: every library's too) to one handler of this format; a second
    call replaces the handler it made, never adds one."""
    target = logger or logging.getLogger()
    for old in [h for h in target.handlers if h.get_name() == _HANDLER_NAME]:
        target.removeHandler(old)
    target.addHandler(handler(log_format))
    target.setLevel(level)


def protect(target: logging.Logger, log_format: str) -> None:
    """Give a logger's own handlers (gunicorn's) the format and the identity-number filter."""
    for existing in target.handlers:
        existing.setFormatter(formatter(log_format))
        if not any(isinstance(f, MaskIdentityNumbers) for f in existing.filters):
            existing.addFilter(MaskIdentityNumbers())
