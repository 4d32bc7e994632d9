"""holder counters: holders of each indicator per ward and year, broken down; the citizen's tổ dân phố/thôn

Revision ID: e8ab16c3d50a
Revises: d7fa05b2c409
Create Date: 2026-11-27 15:10:00

Fills the counters from the live certificates and the counting digital attainments already written, in the
migration's transaction (a frozen copy of workflows.holder_counters' recount as it is at this revision: the code may
change later, this revision's tables do not). From here on every transaction that moves a holder moves them.
"""
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel  # noqa: F401  (autogenerate writes sqlmodel.sql.sqltypes.AutoString)
from alembic import op

revision: str = 'e8ab16c3d50a'
down_revision: str | None = 'd7fa05b2c409'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('holder_counter',
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('breakdown', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('indicator', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('bucket', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('ward_code', sqlmodel.sql.sqltypes.AutoString(length=5), nullable=False),
    sa.Column('aged_15_plus', sa.Boolean(), nullable=False),
    sa.Column('holders', sa.Integer(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['ward_code'], ['ward.code'], name=op.f('fk_holder_counter_ward_code_ward')),
    sa.PrimaryKeyConstraint('year', 'breakdown', 'indicator', 'bucket', 'ward_code', 'aged_15_plus',
                            name=op.f('pk_holder_counter'))
    )
    with op.batch_alter_table('citizen') as batch_op:
        batch_op.add_column(sa.Column('hamlet', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True))
    with op.batch_alter_table('application') as batch_op:
        batch_op.add_column(sa.Column('hamlet', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True))
    fill(op.get_bind())


BANDS = ("0_14", "15_24", "25_34", "35_44", "45_59", "60_plus")
BAND_FROM = (0, 15, 25, 35, 45, 60)


def fill(bind: sa.engine.Connection) -> None:
    """Count every holder into holder_counter (empty): the titles' live certificates and the holders of basic digital
    skills, each by total, target group, sex, age band, tổ dân phố/thôn and month, split by aged 15+."""
    cert = sa.table('certificate', *map(sa.column, ('year', 'title_type', 'ward_code', 'application_id',
                                                   'citizen_id', 'decision_id', 'live_key')))
    app = sa.table('application', *map(sa.column, ('id', 'target_group', 'hamlet')))
    cit = sa.table('citizen', *map(sa.column, ('id', 'ward_code', 'target_group', 'hamlet', 'sex')),
                   sa.column('date_of_birth', sa.Date))
    dec = sa.table('decision', sa.column('id'), sa.column('signed_on', sa.Date))
    att = sa.table('digital_attainment', *map(sa.column, ('citizen_id', 'first_year', 'last_year', 'state')),
                   sa.column('counts', sa.Boolean), sa.column('achieved_on', sa.Date))

    def year_of(column: sa.ColumnElement) -> sa.ColumnElement:
        return sa.cast(sa.extract('year', column), sa.Integer)

    titles = (sa.select(cert.c.year, cert.c.title_type.label('indicator'), cert.c.ward_code, app.c.target_group,
                        app.c.hamlet, cit.c.sex, (cert.c.year - year_of(cit.c.date_of_birth)).label('age'),
                        (year_of(dec.c.signed_on) * 100
                         + sa.cast(sa.extract('month', dec.c.signed_on), sa.Integer)).label('month'))
              .select_from(cert.join(app, app.c.id == cert.c.application_id)
                           .join(cit, cit.c.id == cert.c.citizen_id).join(dec, dec.c.id == cert.c.decision_id))
              .where(cert.c.live_key.is_not(None)))
    counted = (att.c.state == 'verified', att.c.counts.is_(True))
    first, last = bind.execute(sa.select(sa.func.min(att.c.first_year), sa.func.max(att.c.last_year))
                               .where(*counted)).one()
    span = range(first, last + 1) if first is not None else range(0)
    years = sa.union_all(*[sa.select(sa.literal(y).label('year')) for y in span] or
                         [sa.select(sa.literal(0).label('year')).where(sa.literal(False))]).subquery()
    achieved_year = year_of(att.c.achieved_on)
    since = sa.case((achieved_year < years.c.year, years.c.year * 100 + 1),
                    else_=achieved_year * 100 + sa.cast(sa.extract('month', att.c.achieved_on), sa.Integer))
    held = (sa.select(att.c.citizen_id, years.c.year, sa.func.min(since).label('month'))
            .select_from(att.join(years, sa.and_(years.c.year >= att.c.first_year, years.c.year <= att.c.last_year)))
            .where(*counted).group_by(att.c.citizen_id, years.c.year)).subquery()
    digital = (sa.select(held.c.year, sa.literal('digital').label('indicator'), cit.c.ward_code, cit.c.target_group,
                         cit.c.hamlet, cit.c.sex, (held.c.year - year_of(cit.c.date_of_birth)).label('age'),
                         held.c.month)
               .select_from(held.join(cit, cit.c.id == held.c.citizen_id)))
    h = sa.union_all(titles, digital).cte('holders').prefix_with('MATERIALIZED').c
    band = sa.case(*[(h.age < start, BANDS[i - 1]) for i, start in enumerate(BAND_FROM) if i], else_=BANDS[-1])
    by = {'total': sa.literal(''), 'target_group': h.target_group, 'sex': h.sex, 'age_band': band,
          'hamlet': sa.func.coalesce(h.hamlet, ''), 'month': sa.cast(h.month, sa.String)}
    adult = h.age >= 15
    parts = [sa.select(h.year, h.indicator, sa.literal(name).label('breakdown'), bucket.label('bucket'), h.ward_code,
                       adult.label('aged_15_plus'), sa.func.count().label('holders'),
                       sa.literal(datetime.now(UTC), sqlmodel.sql.sqltypes.UTCDateTime()).label('updated_at'))
             .group_by(h.year, h.indicator, bucket, h.ward_code, adult) for name, bucket in by.items()]
    target = sa.table('holder_counter', *map(sa.column, ('year', 'indicator', 'breakdown', 'bucket', 'ward_code',
                                                        'aged_15_plus', 'holders', 'updated_at')))
    every = sa.union_all(*parts).subquery()
    bind.execute(sa.insert(target).from_select(list(target.c.keys()), sa.select(*every.c)))


def downgrade() -> None:
    with op.batch_alter_table('application') as batch_op:
        batch_op.drop_column('hamlet')
    with op.batch_alter_table('citizen') as batch_op:
        batch_op.drop_column('hamlet')
    op.drop_table('holder_counter')
