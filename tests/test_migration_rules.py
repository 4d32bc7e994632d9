"""The rule for migrations during a rolling release (ADR 47): what tests/migration_rules.py refuses and allows, and
the migrations added since the previous release (RELEASES) follow it."""

import pytest
from migration_rules import check_source, new_migrations
from releases import NoHistory, history_required, previous_release

HEAD = '''
import sqlalchemy as sa
from alembic import op
revision = "x1"
'''


def problems(body: str, head: str = HEAD) -> list[str]:
    source = head + "\n\ndef upgrade() -> None:\n" + "".join(f"    {line}\n" for line in body.splitlines())
    return [p.what for p in check_source(source, "migrations/versions/x.py")]


@pytest.mark.parametrize(("body", "named"), [
    ("op.drop_column('citizen', 'phone')", "drops a column"),
    ("op.drop_table('hamlet')", "drops a table"),
    ("op.rename_table('hamlet', 'village')", "renames a table"),
    ("op.alter_column('citizen', 'phone', new_column_name='mobile')", "renames a column"),
    ("op.alter_column('citizen', 'phone', nullable=False)", "NOT NULL"),
    ("op.alter_column('citizen', 'phone', type_=sa.Integer())", "type"),
    ("op.add_column('citizen', sa.Column('nick', sa.String(), nullable=False))", "without a server default"),
    ("with op.batch_alter_table('citizen') as batch:\n    batch.drop_column('phone')", "drops a column"),
    ("op.create_index('ix_citizen_phone', 'citizen', ['phone'])", "existing table citizen"),
    ("with op.batch_alter_table('citizen') as batch:\n    batch.create_index('ix_citizen_phone', ['phone'])",
     "existing table citizen"),
    ("op.execute('ALTER TABLE citizen DROP COLUMN phone')", "DROP COLUMN"),
    ("op.execute(sa.text('ALTER TABLE citizen RENAME COLUMN phone TO mobile'))", "RENAME COLUMN"),
])
def test_contracting_operations_are_named(body: str, named: str) -> None:
    found = problems(body)
    assert len(found) == 1 and named in found[0], found


def test_the_file_and_line_are_named() -> None:
    found = check_source(HEAD + "\n\ndef upgrade() -> None:\n    op.drop_table('hamlet')\n", "migrations/versions/x.py")
    assert [str(p).split(": ")[0] for p in found] == ["migrations/versions/x.py:8"]


def test_expanding_operations_pass() -> None:
    assert problems("""op.create_table('note', sa.Column('id', sa.String(), nullable=False, primary_key=True))
op.create_index('ix_note_id', 'note', ['id'])
with op.batch_alter_table('note') as batch_op:
    batch_op.create_index('ix_note_id2', ['id'])
op.add_column('citizen', sa.Column('nick', sa.String(), nullable=True))
op.add_column('citizen', sa.Column('flag', sa.Boolean(), nullable=False, server_default=sa.false()))
with op.get_context().autocommit_block():
    op.create_index('ix_citizen_nick', 'citizen', ['nick'], postgresql_concurrently=True)
op.execute('UPDATE citizen SET nick = NULL WHERE id IN (SELECT id FROM citizen LIMIT 1000)')""") == []


def test_a_declared_contract_migration_may_drop() -> None:
    assert problems("op.drop_column('citizen', 'consent_at')", HEAD + 'RELEASE_STEP = "contract"\n') == []


def test_only_upgrade_is_checked() -> None:
    source = HEAD + "\n\ndef upgrade() -> None:\n    pass\n\n\ndef downgrade() -> None:\n    op.drop_table('note')\n"
    assert check_source(source, "x.py") == []


def test_migrations_since_the_previous_release_expand_only() -> None:
    commit = previous_release()
    try:
        added = new_migrations(commit)
    except NoHistory as exc:
        if history_required():
            raise
        pytest.skip(f"the previous release {commit[:12]} is not in this checkout's git history: {exc}")
    found = [str(p) for path in added for p in check_source(path.read_text(encoding="utf-8"), path.name)]
    assert found == [], "\n".join(found)
