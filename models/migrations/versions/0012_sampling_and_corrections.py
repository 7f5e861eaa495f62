"""sampling that stands up: the minimum size and the reason for a smaller sample, and the recovery's method

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06

A validation sample now keeps the minimum size the sampling policy asked for
when it was drawn, the reason recorded for drawing fewer, and its conclusion:
the error rate by value, its confidence interval, the basis the policy chose
(point estimate or lower bound) and the recovery raised. Samples drawn before
have none of these (NULL).
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('validation_sample') as batch:
        batch.add_column(sa.Column('minimum_size', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('size_reason', sa.String(), nullable=True))
        batch.add_column(sa.Column('conclusion', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('validation_sample') as batch:
        batch.drop_column('conclusion')
        batch.drop_column('size_reason')
        batch.drop_column('minimum_size')
