"""records to review: partial indexes for the reviewer's list and a centre's own list, and uniqueness of live records

The (ward, state, created_at) index becomes a partial index of the pending certificates and assessments a ward
reviewer verifies (self-assessments, pending for ever, and the millions of records born verified by imports never
enter it); the recorder's index keeps assessments only (not every import row). The same certificate file cannot be
live twice for a citizen, nor two supervised assessments on one day, nor one test paper twice in a ward.

Revision ID: a4c7d2e9f106
Revises: 8e3f1c2a7b05
Create Date: 2026-11-27 13:40:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'a4c7d2e9f106'
down_revision: str | None = '8e3f1c2a7b05'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TO_REVIEW = sa.text("state = 'pending' AND kind IN ('certificate', 'assessment')")
ASSESSMENT = sa.text("kind = 'assessment'")
LIVE_FILE = sa.text("evidence_key IS NOT NULL AND state IN ('pending', 'verified')")
LIVE_ASSESSMENT = sa.text("kind = 'assessment' AND state IN ('pending', 'verified')")
LIVE_PAPER = sa.text("kind = 'assessment' AND external_id IS NOT NULL AND state IN ('pending', 'verified')")


def upgrade() -> None:
    with op.batch_alter_table('digital_attainment', schema=None) as batch_op:
        batch_op.drop_index('ix_digital_attainment_ward_state')
        batch_op.create_index('ix_digital_attainment_to_review', ['ward_code', 'created_at', 'id'], unique=False,
                              postgresql_where=TO_REVIEW, sqlite_where=TO_REVIEW)
        batch_op.drop_index('ix_digital_attainment_recorded_by_created')
        batch_op.create_index('ix_digital_attainment_assessments_by_recorder', ['recorded_by', 'created_at'],
                              unique=False, postgresql_where=ASSESSMENT, sqlite_where=ASSESSMENT)
        batch_op.create_index('uq_digital_attainment_live_file', ['citizen_id', 'evidence_key'], unique=True,
                              postgresql_where=LIVE_FILE, sqlite_where=LIVE_FILE)
        batch_op.create_index('uq_digital_attainment_live_assessment', ['citizen_id', 'achieved_on'], unique=True,
                              postgresql_where=LIVE_ASSESSMENT, sqlite_where=LIVE_ASSESSMENT)
        batch_op.create_index('uq_digital_attainment_live_paper', ['ward_code', 'external_id'], unique=True,
                              postgresql_where=LIVE_PAPER, sqlite_where=LIVE_PAPER)


def downgrade() -> None:
    with op.batch_alter_table('digital_attainment', schema=None) as batch_op:
        batch_op.drop_index('uq_digital_attainment_live_paper')
        batch_op.drop_index('uq_digital_attainment_live_assessment')
        batch_op.drop_index('uq_digital_attainment_live_file')
        batch_op.drop_index('ix_digital_attainment_assessments_by_recorder')
        batch_op.create_index('ix_digital_attainment_recorded_by_created', ['recorded_by', 'created_at'], unique=False)
        batch_op.drop_index('ix_digital_attainment_to_review')
        batch_op.create_index('ix_digital_attainment_ward_state', ['ward_code', 'state', 'created_at'], unique=False)
