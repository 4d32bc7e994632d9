"""Who ran an operator command: every `flask` command that can change something writes an audit record naming its
operator and what they asked for, before it runs, so the trail says who did what the system then did in their name.

The operator is `CDHT_OPERATOR` when set (a deployment tool names its user), else the login behind `sudo`
(`SUDO_USER`), else the process's own user. The options are kept with identity numbers masked, and anything that
could be a secret (a password, a key, a code) left out.
"""

from __future__ import annotations

import functools
import getpass
import os
import re
from collections.abc import Callable, Mapping
from typing import Any

import click
from flask.cli import with_appcontext

from workflows.cccd import mask
from workflows.db import session_scope
from workflows.models import AuditEvent
from workflows.vocabulary import Entity, Event, Role

from .runtime import runtime

# Commands that only read, that run before the audit trail exists, or whose own record would do their work (its
# commit seals every record without a seal, which is what `audit seal` is for): nothing to record.
READ_ONLY = frozenset({"db upgrade", "public-key", "rollup check", "targets list", "campaigns list",
                       "criteria list", "criteria export", "audit verify", "audit seal", "certificates keys",
                       "certificates verify", "backup"})
# Commands that write their own record once done: `restore` has no database to write in before it runs (or one it
# is about to replace), so it records itself in the restored one.
RECORDS_ITSELF = frozenset({"restore"})
_SECRET = re.compile(r"password|secret|key|token|code", re.IGNORECASE)
_NUMBER = re.compile(r"(?<!\d)\d{12}(?!\d)")


def operator() -> str:
    """The person behind this command (see the module's text)."""
    return (os.environ.get("CDHT_OPERATOR") or os.environ.get("SUDO_USER") or getpass.getuser())[:64]


def _shown(options: Mapping[str, Any]) -> dict[str, Any]:
    """The options as the trail keeps them: identity numbers masked, secrets left out, the rest as text."""
    return {name: _NUMBER.sub(lambda m: mask(m.group(0)), str(value))
            for name, value in options.items() if value is not None and not _SECRET.search(name)}


def record(path: str, options: Mapping[str, Any]) -> None:
    """The audit record of a command about to run (its own transaction: kept even if the command fails)."""
    with session_scope(runtime().engine) as session:
        session.add(AuditEvent(actor_id=None, actor_role=Role.SYSTEM.value, entity_type=Entity.COMMAND.value,
                               entity_id=path[:32], event=Event.COMMAND.value,
                               detail={"operator": operator(), "options": _shown(options)}))


def audit_commands(group: click.Group, prefix: str = "") -> None:
    """Wrap every command of `group` (and its groups) that can change something so that it records itself first."""
    for name, command in group.commands.items():
        path = f"{prefix}{name}"
        if isinstance(command, click.Group):
            audit_commands(command, f"{path} ")
        elif path not in READ_ONLY | RECORDS_ITSELF and command.callback is not None:
            command.callback = _recorded(path, command.callback)


def _recorded(path: str, callback: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(callback)
    @with_appcontext
    def run(*args: Any, **kwargs: Any) -> Any:
        record(path, kwargs)
        return callback(*args, **kwargs)

    return run
