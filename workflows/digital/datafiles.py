"""What the frameworks and the item banks share: reading a JSON data file and checking its numbers, each error
naming the file and the entry (raised as the caller's own error class)."""

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def read_object(path: Path, error: type[ValueError]) -> tuple[bytes, dict[str, Any]]:
    """The file's bytes (for its hash) and its one JSON object."""
    try:
        raw = path.read_bytes()
        doc = json.loads(raw.decode("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise error(f"{path.name}: not readable as UTF-8 JSON ({exc})") from exc
    if not isinstance(doc, dict):
        raise error(f"{path.name}: the file must hold one JSON object")
    return raw, doc


def whole(doc: Mapping[str, Any], key: str, where: str, low: int, high: int, error: type[ValueError]) -> int:
    """A whole number from low to high (a boolean is not one)."""
    value = doc.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise error(f"{where}: '{key}' must be a whole number from {low} to {high}")
    return value
