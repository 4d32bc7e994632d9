"""audit_event: append-only and hash-chained (ADR 36).

Each record gets its place in the chain (`chain_seq`) and its keyed hash (`chain_hash`) when its transaction commits
(workflows.audit_chain); `audit_chain_head` keeps the last of them. Triggers, on both databases, refuse to delete a
record, to change anything in it but the seal given once, to truncate the table, and to move the head backwards or
remove it. Records written before this migration are sealed by `flask audit seal`, in the order they were written.

Revision ID: 1a2b3c4d5e6f
Revises: 091a2b3c4d5e
Create Date: 2026-11-28 07:00:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '1a2b3c4d5e6f'
down_revision: str | None = '091a2b3c4d5e'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS = "0" * 64
CONTENT = ("id", "at", "actor_id", "actor_role", "entity_type", "entity_id", "event", "from_state", "to_state")

PG_FUNCTIONS = f"""
CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.chain_seq IS NULL AND NEW.chain_seq IS NOT NULL AND NEW.chain_hash IS NOT NULL
       AND ({', '.join(f'NEW.{c}' for c in CONTENT)}, NEW.detail::text)
           IS NOT DISTINCT FROM ({', '.join(f'OLD.{c}' for c in CONTENT)}, OLD.detail::text) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_event is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE FUNCTION audit_chain_head_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.id = OLD.id AND NEW.seq > OLD.seq THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_chain_head only moves forward: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_event_append_only();
CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only();
CREATE TRIGGER audit_chain_head_forward_only BEFORE UPDATE OR DELETE ON audit_chain_head
    FOR EACH ROW EXECUTE FUNCTION audit_chain_head_forward_only();
CREATE TRIGGER audit_chain_head_no_truncate BEFORE TRUNCATE ON audit_chain_head
    FOR EACH STATEMENT EXECUTE FUNCTION audit_chain_head_forward_only();
"""
PG_DROP = """
DROP TRIGGER IF EXISTS audit_chain_head_no_truncate ON audit_chain_head;
DROP TRIGGER IF EXISTS audit_chain_head_forward_only ON audit_chain_head;
DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event;
DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event;
DROP FUNCTION IF EXISTS audit_chain_head_forward_only();
DROP FUNCTION IF EXISTS audit_event_append_only();
"""
SQLITE_SAME = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in (*CONTENT, "detail"))
SQLITE_TRIGGERS = (
    "CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event "
    "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only: DELETE refused'); END",
    "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event "
    f"WHEN NOT (OLD.chain_seq IS NULL AND NEW.chain_seq IS NOT NULL AND NEW.chain_hash IS NOT NULL AND {SQLITE_SAME}) "
    "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only: UPDATE refused'); END",
    "CREATE TRIGGER audit_chain_head_no_delete BEFORE DELETE ON audit_chain_head "
    "BEGIN SELECT RAISE(ABORT, 'audit_chain_head only moves forward: DELETE refused'); END",
    "CREATE TRIGGER audit_chain_head_forward_only BEFORE UPDATE ON audit_chain_head "
    "WHEN NOT (NEW.id = OLD.id AND NEW.seq > OLD.seq) "
    "BEGIN SELECT RAISE(ABORT, 'audit_chain_head only moves forward: UPDATE refused'); END",
)
SQLITE_DROP = ("audit_chain_head_forward_only", "audit_chain_head_no_delete", "audit_event_no_update",
               "audit_event_no_delete")


def upgrade() -> None:
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('chain_seq', sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column('chain_hash', sa.String(length=64), nullable=True))
        batch_op.create_index('ix_audit_event_chain_seq', ['chain_seq'], unique=True)
        batch_op.create_index('ix_audit_event_unsealed', ['id'], unique=False,
                              postgresql_where=sa.text('chain_seq IS NULL'),
                              sqlite_where=sa.text('chain_seq IS NULL'))
    head = op.create_table(
        'audit_chain_head',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('seq', sa.BigInteger(), nullable=False),
        sa.Column('hash', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_chain_head')),
        sa.CheckConstraint('id = 1', name=op.f('ck_audit_chain_head_one_row')),
    )
    op.bulk_insert(head, [{"id": 1, "seq": 0, "hash": GENESIS}])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTIONS)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_DROP)
    else:
        for name in SQLITE_DROP:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table('audit_chain_head')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_event_unsealed')
        batch_op.drop_index('ix_audit_event_chain_seq')
        batch_op.drop_column('chain_hash')
        batch_op.drop_column('chain_seq')
