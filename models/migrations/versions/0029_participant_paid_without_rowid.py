"""The participants' reads of a run: pbr_participant_paid kept in its key's order (WITHOUT ROWID on SQLite), and
the index of the participants corrected since the last run chosen again over 0028's

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
the run's read of the claims due 0.73 to 1.09 s of CPU with the rowid, 0.55 to
0.87 s without (four reads each, alternately, under load).
SQLite cannot change that on a table in place: it is made again with its own
CREATE TABLE and WITHOUT ROWID, its rows copied in key order. PostgreSQL has no
rowid (its primary key is an index beside the heap either way): nothing to do.

`ix_pbr_participant_redecide` (0021), the handful of participants corrected
since the last run, was (contract, id) where redecide: 0028's
`ix_pbr_participant_latest` has the same columns over every participant, and
SQLite, without statistics, took that one for "contract_id = ? AND redecide =
1", reading each of the contract's participants to find none (0.05 s a read at
250,000 participants, five reads a run). With redecide among its columns the
partial index matches both terms, and SQLite takes it again.
"""

from collections.abc import Callable

from alembic import op
import sqlalchemy as sa


revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

TABLE = "pbr_participant_paid"
HOLD = "_pbr_participant_paid_0029"
WITHOUT_ROWID = " WITHOUT ROWID"
COLUMNS = "contract_id, participant, pence, entries"
REDECIDE = "ix_pbr_participant_redecide"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuilt(lambda sql: sql.rstrip() + WITHOUT_ROWID)
    _redecide(["contract_id", "redecide", "id"])


def downgrade() -> None:
    _redecide(["contract_id", "id"])
    if op.get_bind().dialect.name == "sqlite":
        _rebuilt(lambda sql: sql.rstrip().removesuffix(WITHOUT_ROWID))


def _redecide(columns: list[str]) -> None:
    """The partial index of the participants corrected since the last run, made again on ``columns``."""
    op.drop_index(REDECIDE, table_name="pbr_participant")
    op.create_index(
        REDECIDE,
        "pbr_participant",
        columns,
        unique=False,
        sqlite_where=sa.text("redecide = 1"),
        postgresql_where=sa.text("redecide"),
    )


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
