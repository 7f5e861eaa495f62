"""The participants' paid so far kept in their key's order: pbr_participant_paid a WITHOUT ROWID table on SQLite

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07

A payment run reads each claim due with what its participant has been paid
so far (``models.pbr.claims.due_claim_rows``), by the key (contract,
participant) of `pbr_participant_paid`. On SQLite a table with a rowid keeps
that key in an index of its own: each claim took two descents, the key's
index and then the row by its rowid. A WITHOUT ROWID table is stored in its
key's order, the row in the key's own b-tree: one descent, and the approval's
upsert of the run's participants writes one b-tree, not two. Measured on a
copy of the 1,000,000-claim bench before its largest quarter (205,072 claims):
the run's read of the claims due 0.81 s, 0.62 s without the rowid.

SQLite cannot change that on a table in place: it is made again with its own
CREATE TABLE and WITHOUT ROWID, its rows copied in key order. PostgreSQL has no
rowid (its primary key is an index beside the heap either way): nothing to do.
"""

from collections.abc import Callable

from alembic import op


revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

TABLE = "pbr_participant_paid"
HOLD = "_pbr_participant_paid_0029"
WITHOUT_ROWID = " WITHOUT ROWID"
COLUMNS = "contract_id, participant, pence, entries"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuilt(lambda sql: sql.rstrip() + WITHOUT_ROWID)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuilt(lambda sql: sql.rstrip().removesuffix(WITHOUT_ROWID))


def _rebuilt(changed: Callable[[str], str]) -> None:
    """SQLite: the table made again from its own CREATE TABLE as ``changed`` rewrites it, with its rows (it has
    no index but its key's, and no foreign key names it)."""
    connection = op.get_bind()
    (table,) = connection.exec_driver_sql(
        f"SELECT sql FROM sqlite_master WHERE type = 'table' AND name = '{TABLE}'"
    ).one()
    new = changed(table)
    if new == table:
        raise RuntimeError(f"{TABLE} is not as migration 0029 expects")
    connection.exec_driver_sql(f"ALTER TABLE {TABLE} RENAME TO {HOLD}")
    connection.exec_driver_sql(new)
    connection.exec_driver_sql(
        f"INSERT INTO {TABLE} ({COLUMNS}) SELECT {COLUMNS} FROM {HOLD} ORDER BY contract_id, participant"
    )
    connection.exec_driver_sql(f"DROP TABLE {HOLD}")
