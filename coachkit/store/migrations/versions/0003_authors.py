"""Who recorded each observation and commitment: an ``author`` column on both (the
signed-in person when written through the Hub; empty on rows written before). Nullable
columns only: an existing log upgrades in place and keeps its rows.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04 19:05:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('observations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('author', sa.String(length=200), nullable=True))
    with op.batch_alter_table('commitments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('author', sa.String(length=200), nullable=True))


def downgrade():
    with op.batch_alter_table('commitments', schema=None) as batch_op:
        batch_op.drop_column('author')
    with op.batch_alter_table('observations', schema=None) as batch_op:
        batch_op.drop_column('author')
