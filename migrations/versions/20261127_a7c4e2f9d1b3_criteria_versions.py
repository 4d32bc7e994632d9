"""criteria versions: a criteria set is a draft or published (published never changes); its criteria (tiêu chí)
have names and its indicators (chỉ số) a wording per target group (ADR 22)

Backfill: every existing set becomes published (applications are pinned to it already). The sets of the files in
workflows/data/criteria/ (QĐ 244/QĐ-KHVN from 2022, QĐ 324/QĐ-KHVN from 2024) get their criteria's names and the
wording of each group from the file; one missing is inserted, published, as `flask seed` would. Any other set keeps
its one wording for every group, and its criteria are named by their codes. The files are published versions: they
never change (a correction is a new version), so this migration reads them as they were written.

Revision ID: a7c4e2f9d1b3
Revises: 8b6eb813f254
Create Date: 2026-11-27 17:28:20
"""
import json
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = 'a7c4e2f9d1b3'
down_revision: str | None = '8b6eb813f254'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FILES = Path(__file__).resolve().parents[2] / "workflows" / "data" / "criteria"
SEEDED = ("qd-244-khvn-2022.json", "qd-324-khvn-2023.json")
GROUPS = ("resident", "worker", "staff", "learner")
Text = sqlmodel.sql.sqltypes.AutoString
When = sqlmodel.sql.sqltypes.UTCDateTime

criteriaset = sa.table(
    'criteriaset', sa.column('id', Text()), sa.column('code', Text()), sa.column('title_type', Text()),
    sa.column('name', Text()), sa.column('source_document', Text()), sa.column('valid_from_year', sa.Integer()),
    sa.column('min_score', sa.Integer()), sa.column('max_score', sa.Integer()), sa.column('pass_total', sa.Integer()),
    sa.column('pass_min_indicator', sa.Integer()), sa.column('state', Text()), sa.column('version', sa.Integer()),
    sa.column('created_at', When()), sa.column('published_at', When()))
# The indicator as it was before: its one wording (the residents') on the row itself.
old_indicator = sa.table('indicator', sa.column('id', Text()), sa.column('criteria_set_id', Text()),
                         sa.column('code', Text()), sa.column('competence', Text()), sa.column('position', sa.Integer()),
                         sa.column('text_vi', Text()), sa.column('text_en', Text()))
competence = sa.table('criteria_competence', sa.column('criteria_set_id', Text()), sa.column('code', Text()),
                      sa.column('name_vi', Text()), sa.column('name_en', Text()), sa.column('position', sa.Integer()))
wording = sa.table('indicator_wording', sa.column('indicator_id', Text()), sa.column('target_group', Text()),
                   sa.column('criteria_set_id', Text()), sa.column('text_vi', Text()), sa.column('text_en', Text()))


def _new_id() -> str:
    return secrets.token_urlsafe(16)


PUBLISHED = sa.text("state = 'published'")


def upgrade() -> None:
    op.create_table('criteria_competence',
    sa.Column('criteria_set_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('code', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('name_vi', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('name_en', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['criteria_set_id'], ['criteriaset.id'], name=op.f('fk_criteria_competence_criteria_set_id_criteriaset')),
    sa.PrimaryKeyConstraint('criteria_set_id', 'code', name=op.f('pk_criteria_competence'))
    )
    op.create_table('indicator_wording',
    sa.Column('indicator_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('target_group', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('criteria_set_id', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('text_vi', sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
    sa.Column('text_en', sqlmodel.sql.sqltypes.AutoString(length=400), nullable=False),
    sa.ForeignKeyConstraint(['criteria_set_id'], ['criteriaset.id'], name=op.f('fk_indicator_wording_criteria_set_id_criteriaset')),
    sa.ForeignKeyConstraint(['indicator_id'], ['indicator.id'], name=op.f('fk_indicator_wording_indicator_id_indicator')),
    sa.PrimaryKeyConstraint('indicator_id', 'target_group', name=op.f('pk_indicator_wording'))
    )
    with op.batch_alter_table('indicator_wording', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_indicator_wording_criteria_set_id'), ['criteria_set_id'], unique=False)

    # The pin: how many applications each version holds (the admin's list of versions), without reading them all.
    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_application_criteria_set_id'), ['criteria_set_id'], unique=False)

    # Plain ALTER TABLEs, no batch: on SQLite a batch copies the table and drops the old one, which the indicators and
    # applications that reference it forbid. A new set's state and version are always written by the application;
    # the columns' defaults (a draft, version 1) are only there to fill the rows that exist.
    op.add_column('criteriaset', sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False,
                                           server_default='draft'))
    op.add_column('criteriaset', sa.Column('version', sa.Integer(), nullable=False, server_default='1'))
    op.add_column('criteriaset', sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.add_column('criteriaset', sa.Column('published_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.add_column('criteriaset', sa.Column('published_by', sqlmodel.sql.sqltypes.AutoString(length=32),
                                           nullable=True))

    _backfill(op.get_bind())
    # One published version per title and first year: two administrators publishing at once cannot both succeed.
    op.create_index('uq_criteriaset_published_year', 'criteriaset', ['title_type', 'valid_from_year'], unique=True,
                    postgresql_where=PUBLISHED, sqlite_where=PUBLISHED)

    op.drop_column('indicator', 'text_en')
    op.drop_column('indicator', 'text_vi')


def _backfill(conn: sa.Connection) -> None:
    moment = datetime.now(UTC)
    conn.execute(criteriaset.update().values(state='published', created_at=moment, published_at=moment))
    files = {doc["code"]: doc for doc in (json.loads((FILES / name).read_text(encoding="utf-8")) for name in SEEDED)}
    sets = {code: set_id for set_id, code in conn.execute(sa.select(criteriaset.c.id, criteriaset.c.code))}
    for code, doc in files.items():
        if code not in sets:
            sets[code] = _new_id()
            conn.execute(criteriaset.insert().values(
                id=sets[code], code=code, title_type=doc["title_type"], name=doc["name"],
                source_document=doc["source_document"], valid_from_year=doc["valid_from_year"],
                min_score=doc["min_score"], max_score=doc["max_score"], pass_total=doc["pass_total"],
                pass_min_indicator=doc["pass_min_indicator"], state="published", version=1, created_at=moment,
                published_at=moment))
    rows = conn.execute(sa.select(old_indicator)).mappings().all()
    for code, set_id in sets.items():
        doc = files.get(code)
        mine = {row["code"]: row for row in rows if row["criteria_set_id"] == set_id}
        if doc is None:  # a set of this installation's own: its one wording for every group
            names = sorted({row["competence"] for row in mine.values()})
            conn.execute(competence.insert(), [{"criteria_set_id": set_id, "code": name, "name_vi": name,
                                                "name_en": name, "position": n} for n, name in enumerate(names)])
            conn.execute(wording.insert(), [
                {"indicator_id": row["id"], "target_group": group, "criteria_set_id": set_id,
                 "text_vi": row["text_vi"], "text_en": row["text_en"]} for row in mine.values() for group in GROUPS])
            continue
        conn.execute(competence.insert(), [
            {"criteria_set_id": set_id, "code": c["code"], "name_vi": c["name"]["vi"], "name_en": c["name"]["en"],
             "position": n} for n, c in enumerate(doc["competences"])])
        texts = []
        for position, given in enumerate(doc["indicators"]):
            indicator_id = mine[given["code"]]["id"] if given["code"] in mine else None
            if indicator_id is None:
                indicator_id = _new_id()
                conn.execute(old_indicator.insert().values(
                    id=indicator_id, criteria_set_id=set_id, code=given["code"], competence=given["competence"],
                    position=position, text_vi="", text_en=""))
            texts += [{"indicator_id": indicator_id, "target_group": group, "criteria_set_id": set_id,
                       "text_vi": given["wording"][group]["vi"], "text_en": given["wording"][group]["en"]}
                      for group in GROUPS]
        conn.execute(wording.insert(), texts)


def downgrade() -> None:
    op.drop_index('uq_criteriaset_published_year', table_name='criteriaset')
    op.add_column('indicator', sa.Column('text_vi', sa.VARCHAR(length=400), nullable=False, server_default=''))
    op.add_column('indicator', sa.Column('text_en', sa.VARCHAR(length=400), nullable=False, server_default=''))
    # The residents' wording goes back into the indicators (the only wording the older schema had).
    for column in ('text_vi', 'text_en'):
        op.execute(sa.text(
            f"UPDATE indicator SET {column} = COALESCE((SELECT w.{column} FROM indicator_wording w "
            "WHERE w.indicator_id = indicator.id AND w.target_group = 'resident'), '')"))
    for column in ('published_by', 'published_at', 'created_at', 'version', 'state'):
        op.drop_column('criteriaset', column)

    with op.batch_alter_table('application', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_application_criteria_set_id'))

    with op.batch_alter_table('indicator_wording', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_indicator_wording_criteria_set_id'))

    op.drop_table('indicator_wording')
    op.drop_table('criteria_competence')
