"""Single sign-on: a user account may be tied to one OpenID Connect subject

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06

`user_account.sso_subject` holds "<issuer> <subject>" for an account made or
matched at a single sign-on (flows/accounts/sso.py): the next sign-on from the
same identity provider finds the same account whatever the person's name or
e-mail becomes. Local accounts leave it empty. Unique, so two accounts can
never share one identity.
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sso_subject', sa.String(length=600), nullable=True))
        batch_op.create_index(batch_op.f('ix_user_account_sso_subject'), ['sso_subject'], unique=True)


def downgrade() -> None:
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_account_sso_subject'))
        batch_op.drop_column('sso_subject')
