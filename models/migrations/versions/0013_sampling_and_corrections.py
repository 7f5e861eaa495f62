"""sampling that stands up, and key dates marked handled

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06

A validation sample now keeps the minimum size the sampling policy asked for
when it was drawn, the reason recorded for drawing fewer, and its conclusion:
the error rate by value, its confidence interval, the basis the policy chose
(point estimate or lower bound) and the recovery raised. Samples drawn before
have none of these (NULL).

A key date can be marked handled (notice served, not breaking, option
declined), with who, when and a note: `key_date_handled`, one row per
(contract, key, due date), kept apart from the derived key dates.

An item of evidence can be withdrawn (entered in error), with who, when and
why: it stays in the register and the history, and the gates no longer count
it.

A participant corrected since the last payment run is marked `redecide`: the
next run re-decides their accepted claims on the corrected facts.

A stage record entered in error can be superseded by another of its kind:
`superseded_by` names that one (the gates use it), `superseded_reason` why.
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('validation_sample') as batch:
        batch.add_column(sa.Column('minimum_size', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('size_reason', sa.String(), nullable=True))
        batch.add_column(sa.Column('conclusion', sa.JSON(), nullable=True))
    with op.batch_alter_table('stage_record') as batch:
        batch.add_column(sa.Column('superseded_by', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('superseded_reason', sa.String(), nullable=True))
        batch.create_foreign_key('fk_stage_record_superseded_by', 'stage_record', ['superseded_by'], ['id'])
    with op.batch_alter_table('pbr_participant') as batch:
        batch.add_column(sa.Column('redecide', sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table('evidence') as batch:
        batch.add_column(sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('withdrawn_by', sa.String(length=120), nullable=True))
        batch.add_column(sa.Column('withdrawn_reason', sa.String(), nullable=True))
    op.create_table(
        'key_date_handled',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('contract_id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=40), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('handled_as', sa.String(length=30), nullable=False),
        sa.Column('handled_on', sa.Date(), nullable=False),
        sa.Column('note', sa.String(), nullable=False),
        sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('actor', sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(['contract_id'], ['contract.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('contract_id', 'key', 'due_on', name='uq_key_date_handled'),
    )


def downgrade() -> None:
    op.drop_table('key_date_handled')
    with op.batch_alter_table('pbr_participant') as batch:
        batch.drop_column('redecide')
    with op.batch_alter_table('stage_record') as batch:
        batch.drop_constraint('fk_stage_record_superseded_by', type_='foreignkey')
        batch.drop_column('superseded_reason')
        batch.drop_column('superseded_by')
    with op.batch_alter_table('evidence') as batch:
        batch.drop_column('withdrawn_reason')
        batch.drop_column('withdrawn_by')
        batch.drop_column('withdrawn_at')
    with op.batch_alter_table('validation_sample') as batch:
        batch.drop_column('conclusion')
        batch.drop_column('size_reason')
        batch.drop_column('minimum_size')
