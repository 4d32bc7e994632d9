"""Page guards: signed in, with one of the given roles."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import redirect, request, url_for

from workflows.errors import NotFound

from ..auth import page_actor


def require_role(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Send anonymous visitors to sign in; another role gets 'not found'."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            actor = page_actor()
            if actor is None:
                return redirect(url_for("public.login", next=request.path))
            if roles and actor.role not in roles:
                raise NotFound()
            return view(actor, *args, **kwargs)

        return wrapper

    return decorate


