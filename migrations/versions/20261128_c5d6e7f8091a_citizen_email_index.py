"""citizens: e-mail addresses kept in lower case and indexed, so that a password-reset request names an account
by its address without reading the whole table (issue 11).

Revision ID: c5d6e7f8091a
Revises: b4c5d6e7f809
Create Date: 2026-11-28 00:50:00
"""
from collections.abc import Sequence

from alembic import op

revision: str = 'c5d6e7f8091a'
down_revision: str | None = 'b4c5d6e7f809'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("UPDATE citizen SET email = lower(email) WHERE email IS NOT NULL AND email <> lower(email)")
    with op.batch_alter_table('citizen', schema=None) as batch_op:
        batch_op.create_index('ix_citizen_email', ['email'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('citizen', schema=None) as batch_op:
        batch_op.drop_index('ix_citizen_email')
