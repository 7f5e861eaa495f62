"""The claims are vacuumed after every run of some size, not after a fifth of them changed

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-07

A payment run reads the claims due (accepted, never accrued) from their partial index,
``ix_pbr_claim_due``, several times: counted at the proposal, read in order, summed
again at the approval, marked. Marking a claim accrued leaves its entry in that index,
dead, until the table is vacuumed, and every later read of the due claims steps over it:
at 1,000,000 claims after the runs to 2024-Q2, 1,236 index pages for a run of 80 claims
(13 ms warm, 412 ms cold, each read), against 2 pages (0.2 ms) once vacuumed. PostgreSQL's
autovacuum waits for a fifth of the table to change (``autovacuum_vacuum_scale_factor``
0.2): 200,000 claims paid at 1,000,000, 2,000,000 at 10,000,000, so a small run
stepped over the entries of every run since the last vacuum, a cost that grew with the
claims paid before it, not with its own.

Here pbr_claim is vacuumed by autovacuum, in the background, once 20,000 of its rows have
changed since the last (``autovacuum_vacuum_threshold``, with no scale factor), and once
100,000 have been inserted (``autovacuum_vacuum_insert_threshold``): after a run of that size,
or an import, not after a fifth of the table; and the pages an import wrote are marked all
visible, so that counting the due claims from their index does not visit the table. An
explicit VACUUM at the approval would make a big run wait for it (2 s at 1,000,000 claims).

PostgreSQL only: SQLite has no dead index entries to step over (a row's entries go with it).
"""

from alembic import op

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None

SETTINGS = {
    "autovacuum_vacuum_scale_factor": "0",
    "autovacuum_vacuum_threshold": "20000",
    "autovacuum_vacuum_insert_scale_factor": "0",
    "autovacuum_vacuum_insert_threshold": "100000",
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"ALTER TABLE pbr_claim SET ({', '.join(f'{k} = {v}' for k, v in SETTINGS.items())})")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"ALTER TABLE pbr_claim RESET ({', '.join(SETTINGS)})")
