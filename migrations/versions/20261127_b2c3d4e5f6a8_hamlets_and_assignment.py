"""hamlets as data, reviewers scoped to some of them, the queue split between reviewers, and the columns of the
queue's filters (ADR 26)

Revision ID: b2c3d4e5f6a8
Revises: a1b2c3d4e5f7
Create Date: 2026-11-27 18:30:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = 'b2c3d4e5f6a8'
down_revision: str | None = 'a1b2c3d4e5f7'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

QUEUE = ['ward_code', 'state', 'submitted_at', 'id', 'name_folded', 'target_group', 'hamlet_code', 'assignee_id',
         'passes', 'has_evidence']
HAMLET_QUEUE = ['ward_code', 'hamlet_code', 'state', 'submitted_at', 'id', 'name_folded', 'target_group',
                'assignee_id', 'passes', 'has_evidence']
HELD = sa.text("assignee_id IS NOT NULL")
BATCH = 10_000
# States whose scores are the reviewer's; before a verdict (and after a return) the citizen's own count.
REVIEWED = ("approved", "rejected", "recognised")


def upgrade() -> None:
    op.create_table('hamlet',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('ward_code', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['ward_code'], ['ward.code'], name=op.f('fk_hamlet_ward_code_ward')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_hamlet')),
    sa.UniqueConstraint('ward_code', 'code', name='uq_hamlet_ward_code')
    )
    op.add_column('citizen', sa.Column('hamlet_code', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
    op.add_column('app_user', sa.Column('hamlet_scope', sa.JSON(), nullable=True))
    op.drop_index('ix_application_queue', table_name='application')
    with op.batch_alter_table('application') as batch:
        batch.add_column(sa.Column('hamlet_code', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True))
        batch.add_column(sa.Column('assignee_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True))
        batch.add_column(sa.Column('has_evidence', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column('passes', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.create_foreign_key(op.f('fk_application_assignee_id_app_user'), 'app_user', ['assignee_id'], ['id'])
    _fill()
    op.create_index('ix_application_queue', 'application', QUEUE)
    op.create_index('ix_application_hamlet_queue', 'application', HAMLET_QUEUE)
    op.create_index('ix_application_assignee_queue', 'application', ['assignee_id', 'state', 'submitted_at', 'id'],
                    postgresql_where=HELD, sqlite_where=HELD)


def _fill() -> None:
    """has_evidence from the activities; passes by each criteria set's rule on the scores (the reviewer's once
    proposed, not proposed or recognised; the citizen's before, and after a return), read in batches of the primary
    key so a big table never sits in memory: the rule workflows.applications.submit and workflows.review keep."""
    bind = op.get_bind()
    bind.execute(sa.text("UPDATE application SET has_evidence = EXISTS (SELECT 1 FROM activity WHERE "
                         "activity.application_id = application.id AND activity.evidence_key IS NOT NULL)"))
    rules = {cid: (total, each) for cid, total, each in bind.execute(sa.text(
        "SELECT id, pass_total, pass_min_indicator FROM criteriaset"))}
    codes: dict[str, list[str]] = {}
    for cid, code in bind.execute(sa.text("SELECT criteria_set_id, code FROM indicator")):
        codes.setdefault(cid, []).append(code)
    scores = sa.table('application', sa.column('id'), sa.column('criteria_set_id'), sa.column('state'),
                      sa.column('self_scores', sa.JSON()), sa.column('reviewer_scores', sa.JSON()))
    last = ""
    while True:
        rows = bind.execute(sa.select(scores).where(scores.c.id > last).order_by(scores.c.id).limit(BATCH)).all()
        if not rows:
            break
        passing = []
        for ident, cid, state, own, ward in rows:
            given = (ward if state in REVIEWED else own) or {}
            total, each = rules[cid]
            wanted = codes.get(cid, [])
            if all(c in given for c in wanted) and sum(int(given[c]) for c in wanted) >= total \
                    and all(int(given[c]) >= each for c in wanted):
                passing.append({"i": ident})
        if passing:
            bind.execute(sa.text("UPDATE application SET passes = true WHERE id = :i"), passing)
        last = rows[-1][0]


def downgrade() -> None:
    op.drop_index('ix_application_assignee_queue', table_name='application')
    op.drop_index('ix_application_hamlet_queue', table_name='application')
    op.drop_index('ix_application_queue', table_name='application')
    with op.batch_alter_table('application') as batch:
        batch.drop_constraint(op.f('fk_application_assignee_id_app_user'), type_='foreignkey')
        batch.drop_column('passes')
        batch.drop_column('has_evidence')
        batch.drop_column('assignee_id')
        batch.drop_column('hamlet_code')
    op.create_index('ix_application_queue', 'application',
                    ['ward_code', 'state', 'submitted_at', 'id', 'name_folded'])
    op.drop_column('app_user', 'hamlet_scope')
    op.drop_column('citizen', 'hamlet_code')
    op.drop_table('hamlet')
