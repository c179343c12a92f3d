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

from sqlalchemy import (CheckConstraint, Column, Date, DateTime, Float, ForeignKey, Index,
                        Integer, MetaData, String, Table, Text, UniqueConstraint, text)

SCHEMA_VERSION = "0005"          # the Alembic head revision this code expects

OBSERVATION_KINDS = ("notice", "wonder")
COMMITMENT_STATUSES = ("open", "in progress", "done", "partly done", "not done", "dropped")
GOAL_SETTERS = ("student", "student and teacher")      # who set a student's goal
#: ``due_cycle`` of a commitment due after the year's last cycle: the next school year
#: (stored as an empty due_cycle; there is no cycle after the last)
NEXT_YEAR = "next school year"


def due_words(due_cycle) -> str:
    """When a commitment is due, as people read it: "cycle 4", or "next school year"
    (the one place that says how an empty due_cycle reads)."""
    if isinstance(due_cycle, str) and due_cycle == NEXT_YEAR:
        return NEXT_YEAR
    import pandas as pd
    if due_cycle is None or pd.isna(due_cycle):
        return NEXT_YEAR
    return f"cycle {int(due_cycle)}"


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
    Column("author", String(200), nullable=True),          # who recorded it (0003)
    _kinds("kind", OBSERVATION_KINDS),
    Index(None, "meeting_id"),
)

commitments = Table(
    "commitments", metadata,
    _id("commitment_id"),
    Column("meeting_id", String(ID), ForeignKey("meetings.meeting_id"), nullable=False),
    Column("action", Text, nullable=False),
    Column("owner", String(200), nullable=False),
    Column("due_cycle", Integer, nullable=True),           # empty: the next school year
    Column("target_id", String(200), nullable=True),
    Column("status", String(20), nullable=False),
    Column("follow_up", Text, nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("author", String(200), nullable=True),          # who recorded it (0003)
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

# The grade's targeted-time block adopted at a whole-grade meeting: one row per student
# per adoption (the room, its teacher, subject and focus, and why the student is there).
block_decisions = Table(
    "block_decisions", metadata,
    _id("decision_id"),
    Column("meeting_id", String(ID), ForeignKey("meetings.meeting_id"), nullable=False),
    Column("adoption_id", String(ID), nullable=False),    # one adopt_block call
    Column("student_id", String(200), nullable=False),
    Column("room", String(200), nullable=False),
    Column("teacher", String(200), nullable=True),
    Column("subject", String(200), nullable=True),
    Column("focus", Text, nullable=True),
    Column("pinned", Integer, nullable=False),             # 1: placed there by the team
    Column("reason", Text, nullable=True),
    Column("changed_by", String(200), nullable=True),
    Column("note", Text, nullable=True),
    Column("created_at", DateTime, nullable=False),
    CheckConstraint("pinned IN (0, 1)", name="pinned_flag"),
    UniqueConstraint("adoption_id", "student_id"),
    Index(None, "meeting_id"),
)

# ---- the student's own records (not tied to a meeting) ---------------------------------

# A teacher's professional judgment: the level set by hand on one (student, target). A
# new one replaces the pair's current one (which is kept, marked removed); removing it
# restores the computed level. At most one current override per pair, enforced by the
# partial unique index as well as by the write transaction.
ACTIVE = text("removed_at IS NULL")
level_overrides = Table(
    "level_overrides", metadata,
    _id("override_id"),
    Column("student_id", String(200), nullable=False),
    Column("target_id", String(200), nullable=False),
    Column("level", Float, nullable=False),
    Column("author", String(200), nullable=False),         # who set it
    Column("reason", Text, nullable=False),                # why ("observed in conference")
    Column("date", Date, nullable=False),                  # the day of the judgment
    Column("created_at", DateTime, nullable=False),
    Column("removed_at", DateTime, nullable=True),
    Column("removed_by", String(200), nullable=True),
    Column("removal_note", Text, nullable=True),
    Index(None, "student_id", "target_id"),
    Index("uq_level_overrides_current", "student_id", "target_id", unique=True,
          sqlite_where=ACTIVE, postgresql_where=ACTIVE),
)

goals = Table(
    "goals", metadata,
    _id("goal_id"),
    Column("student_id", String(200), nullable=False),
    Column("target_id", String(200), nullable=True),       # a learning target ...
    Column("text", Text, nullable=True),                   # ... or the student's own words
    Column("set_by", String(40), nullable=False),
    Column("author", String(200), nullable=False),         # who typed it
    Column("date", Date, nullable=False),
    Column("met_on", Date, nullable=True),
    Column("met_noted_by", String(200), nullable=True),
    Column("created_at", DateTime, nullable=False),
    _kinds("set_by", GOAL_SETTERS),
    CheckConstraint("target_id IS NOT NULL OR text IS NOT NULL", name="target_or_text"),
    Index(None, "student_id"),
)

plans = Table(
    "plans", metadata,
    _id("plan_id"),
    Column("student_id", String(200), nullable=False),
    Column("target_id", String(200), nullable=False),      # a target not yet proficient
    Column("actions", Text, nullable=False),               # "what I will do"
    Column("support", Text, nullable=True),                # the support I get
    Column("retake_date", Date, nullable=True),
    Column("helpers", Text, nullable=True),                # who helps
    Column("author", String(200), nullable=False),
    Column("date", Date, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Index(None, "student_id"),
)

reflections = Table(
    "reflections", metadata,
    _id("reflection_id"),
    Column("student_id", String(200), nullable=False),
    Column("proud", Text, nullable=True),                  # "what I am proud of"
    Column("hard", Text, nullable=True),                   # "what was hard"
    Column("portrait_attribute", String(200), nullable=True),
    Column("target_id", String(200), nullable=True),
    Column("author", String(200), nullable=False),
    Column("date", Date, nullable=False),
    Column("created_at", DateTime, nullable=False),
    CheckConstraint("proud IS NOT NULL OR hard IS NOT NULL", name="proud_or_hard"),
    Index(None, "student_id"),
)

# Columns added after the first release: an export made before them lacks them and is
# still read (the value is empty).
ADDED_LATER = {("observations", "author"), ("commitments", "author")}

# Order matters: parents before children (import, export, delete).
TABLES = {t.name: t for t in (meetings, observations, commitments, commitment_students,
                              commitment_updates, group_decisions, block_decisions, level_overrides, goals,
                              plans, reflections)}
STUDENT_TABLES = ("level_overrides", "goals", "plans", "reflections")
