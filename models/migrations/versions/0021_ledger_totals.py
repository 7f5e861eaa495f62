"""Running totals beside the ledger: what each payer, outcome and participant has been paid so far

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06

Every payment run summed the whole ledger before it planned: each payer's
balance, what each outcome and each participant had been paid, the ledger's
last entry. At a million claims a run paying nothing spent most of its time
there, and at ten million on PostgreSQL 9.7 s. Two tables now keep those sums,
written in the same transaction as every entry (models/pbr/totals.py):
`pbr_ledger_total` per contract, payer, kind, item and outcome ('' for none),
with the count and the latest entry's id; `pbr_participant_paid` per contract
and participant, what its outcomes were paid net of clawbacks and reversals.
They are filled here from the ledger, which stays the record. The index
`ix_pbr_ledger_participant_sums` served only the participants' sums: it is
dropped, one index fewer for a run's approval to write. A partial index of the
participants corrected since the last run (`redecide`), which every run and its
proposal look for, saves a read of every participant (0.1 s each at 250,000).
"""
from alembic import op
import sqlalchemy as sa


revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None

NET_OUTCOME = "item = 'outcome' AND kind IN ('accrual', 'clawback', 'reversal') AND outcome IS NOT NULL"


def upgrade() -> None:
    op.create_table(
        'pbr_ledger_total',
        sa.Column('contract_id', sa.Integer(), nullable=False),
        sa.Column('payer', sa.String(length=120), nullable=False),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('item', sa.String(length=24), nullable=False),
        sa.Column('outcome', sa.String(length=30), nullable=False),
        sa.Column('pence', sa.BigInteger(), nullable=False),
        sa.Column('entries', sa.Integer(), nullable=False),
        sa.Column('last_id', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('contract_id', 'payer', 'kind', 'item', 'outcome'),
    )
    op.create_table(
        'pbr_participant_paid',
        sa.Column('contract_id', sa.Integer(), nullable=False),
        sa.Column('participant', sa.String(length=60), nullable=False),
        sa.Column('pence', sa.BigInteger(), nullable=False),
        sa.Column('entries', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('contract_id', 'participant'),
    )
    op.execute(
        "INSERT INTO pbr_ledger_total (contract_id, payer, kind, item, outcome, pence, entries, last_id) "
        "SELECT contract_id, payer, kind, item, COALESCE(outcome, ''), SUM(amount_pence), COUNT(*), MAX(id) "
        "FROM pbr_ledger GROUP BY contract_id, payer, kind, item, COALESCE(outcome, '')"
    )
    op.execute(
        "INSERT INTO pbr_participant_paid (contract_id, participant, pence, entries) "
        "SELECT contract_id, participant, SUM(amount_pence), COUNT(*) FROM pbr_ledger "
        f"WHERE participant IS NOT NULL AND {NET_OUTCOME} GROUP BY contract_id, participant"
    )
    op.drop_index('ix_pbr_ledger_participant_sums', table_name='pbr_ledger')
    op.create_index(
        'ix_pbr_participant_redecide',
        'pbr_participant',
        ['contract_id', 'id'],
        unique=False,
        sqlite_where=sa.text('redecide = 1'),
        postgresql_where=sa.text('redecide'),
    )


def downgrade() -> None:
    op.drop_index('ix_pbr_participant_redecide', table_name='pbr_participant')
    op.create_index(
        'ix_pbr_ledger_participant_sums',
        'pbr_ledger',
        ['contract_id', 'item', 'kind', 'participant', 'outcome', 'amount_pence'],
        unique=False,
    )
    op.drop_table('pbr_participant_paid')
    op.drop_table('pbr_ledger_total')
