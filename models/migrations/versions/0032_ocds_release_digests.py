"""A digest of each OCDS release's contents beside its id, so that an id given again with other contents is refused

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-07

A release id already stored, given again in a later import with other contents,
was taken as unchanged: only its id was kept, so nothing could tell. Now
``ocds_process.release_digests`` keeps, for each release id, the SHA-256 of its
canonical contents and when it was first imported; the import refuses the
process of an id given again with another digest, and the same contents again
stay a no-op.

Existing rows are left NULL: their releases' contents were never kept, so
their digests are unknown, and an id imported before this migration is taken as
before.
"""

from alembic import op
import sqlalchemy as sa


revision = "0032"
down_revision = "0031"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("ocds_process", sa.Column("release_digests", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ocds_process") as batch:
        batch.drop_column("release_digests")
