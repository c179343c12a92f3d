"""The initial meeting log: meetings, observations, commitments, group decisions.

Revision ID: 0001
Revises: 
Create Date: 2026-11-28 06:51:51.964776
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('meetings',
    sa.Column('meeting_id', sa.String(length=32), nullable=False),
    sa.Column('school_id', sa.String(length=200), nullable=False),
    sa.Column('grade', sa.Integer(), nullable=False),
    sa.Column('classroom_id', sa.String(length=200), nullable=True),
    sa.Column('cycle', sa.Integer(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('attendees', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('cycle >= 1', name=op.f('ck_meetings_cycle_positive')),
    sa.CheckConstraint('grade BETWEEN 0 AND 12', name=op.f('ck_meetings_grade_range')),
    sa.PrimaryKeyConstraint('meeting_id', name=op.f('pk_meetings'))
    )
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meetings_school_id_classroom_id_cycle'), ['school_id', 'classroom_id', 'cycle'], unique=False)

    op.create_table('commitments',
    sa.Column('commitment_id', sa.String(length=32), nullable=False),
    sa.Column('meeting_id', sa.String(length=32), nullable=False),
    sa.Column('action', sa.Text(), nullable=False),
    sa.Column('owner', sa.String(length=200), nullable=False),
    sa.Column('due_cycle', sa.Integer(), nullable=False),
    sa.Column('target_id', sa.String(length=200), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('follow_up', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("status IN ('open', 'in progress', 'done', 'partly done', 'not done', 'dropped')", name=op.f('ck_commitments_status_vocab')),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.meeting_id'], name=op.f('fk_commitments_meeting_id_meetings')),
    sa.PrimaryKeyConstraint('commitment_id', name=op.f('pk_commitments'))
    )
    with op.batch_alter_table('commitments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_commitments_meeting_id'), ['meeting_id'], unique=False)

    op.create_table('group_decisions',
    sa.Column('decision_id', sa.String(length=32), nullable=False),
    sa.Column('meeting_id', sa.String(length=32), nullable=False),
    sa.Column('adoption_id', sa.String(length=32), nullable=False),
    sa.Column('student_id', sa.String(length=200), nullable=False),
    sa.Column('group', sa.String(length=200), nullable=False),
    sa.Column('focus_target_id', sa.String(length=200), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('changed_by', sa.String(length=200), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.meeting_id'], name=op.f('fk_group_decisions_meeting_id_meetings')),
    sa.PrimaryKeyConstraint('decision_id', name=op.f('pk_group_decisions')),
    sa.UniqueConstraint('adoption_id', 'student_id', name=op.f('uq_group_decisions_adoption_id_student_id'))
    )
    with op.batch_alter_table('group_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_group_decisions_meeting_id'), ['meeting_id'], unique=False)

    op.create_table('observations',
    sa.Column('observation_id', sa.String(length=32), nullable=False),
    sa.Column('meeting_id', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('source', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('notice', 'wonder')", name=op.f('ck_observations_kind_vocab')),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.meeting_id'], name=op.f('fk_observations_meeting_id_meetings')),
    sa.PrimaryKeyConstraint('observation_id', name=op.f('pk_observations'))
    )
    with op.batch_alter_table('observations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_observations_meeting_id'), ['meeting_id'], unique=False)

    op.create_table('commitment_students',
    sa.Column('commitment_id', sa.String(length=32), nullable=False),
    sa.Column('student_id', sa.String(length=200), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['commitment_id'], ['commitments.commitment_id'], name=op.f('fk_commitment_students_commitment_id_commitments')),
    sa.PrimaryKeyConstraint('commitment_id', 'student_id', name=op.f('pk_commitment_students'))
    )
    with op.batch_alter_table('commitment_students', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_commitment_students_student_id'), ['student_id'], unique=False)

    op.create_table('commitment_updates',
    sa.Column('update_id', sa.String(length=32), nullable=False),
    sa.Column('commitment_id', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('updated_by', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("status IN ('open', 'in progress', 'done', 'partly done', 'not done', 'dropped')", name=op.f('ck_commitment_updates_status_vocab')),
    sa.ForeignKeyConstraint(['commitment_id'], ['commitments.commitment_id'], name=op.f('fk_commitment_updates_commitment_id_commitments')),
    sa.PrimaryKeyConstraint('update_id', name=op.f('pk_commitment_updates'))
    )
    with op.batch_alter_table('commitment_updates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_commitment_updates_commitment_id'), ['commitment_id'], unique=False)



def downgrade():
    with op.batch_alter_table('commitment_updates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_commitment_updates_commitment_id'))

    op.drop_table('commitment_updates')
    with op.batch_alter_table('commitment_students', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_commitment_students_student_id'))

    op.drop_table('commitment_students')
    with op.batch_alter_table('observations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_observations_meeting_id'))

    op.drop_table('observations')
    with op.batch_alter_table('group_decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_group_decisions_meeting_id'))

    op.drop_table('group_decisions')
    with op.batch_alter_table('commitments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_commitments_meeting_id'))

    op.drop_table('commitments')
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meetings_school_id_classroom_id_cycle'))

    op.drop_table('meetings')
