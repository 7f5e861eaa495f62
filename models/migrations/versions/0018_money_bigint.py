"""A run's payment, its proposal's amount and a sample's population value in 64-bit integers

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06

A payment run writes one payment entry per payer for the whole run, and its
proposal carries the run's total: in pence, a run over £21,474,836.47 is past
a 32-bit integer. PostgreSQL refused to propose such a run ("integer out of
range"); SQLite's integers were 64-bit already. The sample's population value
is a run's outcomes paid, so it goes the same way.
"""
from alembic import op
import sqlalchemy as sa


revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None

COLUMNS = (('pbr_ledger', 'amount_pence'), ('proposal', 'amount_pence'), ('validation_sample', 'population_pence'))


def upgrade() -> None:
    for table, column in COLUMNS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column, type_=sa.BigInteger(), existing_type=sa.Integer(), existing_nullable=False)


def downgrade() -> None:
    for table, column in COLUMNS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(column, type_=sa.Integer(), existing_type=sa.BigInteger(), existing_nullable=False)
