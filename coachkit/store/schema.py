"""The meeting log's tables (SQLAlchemy Core).

Every record has a text primary key made in Python (32 hex digits: time then random) before the first write
attempt, so a retried transaction can never insert a record twice, exports from several
databases can be merged, and an import can tell "already here" from "new".

Timestamps are naive UTC (``created_at``), dates are calendar dates. Lists (a meeting's
attendees) are kept as JSON text; the students a commitment names are rows of
``commitment_students`` so the next meeting can look them up.

The schema is versioned by Alembic (``coachkit/store/migrations``); a change here needs a
new revision there and ``SCHEMA_VERSION`` bumped (a test compares them).
"""
from __future__ import annotations

from sqlalchemy import (CheckConstraint, Column, Date, DateTime, ForeignKey, Index, Integer,
                        MetaData, String, Table, Text, UniqueConstraint)

SCHEMA_VERSION = "0001"          # the Alembic head revision this code expects

OBSERVATION_KINDS = ("notice", "wonder")
COMMITMENT_STATUSES = ("open", "in progress", "done", "partly done", "not done", "dropped")

metadata = MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

ID = 32   # uuid4().hex


def _id(name):
    return Column(name, String(ID), primary_key=True)


def _kinds(col, values):
    return CheckConstraint(f"{col} IN ({', '.join(repr(v) for v in values)})", name=f"{col}_vocab")


meetings = Table(
    "meetings", metadata,
    _id("meeting_id"),
    Column("school_id", String(200), nullable=False),
    Column("grade", Integer, nullable=False),
    Column("classroom_id", String(200), nullable=True),   # empty: a whole-grade meeting
    Column("cycle", Integer, nullable=False),
    Column("date", Date, nullable=False),
    Column("attendees", Text, nullable=False),             # JSON list of names
    Column("created_at", DateTime, nullable=False),
    CheckConstraint("grade BETWEEN 0 AND 12", name="grade_range"),
    CheckConstraint("cycle >= 1", name="cycle_positive"),
    Index(None, "school_id", "classroom_id", "cycle"),
)

observations = Table(
    "observations", metadata,
    _id("observation_id"),
    Column("meeting_id", String(ID), ForeignKey("meetings.meeting_id"), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("text", Text, nullable=False),
    Column("source", String(200), nullable=True),          # e.g. "cli", "widget:dashboard"
    Column("created_at", DateTime, nullable=False),
    _kinds("kind", OBSERVATION_KINDS),
    Index(None, "meeting_id"),
)

commitments = Table(
    "commitments", metadata,
    _id("commitment_id"),
    Column("meeting_id", String(ID), ForeignKey("meetings.meeting_id"), nullable=False),
    Column("action", Text, nullable=False),
    Column("owner", String(200), nullable=False),
    Column("due_cycle", Integer, nullable=False),
    Column("target_id", String(200), nullable=True),
    Column("status", String(20), nullable=False),
    Column("follow_up", Text, nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    _kinds("status", COMMITMENT_STATUSES),
    Index(None, "meeting_id"),
)

commitment_students = Table(
    "commitment_students", metadata,
    Column("commitment_id", String(ID), ForeignKey("commitments.commitment_id"),
           primary_key=True),
    Column("student_id", String(200), primary_key=True),
    Column("position", Integer, nullable=False),           # keeps the order given
    Index(None, "student_id"),
)

commitment_updates = Table(
    "commitment_updates", metadata,
    _id("update_id"),
    Column("commitment_id", String(ID), ForeignKey("commitments.commitment_id"),
           nullable=False),
    Column("status", String(20), nullable=False),
    Column("note", Text, nullable=True),
    Column("updated_by", String(200), nullable=True),
    Column("created_at", DateTime, nullable=False),
    _kinds("status", COMMITMENT_STATUSES),
    Index(None, "commitment_id"),
)

group_decisions = Table(
    "group_decisions", metadata,
    _id("decision_id"),
    Column("meeting_id", String(ID), ForeignKey("meetings.meeting_id"), nullable=False),
    Column("adoption_id", String(ID), nullable=False),    # one adopt_groups call
    Column("student_id", String(200), nullable=False),
    Column("group", String(200), nullable=False),
    Column("focus_target_id", String(200), nullable=True),
    Column("reason", Text, nullable=True),
    Column("changed_by", String(200), nullable=True),
    Column("note", Text, nullable=True),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("adoption_id", "student_id"),
    Index(None, "meeting_id"),
)

# Order matters: parents before children (import, export, delete).
TABLES = {t.name: t for t in (meetings, observations, commitments, commitment_students,
                              commitment_updates, group_decisions)}
