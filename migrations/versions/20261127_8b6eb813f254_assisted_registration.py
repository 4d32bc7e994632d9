"""assisted registration: citizens registered by ward staff (đăng ký hộ) with consent on paper, and the one-time
activation codes with which they set their first password (ADR 25)

Revision ID: 8b6eb813f254
Revises: a7c3e5f9b10c
Create Date: 2026-11-27 17:29:23
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes.AutoString)
from alembic import op

revision: str = '8b6eb813f254'
down_revision: str | None = 'a7c3e5f9b10c'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('activation_code',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('user_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('code_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('created_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('used_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['app_user.id'], name=op.f('fk_activation_code_created_by_app_user')),
    sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], name=op.f('fk_activation_code_user_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_activation_code'))
    )
    with op.batch_alter_table('activation_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_activation_code_user_id'), ['user_id'], unique=False)

    # Every citizen registered so far ticked the consent box online.
    with op.batch_alter_table('citizen', schema=None) as batch_op:
        batch_op.add_column(sa.Column('consent_channel', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False,
                                      server_default='online'))
        batch_op.add_column(sa.Column('consent_reference', sqlmodel.sql.sqltypes.AutoString(length=100),
                                      nullable=True))
        batch_op.add_column(sa.Column('registered_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_citizen_registered_by_app_user'), 'app_user', ['registered_by'],
                                    ['id'])


def downgrade() -> None:
    with op.batch_alter_table('citizen', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_citizen_registered_by_app_user'), type_='foreignkey')
        batch_op.drop_column('registered_by')
        batch_op.drop_column('consent_reference')
        batch_op.drop_column('consent_channel')

    with op.batch_alter_table('activation_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activation_code_user_id'))

    op.drop_table('activation_code')
