"""The web app's background jobs and the sign-in throttle's failures are kept in the database

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06

A claims upload or a sweep started from a page runs in the background, and
its page refreshes until the result. With several web processes (`uvicorn
--workers N`, or several hosts behind a balancer) the refresh may reach
another process than the one that runs the job, so the job's stage and result
are kept in `web_job`, where every process reads them (models/web_jobs.py).
For the same reason the sign-in throttle counts wrong passwords in
`sign_in_failure` (by a digest of the user name or address), so that more
processes do not give more tries.
"""
from alembic import op
import sqlalchemy as sa



revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'web_job',
        sa.Column('id', sa.String(length=40), nullable=False),
        sa.Column('owner', sa.Integer(), nullable=False),
        sa.Column('title', sa.String(length=300), nullable=False),
        sa.Column('state', sa.String(length=10), nullable=False),
        sa.Column('stage', sa.String(length=300), nullable=False),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('result', sa.JSON(), nullable=True),
        sa.Column('runner', sa.String(length=120), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('web_job', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_web_job_owner'), ['owner'], unique=False)
        batch_op.create_index(batch_op.f('ix_web_job_started_at'), ['started_at'], unique=False)
    op.create_table(
        'sign_in_failure',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key_digest', sa.String(length=64), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    with op.batch_alter_table('sign_in_failure', schema=None) as batch_op:
        batch_op.create_index('ix_sign_in_failure_key_at', ['key_digest', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_sign_in_failure_at'), ['at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('sign_in_failure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sign_in_failure_at'))
        batch_op.drop_index('ix_sign_in_failure_key_at')
    op.drop_table('sign_in_failure')
    with op.batch_alter_table('web_job', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_web_job_started_at'))
        batch_op.drop_index(batch_op.f('ix_web_job_owner'))
    op.drop_table('web_job')
