"""Two ledger indexes carry what reconciliation sums, so that it reads them and not the entries

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06

Reconciliation sums a contract's ledger by payer, kind and item, and what runs
accrued for each claim. Both read every entry (1.8 million at a million
claims): through the index of (contract, payer) and the index of (claim,
kind), each entry was then fetched from the table for its amount. The same two
indexes now end with the columns those sums read (the payer index with kind,
item, run, claim and amount; the claim index with amount), so the sums come
from the indexes alone and the payer sums in their order. No index is added: a
run's approval still writes its entries into as many. The run comes before the
claim in the payer index so that a run's entries still go in at the end of
each payer's part: keyed by claim next, they landed all over it, and at a
million claims the approval of the biggest quarter took half as long again.
"""
from alembic import op


revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None

# (name, columns before, columns after)
INDEXES = (
    ('ix_pbr_ledger_contract_payer', ['contract_id', 'payer'],
     ['contract_id', 'payer', 'kind', 'item', 'run_id', 'claim_id', 'amount_pence']),
    ('ix_pbr_ledger_claim', ['claim_id', 'kind'], ['claim_id', 'kind', 'amount_pence']),
)


def upgrade() -> None:
    for name, _, after in INDEXES:
        op.drop_index(name, table_name='pbr_ledger')
        op.create_index(name, 'pbr_ledger', after, unique=False)


def downgrade() -> None:
    for name, before, _ in INDEXES:
        op.drop_index(name, table_name='pbr_ledger')
        op.create_index(name, 'pbr_ledger', before, unique=False)
