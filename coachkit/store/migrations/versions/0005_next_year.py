"""The end of the year is the end: a commitment due "the next school year" has no cycle
(``due_cycle`` empty) instead of the cycle after the year's last one.

Logs written before stored "next school year" as the last cycle + 1, which the log itself
cannot tell from an ordinary cycle. Converted here: a commitment due in the cycle right
after its meeting's, where that cycle is past every meeting recorded in the log and past
cycle 6 (the six six-week cycles of a school year), i.e. what the dashboard's only
choice at the year's last meeting stored.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04 19:10:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('commitments', schema=None) as batch_op:
        batch_op.alter_column('due_cycle', existing_type=sa.Integer(), nullable=True)
    op.execute(sa.text(
        "UPDATE commitments SET due_cycle = NULL "
        "WHERE due_cycle = (SELECT m.cycle FROM meetings m "
        "                   WHERE m.meeting_id = commitments.meeting_id) + 1 "
        "AND due_cycle > (SELECT CASE WHEN MAX(cycle) > 6 THEN MAX(cycle) ELSE 6 END "
        "                 FROM meetings)"))


def downgrade():
    op.execute(sa.text(
        "UPDATE commitments SET due_cycle = (SELECT m.cycle FROM meetings m "
        "WHERE m.meeting_id = commitments.meeting_id) + 1 WHERE due_cycle IS NULL"))
    with op.batch_alter_table('commitments', schema=None) as batch_op:
        batch_op.alter_column('due_cycle', existing_type=sa.Integer(), nullable=False)
