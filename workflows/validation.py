"""Small parsers that turn raw input into typed values or field error codes."""

from collections.abc import Mapping
from datetime import date
from typing import Any


class FieldErrors(dict[str, str]):
    """Collects field → error code while a whole form is checked, so every problem is reported at once."""

    def require(self, data: Mapping[str, Any], name: str) -> Any:
        """Return the value or record 'required' when it is missing or blank."""
        value = data.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            self.setdefault(name, "required")
            return None
        return value

    def text(self, data: Mapping[str, Any], name: str, max_length: int, required: bool = True) -> str | None:
        """Return a stripped string within max_length."""
        value = self.require(data, name) if required else data.get(name)
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            self[name] = "not_text"
            return None
        value = value.strip()
        if len(value) > max_length:
            self[name] = "too_long"
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
        try:
            number = int(str(value).strip()) if isinstance(value, str) else int(value)
        except (TypeError, ValueError):
            self[name] = "not_integer"
            return None
        if isinstance(value, float) and value != number:
            self[name] = "not_integer"
            return None
        if not low <= number <= high:
            self[name] = "out_of_range"
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
