"""The ledger's payer index without the accruals, and its one-reversal-an-entry rule without the NULLs

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07

A payment run's approval writes two entries a claim, accruals with no
reversed entry: at a million claims the largest run's 410,146 entries were
a quarter of its time, most of it spent in the ledger's indexes. Two of
them held what no reader wants:

- `ix_pbr_ledger_contract_payer` (contract, payer, kind, item, run, claim,
  amount) is read for payments, clawbacks and reversals (reconciliation's
  payments by run and clawbacks, the clawed-back claims, the OCDS payments,
  the ledger list by kind), never for accruals: it becomes partial, every
  entry but the accruals, and its readers name that condition
  (``models.pbr.ledger.NOT_ACCRUALS``), as SQLite requires to use it.
- `reverses_id` was UNIQUE: SQLite's index of it held every entry, NULL
  included. It becomes a unique index of the entries that reverse one,
  `uq_pbr_ledger_reverses`; a second reversal of one entry is still refused.
  SQLite cannot drop a table's inline UNIQUE, so there the table is rebuilt
  from its own CREATE TABLE (``_rebuilt``), keeping every id and index
  (migrations on SQLite run with the foreign keys off, and every key is
  checked before the commit: models/migrate.py); PostgreSQL named it
  pbr_ledger_reverses_id_key.

Measured on the largest quarter at a million claims on SQLite
(bench/pbr_runs.py --child pay, the run alone, under load): a median of
10.8 s of CPU before, 9.9 s after, peak 258 MB before, 232 MB after.
"""
import re
from collections.abc import Callable

from alembic import op
import sqlalchemy as sa


revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None

NOT_ACCRUALS = "kind <> 'accrual'"
REVERSES_ONE = "reverses_id IS NOT NULL"
PAYER_COLUMNS = ['contract_id', 'payer', 'kind', 'item', 'run_id', 'claim_id', 'amount_pence']
UNIQUE = 'pbr_ledger_reverses_id_key'  # PostgreSQL's name for it; on SQLite an inline ``UNIQUE (reverses_id)``
INLINE_UNIQUE = re.compile(r',\s*(CONSTRAINT\s+"?\w+"?\s+)?UNIQUE\s*\(\s*reverses_id\s*\)')
HOLD = '_pbr_ledger_0027'


def upgrade() -> None:
    if op.get_bind().dialect.name == 'sqlite':
        _rebuilt(lambda sql: INLINE_UNIQUE.sub('', sql, count=1))
    else:
        op.drop_constraint(UNIQUE, 'pbr_ledger', type_='unique')
    op.create_index(
        'uq_pbr_ledger_reverses',
        'pbr_ledger',
        ['reverses_id'],
        unique=True,
        sqlite_where=sa.text(REVERSES_ONE),
        postgresql_where=sa.text(REVERSES_ONE),
    )
    op.drop_index('ix_pbr_ledger_contract_payer', table_name='pbr_ledger')
    op.create_index(
        'ix_pbr_ledger_contract_payer',
        'pbr_ledger',
        PAYER_COLUMNS,
        unique=False,
        sqlite_where=sa.text(NOT_ACCRUALS),
        postgresql_where=sa.text(NOT_ACCRUALS),
    )


def downgrade() -> None:
    op.drop_index('ix_pbr_ledger_contract_payer', table_name='pbr_ledger')
    op.create_index('ix_pbr_ledger_contract_payer', 'pbr_ledger', PAYER_COLUMNS, unique=False)
    op.drop_index('uq_pbr_ledger_reverses', table_name='pbr_ledger')
    if op.get_bind().dialect.name == 'sqlite':
        _rebuilt(lambda sql: sql.replace('PRIMARY KEY (id)', 'PRIMARY KEY (id), \n\tUNIQUE (reverses_id)', 1))
    else:
        op.create_unique_constraint(UNIQUE, 'pbr_ledger', ['reverses_id'])


def _rebuilt(changed: Callable[[str], str]) -> None:
    """SQLite: pbr_ledger made again from its own CREATE TABLE as ``changed`` rewrites it, with its rows, ids and
    indexes. Its rows wait in a plain table while it is dropped, then go back in id order (a reversal after the
    entry it names)."""
    connection = op.get_bind()
    (table,) = connection.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'pbr_ledger'"
    ).one()
    indexes = connection.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'pbr_ledger' AND sql IS NOT NULL"
    ).all()
    columns = ', '.join(row[1] for row in connection.exec_driver_sql("PRAGMA table_info(pbr_ledger)"))
    new = changed(table)
    if new == table:
        raise RuntimeError('pbr_ledger is not as migration 0027 expects: its reverses_id UNIQUE was not found')
    for name, _ in indexes:
        connection.exec_driver_sql(f'DROP INDEX "{name}"')
    connection.exec_driver_sql(f'CREATE TABLE {HOLD} AS SELECT {columns} FROM pbr_ledger')
    connection.exec_driver_sql('DROP TABLE pbr_ledger')
    connection.exec_driver_sql(new)
    connection.exec_driver_sql(f'INSERT INTO pbr_ledger ({columns}) SELECT {columns} FROM {HOLD} ORDER BY id')
    connection.exec_driver_sql(f'DROP TABLE {HOLD}')
    for _, sql in indexes:
        connection.exec_driver_sql(sql)
