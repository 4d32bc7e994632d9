"""Small parsers that turn raw input into typed values or field error codes."""

import math
import re
import unicodedata
from collections.abc import Mapping
from datetime import date
from typing import Any

from .errors import Invalid

_ASCII_INT = re.compile(r"[0-9]{1,9}")


def parse_int(raw: object, low: int, high: int) -> int | None:
    """Parse a whole number typed as ASCII digits (not '²' or '１') within [low, high]; None otherwise."""
    text = raw.strip() if isinstance(raw, str) else ""
    if not _ASCII_INT.fullmatch(text):
        return None
    number = int(text)
    return number if low <= number <= high else None


class FieldErrors(dict[str, str]):
    """Collects field → error code while a whole form is checked, so every problem is reported at once; `limits`
    keeps, for a value too long or out of range, the limit it broke ({"max": 200}, {"low": 0, "high": 10}), so that
    the message can say it."""

    def __init__(self) -> None:
        super().__init__()
        self.limits: dict[str, dict[str, int]] = {}

    def invalid(self, **params: Any) -> Invalid:
        """The Invalid these errors make, with the limits that were broken (for messages that say them)."""
        if self.limits:
            params["limits"] = self.limits
        return Invalid(fields=dict(self), **params)

    def require(self, data: Mapping[str, Any], name: str) -> Any:
        """Return the value or record 'required' when it is missing or blank."""
        value = data.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            self.setdefault(name, "required")
            return None
        return value

    def text(self, data: Mapping[str, Any], name: str, max_length: int, required: bool = True) -> str | None:
        """Return a stripped, NFC-normalised string within max_length (measured after normalising)."""
        value = self.require(data, name) if required else data.get(name)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            self[name] = "not_text"
            return None
        value = unicodedata.normalize("NFC", value).strip()
        if len(value) > max_length:
            self[name] = "too_long"
            self.limits[name] = {"max": max_length}
            return None
        return value

    def iso_date(self, data: Mapping[str, Any], name: str, required: bool = True) -> date | None:
        """Return a date from YYYY-MM-DD."""
        value = self.require(data, name) if required else data.get(name)
        if value is None or value == "":
            return None
        try:
            return date.fromisoformat(str(value).strip())
        except ValueError:
            self[name] = "date_format"
            return None

    def secret(self, data: Mapping[str, Any], name: str, max_length: int = 128) -> str | None:
        """Return a password exactly as typed (never stripped: spaces are part of it)."""
        value = self.require(data, name)
        if value is None:
            return None
        if not isinstance(value, str):
            self[name] = "not_text"
            return None
        if len(value) > max_length:
            self[name] = "too_long"
            self.limits[name] = {"max": max_length}
            return None
        return value

    def integer(self, data: Mapping[str, Any], name: str, low: int, high: int, required: bool = True) -> int | None:
        """Return an int within [low, high]; strings of digits are accepted (forms send text)."""
        value = self.require(data, name) if required else data.get(name)
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            self[name] = "not_integer"
            return None
        if isinstance(value, str):
            parsed = parse_int(value, -(10**9), 10**9)
            if parsed is None:
                self[name] = "not_integer"
                return None
            number = parsed
        elif isinstance(value, int):
            number = value
        elif isinstance(value, float) and math.isfinite(value) and value.is_integer():
            number = int(value)
        else:
            self[name] = "not_integer"
            return None
        if isinstance(value, float) and value != number:
            self[name] = "not_integer"
            return None
        if not low <= number <= high:
            self[name] = "out_of_range"
            self.limits[name] = {"low": low, "high": high}
            return None
        return number

    def choice(self, data: Mapping[str, Any], name: str, options: tuple[str, ...]) -> str | None:
        """Return one of the allowed options."""
        value = self.require(data, name)
        if value is None:
            return None
        if value not in options:
            self[name] = "invalid_choice"
            return None
        return str(value)
