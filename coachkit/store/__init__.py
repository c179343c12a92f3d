"""The meeting log: what a grade-level team noticed, decided and committed to, kept
safely across cycles (SQLite by default, any SQLAlchemy URL such as PostgreSQL).

    from coachkit.store import MeetingLog
    log = MeetingLog()            # $COACHKIT_DB or sqlite:///coachkit.db
    m = log.start_meeting(school_id="S1", grade=3, classroom_id="C1", cycle=2,
                          date="2025-10-10", attendees=["Ms. Rivera", "Coach Lee"])
    log.add_observation(m, "We notice ...", kind="notice")
    log.set_level("ST1", "T1", 3, author="Ms. Rivera", reason="observed in conference")
    mastery = apply_overrides(ck.progress.mastery(ds.evidence), log.level_overrides())
    log.add_goal("ST1", target_id="T2", author="ST1")

See docs/meeting-log.md and docs/students-goals.md.
"""
from .engine import MeetingLogBusy
from .followup import what_changed
from .log import DEFAULT_URL, ENV_VAR, Meeting, MeetingLog, resolve_url
from .overrides import apply_overrides, describe_override
from .recorder import Outcome, Recorder, StudentRecorder
from .schema import (COMMITMENT_STATUSES, GOAL_SETTERS, NEXT_YEAR, OBSERVATION_KINDS,
                     SCHEMA_VERSION, due_words)
from .validate import MAX_TEXT

__all__ = ["MeetingLog", "Meeting", "MeetingLogBusy", "Recorder", "StudentRecorder", "Outcome",
           "what_changed",
           "apply_overrides", "describe_override", "DEFAULT_URL", "ENV_VAR", "resolve_url",
           "COMMITMENT_STATUSES", "GOAL_SETTERS", "OBSERVATION_KINDS", "SCHEMA_VERSION",
           "MAX_TEXT", "NEXT_YEAR", "due_words"]
