"""One id per request, in every log line it causes: the web's and the worker's (ADR 45).

The id is taken from an incoming `X-Request-ID` header when it is well-formed (a short run of letters, digits and
`-_.:`), else made here; it is returned in the response's header and carried into every Celery task the request sends,
as a header of the message (`before_task_publish`). The worker reads it back before the task runs (`task_prerun`),
with the task's id and name, so that the task's log lines carry the same id. Tasks a task sends carry it further.
"""

import re
import secrets
from contextvars import ContextVar
from typing import Any

from celery.signals import before_task_publish, task_postrun, task_prerun
from flask import Flask, Response, request

HEADER = "X-Request-ID"
MESSAGE_HEADER = "cdht_request_id"  # the Celery message header carrying it
_WELL_FORMED = re.compile(r"[A-Za-z0-9._:-]{8,64}")

request_id: ContextVar[str | None] = ContextVar("cdht_request_id", default=None)
task_id: ContextVar[str | None] = ContextVar("cdht_task_id", default=None)
task_name: ContextVar[str | None] = ContextVar("cdht_task_name", default=None)


def accepted(value: str | None) -> str | None:
    """The incoming id if it is well-formed (8 to 64 characters of A-Z a-z 0-9 . _ : -), else None."""
    return value if value and _WELL_FORMED.fullmatch(value) else None


def new_id() -> str:
    """A fresh id: 128 random bits as 32 hex characters."""
    return secrets.token_hex(16)


def init_app(app: Flask) -> None:
    """Give each request its id before any view runs, and return it in the response."""

    @app.before_request
    def _take_id() -> None:
        request_id.set(accepted(request.headers.get(HEADER)) or new_id())

    @app.after_request
    def _return_id(response: Response) -> Response:
        current = request_id.get()
        if current:
            response.headers[HEADER] = current
        return response

    @app.teardown_request
    def _forget_id(_exc: BaseException | None) -> None:
        request_id.set(None)  # a thread serves many requests: none inherits the last one's id


@before_task_publish.connect  # type: ignore[untyped-decorator]
def _carry_into_message(headers: dict[str, Any] | None = None, **_kwargs: Any) -> None:
    current = request_id.get()
    if current and headers is not None:
        headers.setdefault(MESSAGE_HEADER, current)


@task_prerun.connect  # type: ignore[untyped-decorator]
def _read_from_message(task_id: str | None = None, task: Any = None, **_kwargs: Any) -> None:
    carried = getattr(getattr(task, "request", None), MESSAGE_HEADER, None)
    _set_task(accepted(carried) if isinstance(carried, str) else None, task_id, getattr(task, "name", None))


@task_postrun.connect  # type: ignore[untyped-decorator]
def _forget_task(**_kwargs: Any) -> None:
    _set_task(None, None, None)


def _set_task(carried: str | None, this_task: str | None, name: str | None) -> None:
    request_id.set(carried)
    task_id.set(this_task)
    task_name.set(name)
