"""contracts, key dates, variations

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

Key dates are materialised in contract_key_date, indexed on due_on, so the
reminder sweep finds everything due with one range query.
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('contract',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ref', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('provider', sa.String(length=200), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('value_pence', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('start', sa.Date(), nullable=False),
    sa.Column('initial_term_months', sa.Integer(), nullable=False),
    sa.Column('extensions', sa.JSON(), nullable=False),
    sa.Column('extensions_used', sa.Integer(), nullable=False),
    sa.Column('breaks', sa.JSON(), nullable=False),
    sa.Column('reviews', sa.JSON(), nullable=False),
    sa.Column('kpis', sa.JSON(), nullable=False),
    sa.Column('nation', sa.String(length=20), nullable=False),
    sa.Column('payment_model', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('award_notice_on', sa.Date(), nullable=True),
    sa.Column('signed_on', sa.Date(), nullable=True),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('recommissioning_lead_months', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contract_project_id'), ['project_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contract_ref'), ['ref'], unique=True)
        batch_op.create_index(batch_op.f('ix_contract_status'), ['status'], unique=False)

    op.create_table('contract_key_date',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('guards', sa.Date(), nullable=True),
    sa.Column('action', sa.String(), nullable=False),
    sa.Column('who', sa.String(length=60), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contract.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('contract_id', 'key', name='uq_contract_key_date')
    )
    with op.batch_alter_table('contract_key_date', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contract_key_date_contract_id'), ['contract_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contract_key_date_due_on'), ['due_on'], unique=False)

    op.create_table('contract_variation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('varied_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=120), nullable=False),
    sa.Column('reason', sa.String(), nullable=False),
    sa.Column('before', sa.JSON(), nullable=False),
    sa.Column('after', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contract.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('contract_variation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contract_variation_contract_id'), ['contract_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('contract_variation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contract_variation_contract_id'))

    op.drop_table('contract_variation')
    with op.batch_alter_table('contract_key_date', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contract_key_date_due_on'))
        batch_op.drop_index(batch_op.f('ix_contract_key_date_contract_id'))

    op.drop_table('contract_key_date')
    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contract_status'))
        batch_op.drop_index(batch_op.f('ix_contract_ref'))
        batch_op.drop_index(batch_op.f('ix_contract_project_id'))

    op.drop_table('contract')
