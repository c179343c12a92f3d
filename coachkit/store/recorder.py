"""What the dashboard and protocol widgets call: record from a button callback and get
back a message to show, never an exception.

    rec = Recorder(log, meeting, source="widget:grade-dashboard")
    out = rec.observe(textarea.value, kind=toggle.value)
    status.value = out.message            # "Saved." or what to fix
    if out.ok: textarea.value = ""
"""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import CoachkitDataError
from .engine import MeetingLogBusy


@dataclass(frozen=True)
class Outcome:
    ok: bool
    message: str
    record_id: str | None = None

    def __bool__(self):
        return self.ok


class Recorder:
    """Binds a :class:`MeetingLog` and a meeting for widget callbacks. Bad input and a busy
    database come back as ``Outcome(ok=False, message=...)``; other errors propagate."""

    def __init__(self, log, meeting, *, source="widget", user=None):
        self.log, self.meeting, self.source, self.user = log, meeting, source, user

    def _run(self, what, fn) -> Outcome:
        try:
            rid = fn()
        except CoachkitDataError as e:
            return Outcome(False, f"Not saved: {e}")
        except MeetingLogBusy as e:
            return Outcome(False, f"Not saved, the meeting log is busy; try again. ({e})")
        return Outcome(True, f"Saved {what}.", rid)

    def observe(self, text, kind="notice") -> Outcome:
        return self._run(f"the {kind}", lambda: self.log.add_observation(
            self.meeting, text, kind=kind, source=self.source, author=self.user))

    def commit(self, *, action, owner, due_cycle=None, student_ids=(), target_id=None) -> Outcome:
        return self._run("the commitment", lambda: self.log.add_commitment(
            self.meeting, action=action, owner=owner, due_cycle=due_cycle,
            student_ids=student_ids, target_id=target_id, author=self.user))

    def follow_up(self, commitment_id, *, status=None, note=None) -> Outcome:
        return self._run("the follow-up", lambda: self.log.update_commitment(
            commitment_id, status=status, note=note, by=self.user))

    def adopt(self, groups, note=None) -> Outcome:
        return self._run("the groups", lambda: self.log.adopt_groups(
            self.meeting, groups, changed_by=self.user, note=note))

    def adopt_block(self, assignment, note=None) -> Outcome:
        return self._run("the block", lambda: self.log.adopt_block(
            self.meeting, assignment, changed_by=self.user, note=note))


class StudentRecorder(Recorder):
    """Binds a :class:`MeetingLog` and one student for a student page or a teacher's
    form (the kiosk form a student fills in, the grade-level dashboard's "set level"
    button): the same never-raising ``Outcome`` as :class:`Recorder`.

        rec = StudentRecorder(log, "ST1", user="ST1")
        out = rec.goal(text=box.value)                  # set by the student
        out = rec.reflect(proud=proud.value, hard=hard.value)
    """

    def __init__(self, log, student_id, *, source="widget", user):
        super().__init__(log, None, source=source, user=user)
        self.student_id = student_id

    def goal(self, *, target_id=None, text=None, with_teacher=False, date=None) -> Outcome:
        return self._run("the goal", lambda: self.log.add_goal(
            self.student_id, target_id=target_id, text=text, author=self.user, date=date,
            set_by="student and teacher" if with_teacher else "student"))

    def plan(self, target_id, *, actions, support=None, retake_date=None, helpers=None,
             date=None) -> Outcome:
        return self._run("the plan", lambda: self.log.add_plan(
            self.student_id, target_id, actions=actions, support=support,
            retake_date=retake_date, helpers=helpers, author=self.user, date=date))

    def reflect(self, *, proud=None, hard=None, portrait_attribute=None, target_id=None,
                date=None) -> Outcome:
        return self._run("the reflection", lambda: self.log.add_reflection(
            self.student_id, proud=proud, hard=hard, portrait_attribute=portrait_attribute,
            target_id=target_id, author=self.user, date=date))

    def set_level(self, target_id, level, *, reason, date=None) -> Outcome:
        return self._run("the level", lambda: self.log.set_level(
            self.student_id, target_id, level, author=self.user, reason=reason, date=date))

    def remove_level(self, target_id, *, note=None) -> Outcome:
        return self._run("the change: the computed level applies again",
                         lambda: self.log.remove_level(self.student_id, target_id,
                                                       by=self.user, note=note))
