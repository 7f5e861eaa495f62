"""procurement milestones

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

Planned and actual dates of each procurement milestone, per project and cycle.
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('procurement_milestone',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('cycle', sa.Integer(), nullable=False),
    sa.Column('milestone', sa.String(length=40), nullable=False),
    sa.Column('planned_on', sa.Date(), nullable=True),
    sa.Column('actual_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['project_id'], ['project.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('project_id', 'cycle', 'milestone', name='uq_procurement_milestone')
    )
    with op.batch_alter_table('procurement_milestone', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_procurement_milestone_project_id'), ['project_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('procurement_milestone', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_procurement_milestone_project_id'))

    op.drop_table('procurement_milestone')
