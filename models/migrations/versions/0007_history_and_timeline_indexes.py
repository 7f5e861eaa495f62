"""history and timeline indexes

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23

The reads of `show` and `contracts show` come in the order an index keeps,
so none of them sorts: a project's or contract's history (event: entity,
entity_ref, effective_at, id), a project's contracts (contract: project_id,
ref) and a contract's key dates (contract_key_date: contract_id, due_on,
key). Each replaces the index it begins with, so an import writes no more
index entries than before.
"""
from alembic import op


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.create_index('ix_event_history', ['entity', 'entity_ref', 'effective_at', 'id'], unique=False)
        batch_op.drop_index('ix_event_entity')
    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.create_index('ix_contract_project_ref', ['project_id', 'ref'], unique=False)
        batch_op.drop_index('ix_contract_project_id')
    with op.batch_alter_table('contract_key_date', schema=None) as batch_op:
        batch_op.create_index('ix_contract_key_date_timeline', ['contract_id', 'due_on', 'key'], unique=False)
        batch_op.drop_index('ix_contract_key_date_contract_id')


def downgrade() -> None:
    with op.batch_alter_table('contract_key_date', schema=None) as batch_op:
        batch_op.create_index('ix_contract_key_date_contract_id', ['contract_id'], unique=False)
        batch_op.drop_index('ix_contract_key_date_timeline')
    with op.batch_alter_table('contract', schema=None) as batch_op:
        batch_op.create_index('ix_contract_project_id', ['project_id'], unique=False)
        batch_op.drop_index('ix_contract_project_ref')
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.create_index('ix_event_entity', ['entity', 'entity_ref'], unique=False)
        batch_op.drop_index('ix_event_history')
