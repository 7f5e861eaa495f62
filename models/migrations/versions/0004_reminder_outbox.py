"""reminder outbox

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23

The reminder outbox (unique by idempotency key), delivery attempts, finished sweeps,
and contracts queued for re-planning; every existing contract is queued.
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('reminder_sweep',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('as_of', sa.DateTime(timezone=True), nullable=False),
    sa.Column('window_start', sa.Date(), nullable=True),
    sa.Column('through', sa.Date(), nullable=False),
    sa.Column('planned', sa.Integer(), nullable=False),
    sa.Column('replanned_contracts', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('reminder_sweep', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminder_sweep_through'), ['through'], unique=False)

    op.create_table('reminder',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=200), nullable=False),
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.Column('key_date_key', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('lead', sa.String(length=8), nullable=False),
    sa.Column('step', sa.Integer(), nullable=False),
    sa.Column('last_step', sa.Boolean(), nullable=False),
    sa.Column('tag', sa.String(length=60), nullable=False),
    sa.Column('escalation', sa.Boolean(), nullable=False),
    sa.Column('send_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('late', sa.Boolean(), nullable=False),
    sa.Column('snoozed_until', sa.Date(), nullable=True),
    sa.Column('acked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('acked_by', sa.String(length=120), nullable=True),
    sa.Column('closed_reason', sa.String(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contract.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('idempotency_key', name='uq_reminder_idempotency_key')
    )
    with op.batch_alter_table('reminder', schema=None) as batch_op:
        batch_op.create_index('ix_reminder_key_date', ['contract_id', 'key_date_key', 'due_on', 'tag'], unique=False)
        batch_op.create_index('ix_reminder_ready', ['status', 'next_attempt_at'], unique=False)

    op.create_table('reminder_replan',
    sa.Column('contract_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['contract_id'], ['contract.id'], ),
    sa.PrimaryKeyConstraint('contract_id')
    )
    op.create_table('reminder_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reminder_id', sa.Integer(), nullable=False),
    sa.Column('attempted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('target', sa.String(length=300), nullable=False),
    sa.Column('ok', sa.Boolean(), nullable=False),
    sa.Column('error', sa.String(), nullable=True),
    sa.ForeignKeyConstraint(['reminder_id'], ['reminder.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('reminder_attempt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reminder_attempt_reminder_id'), ['reminder_id'], unique=False)

    op.execute("INSERT INTO reminder_replan (contract_id) SELECT id FROM contract")


def downgrade() -> None:
    with op.batch_alter_table('reminder_attempt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reminder_attempt_reminder_id'))

    op.drop_table('reminder_attempt')
    op.drop_table('reminder_replan')
    with op.batch_alter_table('reminder', schema=None) as batch_op:
        batch_op.drop_index('ix_reminder_ready')
        batch_op.drop_index('ix_reminder_key_date')

    op.drop_table('reminder')
    with op.batch_alter_table('reminder_sweep', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reminder_sweep_through'))

    op.drop_table('reminder_sweep')
