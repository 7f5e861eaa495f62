"""contract performance

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06

KPI definitions per contract, a contract's KPI exemption, readings with their
ratings and overrides, and notices (UK9 and breach), whose content the database
keeps as published.
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

FROZEN = "a published notice is kept as published: it is never changed or deleted"


def upgrade() -> None:
    op.create_table('kpi',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('definition', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contract.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('contract_id', 'name', name='uq_kpi_contract_name')
    )
    op.create_table('kpi_exemption',
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('exemption', sa.String(length=30), nullable=False),
    sa.Column('reason', sa.String(), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contract.id'], ),
    sa.PrimaryKeyConstraint('contract_id')
    )
    op.create_table('kpi_reading',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kpi_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=10), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('value', sa.String(length=40), nullable=False),
    sa.Column('rating', sa.String(length=24), nullable=False),
    sa.Column('override_rating', sa.String(length=24), nullable=True),
    sa.Column('override_reason', sa.String(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['kpi_id'], ['kpi.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('kpi_id', 'period', name='uq_kpi_reading_period')
    )
    op.create_table('contract_notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=30), nullable=True),
    sa.Column('period_start', sa.Date(), nullable=True),
    sa.Column('period_end', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('prepared_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=True),
    sa.Column('published_on', sa.Date(), nullable=True),
    sa.Column('reference', sa.String(length=60), nullable=True),
    sa.Column('satisfies_key', sa.String(length=40), nullable=True),
    sa.ForeignKeyConstraint(['contract_id'], ['contract.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('contract_id', 'kind', 'seq', name='uq_contract_notice_seq')
    )
    with op.batch_alter_table('contract_notice', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contract_notice_contract_id'), ['contract_id'], unique=False)
    _freeze_published_notices()


def _freeze_published_notices() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION contract_notice_frozen() RETURNS trigger LANGUAGE plpgsql AS $$ "
            f"BEGIN IF OLD.status = 'published' THEN RAISE EXCEPTION '{FROZEN}'; END IF; "
            "IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW; END $$"
        )
        op.execute(
            "CREATE TRIGGER contract_notice_frozen BEFORE UPDATE OR DELETE ON contract_notice "
            "FOR EACH ROW EXECUTE FUNCTION contract_notice_frozen()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER contract_notice_no_{verb.lower()} BEFORE {verb} ON contract_notice "
                f"WHEN OLD.status = 'published' BEGIN SELECT RAISE(ABORT, '{FROZEN}'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS contract_notice_frozen ON contract_notice")
        op.execute("DROP FUNCTION IF EXISTS contract_notice_frozen()")
    else:
        op.execute("DROP TRIGGER IF EXISTS contract_notice_no_update")
        op.execute("DROP TRIGGER IF EXISTS contract_notice_no_delete")
    with op.batch_alter_table('contract_notice', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contract_notice_contract_id'))
    op.drop_table('contract_notice')
    op.drop_table('kpi_reading')
    op.drop_table('kpi_exemption')
    op.drop_table('kpi')
