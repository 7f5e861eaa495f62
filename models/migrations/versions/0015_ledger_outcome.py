"""The ledger names each claim's outcome, and sums per outcome and participant come from its indexes

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06

A payment run caps each claim against what its participant and its outcome
have been paid so far, net of clawbacks. Those sums read every outcome entry
of the contract, and the per-outcome one joined each entry to its claim: at a
million claims, two million entries read at random. `pbr_ledger.outcome`
holds the claim's outcome on every entry for a claim (filled here from the
claims for the entries already written), and two indexes hold the columns the
sums need, so each is read from an index alone, in order.
"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('pbr_ledger', schema=None) as batch_op:
        batch_op.add_column(sa.Column('outcome', sa.String(length=30), nullable=True))
    op.execute(
        "UPDATE pbr_ledger SET outcome = (SELECT c.outcome FROM pbr_claim c WHERE c.id = pbr_ledger.claim_id) "
        "WHERE claim_id IS NOT NULL"
    )
    with op.batch_alter_table('pbr_ledger', schema=None) as batch_op:
        batch_op.create_index(
            'ix_pbr_ledger_outcome_sums', ['contract_id', 'item', 'kind', 'outcome', 'amount_pence'], unique=False
        )
        batch_op.create_index(
            'ix_pbr_ledger_participant_sums',
            ['contract_id', 'item', 'kind', 'participant', 'outcome', 'amount_pence'],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table('pbr_ledger', schema=None) as batch_op:
        batch_op.drop_index('ix_pbr_ledger_participant_sums')
        batch_op.drop_index('ix_pbr_ledger_outcome_sums')
        batch_op.drop_column('outcome')
