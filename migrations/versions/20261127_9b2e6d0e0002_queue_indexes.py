"""indexes for the reviewer's queue at city scale

The queue lists a ward's applications in a state, oldest submission first: (ward_code, state, submitted_at, id)
serves the filter, the order and the offset from the index alone. A name search goes through the ward's citizens by
folded name: (ward_code, name_folded) replaces the index on ward_code alone, and on PostgreSQL the folded-name index
becomes a pg_trgm GIN index, which answers "contains" searches.

Revision ID: 9b2e6d0e0002
Revises: 7a1e5c0de001
Create Date: 2026-11-27 05:30:00.000000
"""
from collections.abc import Sequence

from alembic import op

revision: str = '9b2e6d0e0002'
down_revision: str | None = '7a1e5c0de001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == 'postgresql'
    op.create_index('ix_application_queue', 'application', ['ward_code', 'state', 'submitted_at', 'id'])
    op.create_index('ix_citizen_ward_name', 'citizen', ['ward_code', 'name_folded'])
    op.drop_index('ix_citizen_ward_code', table_name='citizen')
    if postgres:
        op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm')
        op.drop_index('ix_citizen_name_folded', table_name='citizen')
        op.create_index('ix_citizen_name_folded', 'citizen', ['name_folded'], postgresql_using='gin',
                        postgresql_ops={'name_folded': 'gin_trgm_ops'})


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.drop_index('ix_citizen_name_folded', table_name='citizen')
        op.create_index('ix_citizen_name_folded', 'citizen', ['name_folded'])
    op.create_index('ix_citizen_ward_code', 'citizen', ['ward_code'])
    op.drop_index('ix_citizen_ward_name', table_name='citizen')
    op.drop_index('ix_application_queue', table_name='application')
