"""the applicant's folded name on the application, carried by the queue index

A name search in the reviewer's queue matched the citizens of the ward through a pg_trgm index over every citizen
of the city, whose posting lists for a common name ("nguyen van") grow with the city: 155 ms on 3.1 M citizens.
The application now keeps the applicant's folded name (citizens cannot rename; registration fixes it), and the queue
index (ward_code, state, submitted_at, id) carries it as a last column, so a search reads only the ward's part of
that index. The trigram index, which nothing else used, goes (ADR 12).

Revision ID: 3c5a9e7f0003
Revises: 9b2e6d0e0002
Create Date: 2026-11-27 07:00:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '3c5a9e7f0003'
down_revision: str | None = '9b2e6d0e0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('application', sa.Column('name_folded', sqlmodel.sql.sqltypes.AutoString(length=200),
                                           nullable=False, server_default=''))
    op.execute('UPDATE application SET name_folded = '
               '(SELECT citizen.name_folded FROM citizen WHERE citizen.id = application.citizen_id)')
    op.drop_index('ix_application_queue', table_name='application')
    op.create_index('ix_application_queue', 'application',
                    ['ward_code', 'state', 'submitted_at', 'id', 'name_folded'])
    op.drop_index('ix_citizen_name_folded', table_name='citizen')


def downgrade() -> None:
    if op.get_bind().dialect.name == 'postgresql':
        op.create_index('ix_citizen_name_folded', 'citizen', ['name_folded'], postgresql_using='gin',
                        postgresql_ops={'name_folded': 'gin_trgm_ops'})
    else:
        op.create_index('ix_citizen_name_folded', 'citizen', ['name_folded'])
    op.drop_index('ix_application_queue', table_name='application')
    op.create_index('ix_application_queue', 'application', ['ward_code', 'state', 'submitted_at', 'id'])
    with op.batch_alter_table('application') as batch_op:
        batch_op.drop_column('name_folded')
