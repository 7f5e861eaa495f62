"""The ledger's index of sums by outcome becomes a small index of its fees

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07

`ix_pbr_ledger_outcome_sums` (contract, item, kind, outcome, amount) served
the sums of what each outcome had been paid; since the running totals
(0021) only the look-up of the fees already accrued (``accrued_fees``: which
participants had their attachment fee, which months their service fee) read
it, yet a run's approval wrote both its entries a claim into it. At a million
claims, the largest run's 410,146 entries cost 1.2 to 1.6 s of CPU there, of
5 s for the whole insert. It is replaced by `ix_pbr_ledger_fees` (contract,
item, kind, participant, month), partial: only the entries whose item is not
a claim's outcome (fees, payments, recoveries), so a run writes into it a few
entries, not two a claim. The look-up of the fees reads it alone.
"""

from alembic import op
import sqlalchemy as sa


revision = '0025'
down_revision = '0024'
branch_labels = None
depends_on = None

NOT_OUTCOMES = "item <> 'outcome'"


def upgrade() -> None:
    op.drop_index('ix_pbr_ledger_outcome_sums', table_name='pbr_ledger')
    op.create_index(
        'ix_pbr_ledger_fees',
        'pbr_ledger',
        ['contract_id', 'item', 'kind', 'participant', 'month'],
        unique=False,
        sqlite_where=sa.text(NOT_OUTCOMES),
        postgresql_where=sa.text(NOT_OUTCOMES),
    )


def downgrade() -> None:
    op.drop_index('ix_pbr_ledger_fees', table_name='pbr_ledger')
    op.create_index(
        'ix_pbr_ledger_outcome_sums',
        'pbr_ledger',
        ['contract_id', 'item', 'kind', 'outcome', 'amount_pence'],
        unique=False,
    )
