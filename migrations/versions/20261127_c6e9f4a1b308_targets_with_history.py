"""targets with history: a new value is a new row; the replaced one records when and by which

Revision ID: c6e9f4a1b308
Revises: b5d8e3f0a207
Create Date: 2026-11-27 14:20:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes.AutoString)
from alembic import op

revision: str = 'c6e9f4a1b308'
down_revision: str | None = 'b5d8e3f0a207'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

IN_FORCE = sa.text("superseded_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table('target', schema=None) as batch_op:
        batch_op.add_column(sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
        batch_op.add_column(sa.Column('superseded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('superseded_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_target_created_by_app_user'), 'app_user', ['created_by'], ['id'])
        batch_op.create_index('uq_target_in_force', ['indicator', 'year'], unique=True,
                              postgresql_where=IN_FORCE, sqlite_where=IN_FORCE)


def downgrade() -> None:
    with op.batch_alter_table('target', schema=None) as batch_op:
        batch_op.drop_index('uq_target_in_force')
        batch_op.drop_constraint(batch_op.f('fk_target_created_by_app_user'), type_='foreignkey')
        batch_op.drop_column('superseded_by')
        batch_op.drop_column('superseded_at')
        batch_op.drop_column('created_by')
        batch_op.drop_column('created_at')
