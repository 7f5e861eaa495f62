"""A marker on each claim a payment run has accrued, and an index of the claims still to pay

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06

Every payment run read the contract's due claims (accepted, achieved by the
period's end, no accrual in the ledger) by reading every accepted claim of the
contract and looking each up in the ledger: at a million claims about half a
second a read on SQLite, several seconds at ten million on PostgreSQL, and a
run reads them more than once. `pbr_claim.accrued_run_id` names the run whose
approval accrued the claim (set in that approval's transaction); the partial
index `ix_pbr_claim_due` holds only the accepted claims without it, in the
order a run pays them, so a run reads only what is unpaid. Existing claims are
marked from the ledger here: the earliest run with an accrual for the claim.
The ledger stays the truth, and is append-only, so a marker is never cleared.
"""
from alembic import op
import sqlalchemy as sa


revision = '0019'
down_revision = '0018'
branch_labels = None
depends_on = None

UNPAID = "accrued_run_id IS NULL AND verdict IN ('accepted', 'partly_accepted')"


def upgrade() -> None:
    # a nullable column without a default: added without rewriting the table on either backend
    op.add_column('pbr_claim', sa.Column('accrued_run_id', sa.Integer(), nullable=True))
    op.execute(
        "UPDATE pbr_claim SET accrued_run_id = (SELECT MIN(l.run_id) FROM pbr_ledger l "
        "WHERE l.claim_id = pbr_claim.id AND l.kind = 'accrual') "
        "WHERE EXISTS (SELECT 1 FROM pbr_ledger l WHERE l.claim_id = pbr_claim.id AND l.kind = 'accrual')"
    )
    op.create_index(
        'ix_pbr_claim_due',
        'pbr_claim',
        ['contract_id', 'achieved_on', 'ref'],
        unique=False,
        sqlite_where=sa.text(UNPAID),
        postgresql_where=sa.text(UNPAID),
    )


def downgrade() -> None:
    op.drop_index('ix_pbr_claim_due', table_name='pbr_claim')
    # SQLite (3.35 and later) drops a column in place: a batch would copy the table, which the ledger's
    # entries refer to
    op.drop_column('pbr_claim', 'accrued_run_id')
