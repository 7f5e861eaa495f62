"""claims without the verdict index

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23

The (contract_id, verdict) index on pbr_claim is dropped. Nine claims in ten
are accepted, so a contract's accepted claims are read as fast through the
(contract_id, ref, fingerprint) index; and keeping a second index up to date
cost a quarter of the time of storing a million claims.
"""
from alembic import op


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('pbr_claim', schema=None) as batch_op:
        batch_op.drop_index('ix_pbr_claim_contract_verdict')


def downgrade() -> None:
    with op.batch_alter_table('pbr_claim', schema=None) as batch_op:
        batch_op.create_index('ix_pbr_claim_contract_verdict', ['contract_id', 'verdict'], unique=False)
