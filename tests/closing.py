"""Closing an app a test made: its database connections closed now, not when some later test's garbage collection
finds them (where an open connection's ResourceWarning fails whichever test is running then)."""

import gc
from typing import Any


def close_app(application: Any) -> None:
    """Collect what still holds a connection of the app (a request's objects in a reference cycle), so that it goes
    back to the pool, then close every pooled connection."""
    gc.collect()
    application.extensions["cdht"].engine.dispose()
