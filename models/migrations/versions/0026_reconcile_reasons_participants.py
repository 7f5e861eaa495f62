"""Two small indexes of each contract's claims for reconcile: by reasons, and the accepted by participant

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07

Reconcile sums a contract's claims by their reasons, and finds the participant
with the most accepted. On SQLite both read every claim from the table (the
whole row, for a few columns) and grouped them in a temporary B-tree: at a
million claims 0.27 s and 0.68 s of CPU, a third of reconcile's call.
`ix_pbr_claim_reasons` (contract, reasons, claimed, payable and capped pence)
holds only the claims with reasons (about one in eight), so their sums are
read from it alone, already grouped (0.03 s); `ix_pbr_claim_participant`
(contract, participant, verdict, payable pence) holds only the accepted
claims, so the sums by participant are read from it alone, already grouped
(0.31 s). On SQLite only, as 0024: PostgreSQL's reconcile plans its own
statements, and there they would only cost every claims import.
"""

from alembic import op
import sqlalchemy as sa


revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

WITH_REASONS = "reasons <> ''"
ACCEPTED = "verdict IN ('accepted', 'partly_accepted')"


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.create_index(
            "ix_pbr_claim_reasons",
            "pbr_claim",
            ["contract_id", "reasons", "claimed_pence", "payable_pence", "capped_pence"],
            unique=False,
            sqlite_where=sa.text(WITH_REASONS),
        )
        op.create_index(
            "ix_pbr_claim_participant",
            "pbr_claim",
            ["contract_id", "participant", "verdict", "payable_pence"],
            unique=False,
            sqlite_where=sa.text(ACCEPTED),
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.drop_index("ix_pbr_claim_participant", table_name="pbr_claim")
        op.drop_index("ix_pbr_claim_reasons", table_name="pbr_claim")
