"""local accounts: users, provider organisations, tokens

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06

The web app's accounts: a user with roles (several per user), a provider organisation (a provider user
belongs to one; its contracts are found by their provider names), and each user's API and calendar-feed
tokens, kept only as digests.
"""
from alembic import op
import sqlalchemy as sa



revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'provider_organisation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('provider_names', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('name'),
    )
    op.create_table(
        'user_account',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('username', sa.String(length=40), nullable=False),
        sa.Column('display_name', sa.String(length=120), nullable=False),
        sa.Column('password_hash', sa.String(length=200), nullable=False),
        sa.Column('roles', sa.JSON(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=True),
        sa.Column('disabled', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['organisation_id'], ['provider_organisation.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_user_account_username', 'user_account', ['username'], unique=True)
    op.create_table(
        'user_token',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('purpose', sa.String(length=12), nullable=False),
        sa.Column('name', sa.String(length=80), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('hint', sa.String(length=8), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['user_account.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('digest', name='uq_user_token_digest'),
    )
    op.create_index('ix_user_token_user_id', 'user_token', ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_user_token_user_id', table_name='user_token')
    op.drop_table('user_token')
    op.drop_index('ix_user_account_username', table_name='user_account')
    op.drop_table('user_account')
    op.drop_table('provider_organisation')
