"""consent_record and privacy_request: consent per purpose as data, requests to correct or delete (ADR 41).

Each existing citizen's consent (consent_at, consent_version, consent_channel, consent_reference on the profile)
becomes one consent row for the purpose the first text covered ("recognition"), in one INSERT … SELECT; given
through the official who registered them on paper, else their own account. The profile's columns stay.

Revision ID: 5e6f708192a3
Revises: 4d5e6f708192
Create Date: 2026-11-28 10:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '5e6f708192a3'
down_revision: str | None = '4d5e6f708192'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = sa.text("state = 'open'")


def upgrade() -> None:
    op.create_table(
        'consent_record',
        sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('citizen_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('purpose', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=False),
        sa.Column('text_version', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
        sa.Column('given_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('given_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column('withdrawn_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['citizen_id'], ['citizen.id'], name=op.f('fk_consent_record_citizen_id_citizen')),
        sa.ForeignKeyConstraint(['given_by'], ['app_user.id'], name=op.f('fk_consent_record_given_by_app_user')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_consent_record')),
    )
    op.create_index(op.f('ix_consent_record_citizen_id'), 'consent_record', ['citizen_id'], unique=False)
    op.create_table(
        'privacy_request',
        sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('citizen_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column('ward_code', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
        sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column('field', sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True),
        sa.Column('text', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.Column('filed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column('closed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column('closed_by', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.ForeignKeyConstraint(['citizen_id'], ['citizen.id'], name=op.f('fk_privacy_request_citizen_id_citizen')),
        sa.ForeignKeyConstraint(['closed_by'], ['app_user.id'], name=op.f('fk_privacy_request_closed_by_app_user')),
        sa.ForeignKeyConstraint(['ward_code'], ['ward.code'], name=op.f('fk_privacy_request_ward_code_ward')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_privacy_request')),
    )
    op.create_index(op.f('ix_privacy_request_citizen_id'), 'privacy_request', ['citizen_id'], unique=False)
    op.create_index('ix_privacy_request_ward_open', 'privacy_request', ['ward_code', 'due_on', 'filed_at'],
                    unique=False, postgresql_where=OPEN, sqlite_where=OPEN)
    new_id = ("substr(md5(random()::text || c.id), 1, 22)" if op.get_bind().dialect.name == "postgresql"
              else "lower(hex(randomblob(11)))")
    op.execute(
        "INSERT INTO consent_record (id, citizen_id, purpose, text_version, channel, reference, given_at, given_by) "
        f"SELECT {new_id}, c.id, 'recognition', c.consent_version, c.consent_channel, c.consent_reference, "
        "c.consent_at, CASE WHEN c.consent_channel = 'paper' THEN c.registered_by ELSE c.user_id END "
        "FROM citizen c")


def downgrade() -> None:
    op.drop_index('ix_privacy_request_ward_open', table_name='privacy_request', postgresql_where=OPEN,
                  sqlite_where=OPEN)
    op.drop_index(op.f('ix_privacy_request_citizen_id'), table_name='privacy_request')
    op.drop_table('privacy_request')
    op.drop_index(op.f('ix_consent_record_citizen_id'), table_name='consent_record')
    op.drop_table('consent_record')
