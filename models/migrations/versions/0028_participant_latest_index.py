"""An index of each contract's participants by id: the latest of them, read by every run in place of their count

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07

A payment run's proposal and its approval each name what the plan was made
from, and the participants were among them by their count (``SELECT COUNT(*)
FROM pbr_participant WHERE contract_id = ...``): on PostgreSQL at 1,000,000
claims, 250,000 participants, about 0.13 s a count, three a run, growing with
every participant ever referred. Participants are never deleted, so the count
changes exactly when one is added, and so does the contract's latest
participant id: `ix_pbr_participant_latest` (contract, id) gives it from one
descent of the index (``models.pbr.claims.latest_participant``).
"""

from alembic import op


revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_pbr_participant_latest", "pbr_participant", ["contract_id", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_pbr_participant_latest", table_name="pbr_participant")
