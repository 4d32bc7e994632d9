"""Identity numbers sealed at rest (ADR 42): citizen.cccd, app_user.cccd and citizens' usernames.

The columns widen to hold the sealed text (39 characters); every plain 12-digit value is sealed with the key the
migration runs with (IDENTITY_KEY, else derived from SECRET_KEY: `flask db upgrade` gives the app's), in batches.
The downgrade unseals them.

Revision ID: 3c4d5e6f7081
Revises: 2b3c4d5e6f70
Create Date: 2026-11-28 10:00:00
"""
from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op

from workflows.identity_seal import MARK, is_plain_number, seal_of

revision: str = '3c4d5e6f7081'
down_revision: str | None = '2b3c4d5e6f70'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 10_000
_CCCD_COLUMNS = (("citizen", False), ("app_user", True))  # table, whether its cccd may be null


def _rewrite(table: str, column: str, change: Callable[[str], str | None], sealed: bool) -> None:
    """Rewrite the column's plain values (or its sealed ones) with `change`, by id, in batches."""
    bind = op.get_bind()
    wanted = f"{column} LIKE '{MARK}%'" if sealed else f"{column} NOT LIKE '{MARK}%'"
    after = ""
    while True:
        rows = bind.execute(sa.text(f"SELECT id, {column} FROM {table} WHERE id > :after AND {wanted} "
                                    f"ORDER BY id LIMIT {BATCH}"), {"after": after}).all()
        if not rows:
            return
        changed = [{"id": id_, "value": new} for id_, old in rows if (new := change(old)) != old]
        if changed:
            bind.execute(sa.text(f"UPDATE {table} SET {column} = :value WHERE id = :id"), changed)
        after = rows[-1][0]


def _resize(table: str, nullable: bool, length: int) -> None:
    with op.batch_alter_table(table) as batch:
        batch.alter_column("cccd", type_=sa.String(length), existing_nullable=nullable)


def _seal(value: str) -> str | None:  # the key is asked for only when there is something to seal
    return seal_of(op.get_bind()).seal(value) if is_plain_number(value) else value


def _unseal(value: str) -> str | None:
    return seal_of(op.get_bind()).read(value)


def upgrade() -> None:
    for table, nullable in _CCCD_COLUMNS:
        _resize(table, nullable, 64)
        _rewrite(table, "cccd", _seal, sealed=False)
    _rewrite("app_user", "username", _seal, sealed=False)  # a citizen's username is their CCCD


def downgrade() -> None:
    for table, nullable in _CCCD_COLUMNS:
        _rewrite(table, "cccd", _unseal, sealed=True)
        _resize(table, nullable, 12)
    _rewrite("app_user", "username", _unseal, sealed=True)
