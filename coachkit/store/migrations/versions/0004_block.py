"""The grade's targeted-time block adopted at a whole-grade meeting. A new table only:
an existing log upgrades in place.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-04 19:10:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('block_decisions',
    sa.Column('decision_id', sa.String(length=32), nullable=False),
    sa.Column('meeting_id', sa.String(length=32), nullable=False),
    sa.Column('adoption_id', sa.String(length=32), nullable=False),
    sa.Column('student_id', sa.String(length=200), nullable=False),
    sa.Column('room', sa.String(length=200), nullable=False),
    sa.Column('teacher', sa.String(length=200), nullable=True),
    sa.Column('subject', sa.String(length=200), nullable=True),
    sa.Column('focus', sa.Text(), nullable=True),
    sa.Column('pinned', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('changed_by', sa.String(length=200), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('pinned IN (0, 1)', name=op.f('ck_block_decisions_pinned_flag')),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.meeting_id'], name=op.f('fk_block_decisions_meeting_id_meetings')),
    sa.PrimaryKeyConstraint('decision_id', name=op.f('pk_block_decisions')),
    sa.UniqueConstraint('adoption_id', 'student_id', name=op.f('uq_block_decisions_adoption_id_student_id'))
    )
    with op.batch_alter_table('block_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_block_decisions_meeting_id'), ['meeting_id'], unique=False)


def downgrade():
    with op.batch_alter_table('block_decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_block_decisions_meeting_id'))
    op.drop_table('block_decisions')
