"""The student's own records: levels set by hand (a teacher's judgment), goals, learning
plans and reflections. New tables only: an existing log upgrades in place.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03 13:15:03.418439
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('goals',
    sa.Column('goal_id', sa.String(length=32), nullable=False),
    sa.Column('student_id', sa.String(length=200), nullable=False),
    sa.Column('target_id', sa.String(length=200), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('set_by', sa.String(length=40), nullable=False),
    sa.Column('author', sa.String(length=200), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('met_on', sa.Date(), nullable=True),
    sa.Column('met_noted_by', sa.String(length=200), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("set_by IN ('student', 'student and teacher')", name=op.f('ck_goals_set_by_vocab')),
    sa.CheckConstraint('target_id IS NOT NULL OR text IS NOT NULL', name=op.f('ck_goals_target_or_text')),
    sa.PrimaryKeyConstraint('goal_id', name=op.f('pk_goals'))
    )
    with op.batch_alter_table('goals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_goals_student_id'), ['student_id'], unique=False)

    op.create_table('level_overrides',
    sa.Column('override_id', sa.String(length=32), nullable=False),
    sa.Column('student_id', sa.String(length=200), nullable=False),
    sa.Column('target_id', sa.String(length=200), nullable=False),
    sa.Column('level', sa.Float(), nullable=False),
    sa.Column('author', sa.String(length=200), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('removed_at', sa.DateTime(), nullable=True),
    sa.Column('removed_by', sa.String(length=200), nullable=True),
    sa.Column('removal_note', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('override_id', name=op.f('pk_level_overrides'))
    )
    with op.batch_alter_table('level_overrides', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_level_overrides_student_id_target_id'), ['student_id', 'target_id'], unique=False)
        batch_op.create_index('uq_level_overrides_current', ['student_id', 'target_id'], unique=True, sqlite_where=sa.text('removed_at IS NULL'), postgresql_where=sa.text('removed_at IS NULL'))

    op.create_table('plans',
    sa.Column('plan_id', sa.String(length=32), nullable=False),
    sa.Column('student_id', sa.String(length=200), nullable=False),
    sa.Column('target_id', sa.String(length=200), nullable=False),
    sa.Column('actions', sa.Text(), nullable=False),
    sa.Column('support', sa.Text(), nullable=True),
    sa.Column('retake_date', sa.Date(), nullable=True),
    sa.Column('helpers', sa.Text(), nullable=True),
    sa.Column('author', sa.String(length=200), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('plan_id', name=op.f('pk_plans'))
    )
    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plans_student_id'), ['student_id'], unique=False)

    op.create_table('reflections',
    sa.Column('reflection_id', sa.String(length=32), nullable=False),
    sa.Column('student_id', sa.String(length=200), nullable=False),
    sa.Column('proud', sa.Text(), nullable=True),
    sa.Column('hard', sa.Text(), nullable=True),
    sa.Column('portrait_attribute', sa.String(length=200), nullable=True),
    sa.Column('target_id', sa.String(length=200), nullable=True),
    sa.Column('author', sa.String(length=200), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('proud IS NOT NULL OR hard IS NOT NULL', name=op.f('ck_reflections_proud_or_hard')),
    sa.PrimaryKeyConstraint('reflection_id', name=op.f('pk_reflections'))
    )
    with op.batch_alter_table('reflections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reflections_student_id'), ['student_id'], unique=False)



def downgrade():
    with op.batch_alter_table('reflections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reflections_student_id'))

    op.drop_table('reflections')
    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plans_student_id'))

    op.drop_table('plans')
    with op.batch_alter_table('level_overrides', schema=None) as batch_op:
        batch_op.drop_index('uq_level_overrides_current', sqlite_where=sa.text('removed_at IS NULL'), postgresql_where=sa.text('removed_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_level_overrides_student_id_target_id'))

    op.drop_table('level_overrides')
    with op.batch_alter_table('goals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_goals_student_id'))

    op.drop_table('goals')
