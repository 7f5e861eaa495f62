"""proposals and approvals: maker-checker for payment runs, recoveries, clawbacks and rate cards

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06

A payment run, a recovery raised from sampling, a clawback or its reversal, and a new rate-card version
are first a proposal (with its preview, and a fingerprint of the inputs it was computed from), and reach
the ledger only when approved by a finance user other than the proposer (two, over the policy's
threshold). ``pending_key`` is set while pending: one pending proposal per contract and thing proposed.
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'proposal',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=24), nullable=False),
        sa.Column('contract_id', sa.Integer(), nullable=False),
        sa.Column('period', sa.String(length=10), nullable=True),
        sa.Column('subject', sa.String(length=200), nullable=False),
        sa.Column('pending_key', sa.String(length=200), nullable=True),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.Column('preview', sa.JSON(), nullable=False),
        sa.Column('fingerprint', sa.String(length=64), nullable=False),
        sa.Column('amount_pence', sa.Integer(), nullable=False),
        sa.Column('approvals_needed', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('proposed_by', sa.String(length=120), nullable=False),
        sa.Column('proposed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('decided_by', sa.String(length=120), nullable=True),
        sa.Column('reason', sa.String(), nullable=True),
        sa.ForeignKeyConstraint(['contract_id'], ['contract.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('contract_id', 'pending_key', name='uq_proposal_pending'),
    )
    op.create_index('ix_proposal_kind', 'proposal', ['kind'], unique=False)
    op.create_index('ix_proposal_status', 'proposal', ['status'], unique=False)
    op.create_table(
        'proposal_approval',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('proposal_id', sa.Integer(), nullable=False),
        sa.Column('approver', sa.String(length=120), nullable=False),
        sa.Column('approved_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['proposal_id'], ['proposal.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('proposal_id', 'approver', name='uq_proposal_approval'),
    )
    op.create_index('ix_proposal_approval_proposal_id', 'proposal_approval', ['proposal_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_proposal_approval_proposal_id', table_name='proposal_approval')
    op.drop_table('proposal_approval')
    op.drop_index('ix_proposal_status', table_name='proposal')
    op.drop_index('ix_proposal_kind', table_name='proposal')
    op.drop_table('proposal')
