"""open contracting data: provenance of imported processes and awards; published contract periods to the day

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06

`contract.value_pence` becomes a 64-bit integer: a contract over £21.5m
(Contracts Finder has them) does not fit 32 bits in pence. A contract imported from OCDS keeps its published end (and maxExtentDate) to
the day: `contract.published_end` and `contract.published_max_extent`, null
for contracts whose term is a whole number of months. `ocds_process` keeps
each process's compiled release (JSON text, money exact, unknown fields as
they came), its release ids and the fields not mapped; `ocds_award` ties an
award to the contract it became, so a re-import finds it.
"""
from alembic import op
import sqlalchemy as sa



revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('contract', schema=None) as batch_op:
        # Real portfolios hold contracts over £21.5m: in pence that is past a 32-bit integer.
        batch_op.alter_column('value_pence', type_=sa.BigInteger(), existing_type=sa.Integer(), existing_nullable=False)
        batch_op.add_column(sa.Column('published_end', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('published_max_extent', sa.Date(), nullable=True))
    op.create_table(
        'ocds_process',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ocid', sa.String(length=200), nullable=False),
        sa.Column('project_id', sa.Integer(), nullable=False),
        sa.Column('release_ids', sa.JSON(), nullable=False),
        sa.Column('compiled', sa.Text(), nullable=False),
        sa.Column('unmapped', sa.JSON(), nullable=False),
        sa.Column('source', sa.String(length=500), nullable=False),
        sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['project_id'], ['project.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('project_id'),
    )
    op.create_index('ix_ocds_process_ocid', 'ocds_process', ['ocid'], unique=True)
    op.create_table(
        'ocds_award',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('ocid', sa.String(length=200), nullable=False),
        sa.Column('award_key', sa.String(length=200), nullable=False),
        sa.Column('contract_id', sa.Integer(), nullable=False),
        sa.Column('release_id', sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(['contract_id'], ['contract.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('contract_id'),
        sa.UniqueConstraint('ocid', 'award_key', name='uq_ocds_award'),
    )


def downgrade() -> None:
    op.drop_table('ocds_award')
    op.drop_index('ix_ocds_process_ocid', table_name='ocds_process')
    op.drop_table('ocds_process')
    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.drop_column('published_max_extent')
        batch_op.drop_column('published_end')
        batch_op.alter_column('value_pence', type_=sa.Integer(), existing_type=sa.BigInteger(), existing_nullable=False)
