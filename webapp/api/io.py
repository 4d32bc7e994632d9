"""Reading JSON requests (answers are shaped in webapp.serializers)."""

from typing import Any

from ..security import BadJson, request_json


def json_body() -> dict[str, Any]:
    """The request body as a JSON object, or a 400 naming the problem (malformed, not an object, too deep)."""
    data = request_json()
    if not isinstance(data, dict):
        raise BadJson()
    return data
