"""Domain errors: a stable code, the HTTP-ish kind, and per-field error codes for forms and the API."""

from collections.abc import Mapping


class DomainError(Exception):
    """Base of every error the domain raises on purpose."""

    status = 400
    code = "bad_request"

    def __init__(self, code: str | None = None, fields: Mapping[str, str] | None = None, **params: object):
        self.code = code or type(self).code
        self.fields: dict[str, str] = dict(fields or {})
        self.params = params
        super().__init__(self.code)


class Invalid(DomainError):
    """The input breaks a rule; `fields` names each bad field with an error code."""

    status = 422
    code = "invalid"


class NotFound(DomainError):
    """The object does not exist or the actor may not know it exists."""

    status = 404
    code = "not_found"


class Forbidden(DomainError):
    """The actor is known but their role may not do this."""

    status = 403
    code = "forbidden"


class Conflict(DomainError):
    """The request clashes with the current state (duplicate, stale version, wrong state)."""

    status = 409
    code = "conflict"
