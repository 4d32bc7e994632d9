"""applications: the applicant's name in the order of Vietnamese lists (given name, family name, middle names), and
an index that walks a ward's queue in that order (issue 11: the reviewer sorts the queue by name).

Revision ID: f8091a2b3c4d
Revises: e7f8091a2b3c
Create Date: 2026-11-28 03:50:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = 'f8091a2b3c4d'
down_revision: str | None = 'e7f8091a2b3c'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHUNK = 5_000


def upgrade() -> None:
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_sort', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False,
                                      server_default=''))
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':  # one statement: "nguyen van an" → "an nguyen van"
        op.execute(r"""UPDATE application SET name_sort = CASE WHEN position(' ' in name_folded) = 0 THEN name_folded
                       ELSE trim(regexp_replace(name_folded, '^(\S+)\s*(.*?)\s+(\S+)$', '\3 \1 \2')) END""")
    else:  # SQLite has no regular expressions: the same rule (workflows.names.sort_key) in chunks
        rows = bind.execute(sa.text("SELECT id, name_folded FROM application")).all()
        for start in range(0, len(rows), CHUNK):
            bind.execute(sa.text("UPDATE application SET name_sort = :key WHERE id = :id"),
                         [{"id": i, "key": _sort_key(folded)} for i, folded in rows[start:start + CHUNK]])
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.create_index('ix_application_name_queue', ['ward_code', 'state', 'name_sort', 'id'], unique=False)


def _sort_key(folded: str) -> str:
    words = folded.split()
    return " ".join([words[-1], *words[:-1]]) if len(words) > 1 else folded


def downgrade() -> None:
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.drop_index('ix_application_name_queue')
        batch_op.drop_column('name_sort')
