"""ward signer: who issues and signs a ward's papers (ADR 29): the issuer line, the signing mode (TM. or KT.) and the
signer's title; None and "tm" keep the defaults derived from the ward, so existing wards sign "TM. ỦY BAN NHÂN DÂN /
CHỦ TỊCH" as before.

Revision ID: d1e2f3a4b529
Revises: c0d1e2f3a428
Create Date: 2026-11-27 19:15:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes.AutoString)
from alembic import op

revision: str = 'd1e2f3a4b529'
down_revision: str | None = 'c0d1e2f3a428'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('ward', schema=None) as batch_op:
        batch_op.add_column(sa.Column('issuer_name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=True))
        batch_op.add_column(sa.Column('signing_mode', sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False,
                                      server_default='tm'))
        batch_op.add_column(sa.Column('signer_title', sqlmodel.sql.sqltypes.AutoString(length=60), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('ward', schema=None) as batch_op:
        batch_op.drop_column('signer_title')
        batch_op.drop_column('signing_mode')
        batch_op.drop_column('issuer_name')
