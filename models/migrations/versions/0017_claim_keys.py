"""Claims are stored without foreign-key checks: the import already guarantees what they checked

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06

A foreign key is checked by PostgreSQL row by row, by a trigger that looks
the key up again: three for every claim (its contract, its import, its rate
card). At ten million claims that was about 120 s of the server's time, half
of all it did for the import (bench/pbr_claims_pg.py). Every claim row is
written by the claims import alone, in one transaction that has locked its
contract's row, made its own `claim_import` row and read the contract's rate
cards, and none of those three tables ever loses a row: the keys checked
nothing the import had not made sure of. The columns, and their meaning,
stay; `pbr_ledger.claim_id` still refers to a claim, checked.
"""
from alembic import op


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

# (column, referred table) of each key dropped; PostgreSQL named them <table>_<column>_fkey.
KEYS = (('contract_id', 'contract'), ('import_id', 'claim_import'), ('rate_card_id', 'rate_card'))
# SQLite's keys have no name: the batch names them by this convention, so they can be dropped by name.
SQLITE_NAMES = {'fk': 'pbr_claim_%(column_0_name)s_fkey'}


def upgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        with op.batch_alter_table('pbr_claim', naming_convention=SQLITE_NAMES) as batch_op:
            for column, _ in KEYS:
                batch_op.drop_constraint(f'pbr_claim_{column}_fkey', type_='foreignkey')
        return
    for column, _ in KEYS:
        op.drop_constraint(f'pbr_claim_{column}_fkey', 'pbr_claim', type_='foreignkey')


def downgrade() -> None:
    with op.batch_alter_table('pbr_claim', schema=None) as batch_op:
        for column, table in KEYS:
            batch_op.create_foreign_key(f'pbr_claim_{column}_fkey', table, [column], ['id'])
