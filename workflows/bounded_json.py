"""JSON from outside (a request body, an uploaded or loaded file), refused when it nests deeper than any document of
ours: the parser and everything that walks the value recurse, and Python's stack is finite (100,000 nested lists
are a RecursionError, not a value)."""

import json
from typing import Any

# No request body or criteria file of ours nests deeper than a few levels.
MAX_DEPTH = 32


class TooDeep(ValueError):
    """The JSON nests deeper than MAX_DEPTH (or deeper than the parser itself can go)."""


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether lists and objects in the value nest deeper than the limit (walked without recursion)."""
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth > limit:
                return True
            stack.extend((child, depth + 1) for child in (node.values() if isinstance(node, dict) else node))
    return False


def loads(data: str | bytes, limit: int = MAX_DEPTH) -> Any:
    """The parsed value; TooDeep when it nests deeper than the limit, another ValueError when it is not JSON
    (json.JSONDecodeError) or not text (UnicodeDecodeError)."""
    try:
        value = json.loads(data)
    except RecursionError as exc:  # the parser gave up on the nesting
        raise TooDeep(f"nested deeper than {limit} levels") from exc
    if too_deep(value, limit):
        raise TooDeep(f"nested deeper than {limit} levels")
    return value
