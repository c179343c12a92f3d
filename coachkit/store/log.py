"""The meeting log: what a grade-level team noticed, decided and committed to.

    from coachkit.store import MeetingLog
    log = MeetingLog()                                    # sqlite:///coachkit.db, or $COACHKIT_DB
    m = log.start_meeting(school_id="S1", grade=3, classroom_id="C1", cycle=2,
                          date="2025-10-10", attendees=["Ms. Rivera", "Coach Lee"])
    log.add_observation(m, "We notice most of the class is stuck on 3.OA.A.1")
    c = log.add_commitment(m, action="Small-group reteach", owner="Ms. Rivera",
                           due_cycle=3, student_ids=["ST001", "ST002"])
    log.update_commitment(c, status="done", note="Both moved to i-practice")
    log.commitments(classroom_id="C1")                    # a DataFrame

Every write is one short transaction (see :mod:`coachkit.store.engine` for what makes
that safe with several kernel processes); every value travels as a bound parameter, so
text that looks like SQL is stored as text and never executed.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sqlalchemy import and_, insert, select, true, update

from . import validate as v
from .engine import make_engine, read, run_write, safe_url
from .migrate import upgrade
from .schema import (COMMITMENT_STATUSES, GOAL_SETTERS, NEXT_YEAR, OBSERVATION_KINDS,
                     block_decisions, commitment_students, commitment_updates, commitments,
                     due_words, goals, group_decisions, level_overrides,
                     meetings, observations, plans, reflections)

DEFAULT_URL = "sqlite:///coachkit.db"
ENV_VAR = "COACHKIT_DB"


def resolve_url(url: str | os.PathLike | None = None) -> str:
    """``url``, else ``$COACHKIT_DB``, else ``sqlite:///coachkit.db``. A plain file path
    means a SQLite file."""
    url = url or os.environ.get(ENV_VAR) or DEFAULT_URL
    url = os.fspath(url)
    if "://" not in url:
        url = "sqlite:///" + url
    return url


_last_ns = 0


def new_id() -> str:
    """32 hex digits: 64 bits of time (strictly increasing in this process, so ids made
    one after another sort in the order made) and 64 random bits (unique across
    processes and databases)."""
    global _last_ns
    _last_ns = max(_last_ns + 1, time.time_ns())
    return f"{_last_ns:016x}{uuid.uuid4().int & (2**64 - 1):016x}"


def now() -> dt.datetime:
    """Naive UTC with microseconds (the same on SQLite and PostgreSQL)."""
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


@dataclass(frozen=True)
class Meeting:
    """A handle on one recorded meeting (what ``start_meeting`` returns)."""
    meeting_id: str
    school_id: str
    grade: int
    classroom_id: str | None
    cycle: int
    date: dt.date
    attendees: tuple[str, ...] = field(default=())

    def __str__(self):
        return self.meeting_id


def _meeting_id(m) -> str:
    if isinstance(m, Meeting):
        return m.meeting_id
    if isinstance(m, str) and m:
        return m
    v.fail("meetings", "meeting_id", m, "a Meeting from start_meeting() or its meeting_id")


def _ids(obj, column) -> set | None:
    """A set of ids from a list, a Series or a DataFrame's ``column``."""
    if obj is None:
        return None
    if isinstance(obj, pd.DataFrame):
        obj = obj[column]
    return {str(x) for x in obj if not (isinstance(x, float) and pd.isna(x))}


class MeetingLog:
    """The meeting log in one database (any SQLAlchemy URL).

    Parameters
    ----------
    url : SQLAlchemy URL or SQLite file path. Default ``$COACHKIT_DB``, else
        ``sqlite:///coachkit.db`` (a file in the working directory: keep it next to the data).
    dataset : a :class:`coachkit.Dataset`; when given, meetings must name a known classroom
        (in the right school and grade) and commitments and groups known students.
    classrooms, students : the same checks from an id list or a DataFrame with
        ``classroom_id`` (optionally ``school_id``, ``grade``) / ``student_id``; these
        override the dataset's tables.
    max_text : longest text accepted, in characters (default 200,000). Longer text is
        refused with an error; text is never truncated.
    migrate : create or upgrade the schema when opening (default True).
    busy_timeout : seconds a SQLite writer waits for the lock.
    retries : how many times a write is retried after a lock timeout (SQLite), a
        serialization failure or a deadlock (PostgreSQL).
    """

    def __init__(self, url=None, *, dataset=None, classrooms=None, students=None,
                 max_text: int = v.MAX_TEXT, migrate: bool = True,
                 busy_timeout: float = 30.0, retries: int = 8):
        self.url = resolve_url(url)
        self.engine = make_engine(self.url, busy_timeout=busy_timeout)
        self.max_text = int(max_text)
        self.retries = int(retries)
        self.retry_count = 0          # retries taken by this process (for diagnostics)
        if classrooms is None and dataset is not None and len(dataset.classrooms):
            classrooms = dataset.classrooms
        if students is None and dataset is not None and len(dataset.students):
            students = dataset.students
        #: the school year's last cycle, when the dataset is known (None otherwise): a
        #: commitment made there is due the next school year, never in a cycle after it
        self.last_cycle = (int(pd.to_numeric(dataset.cycles["cycle_id"]).max())
                           if dataset is not None and len(getattr(dataset, "cycles", ()))
                           else None)
        self._classrooms = _ids(classrooms, "classroom_id")
        self._classroom_info = {}
        if isinstance(classrooms, pd.DataFrame):
            cols = [c for c in ("school_id", "grade") if c in classrooms.columns]
            for rec in classrooms[["classroom_id", *cols]].to_dict("records"):
                self._classroom_info[str(rec.pop("classroom_id"))] = rec
        self._students = _ids(students, "student_id")
        if migrate:
            upgrade(self.engine)

    def __repr__(self):
        return f"MeetingLog({safe_url(self.url)!r})"

    def close(self):
        self.engine.dispose()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def schema_version(self) -> str:
        from .migrate import current_version
        return read(self.engine, current_version)

    # ---- writing -------------------------------------------------------------------
    def write(self, fn, *, lock: str | None = None):
        """Run ``fn(conn)`` in one write transaction with this log's retry policy
        (``fn`` must be safe to run again from the start). Returns what ``fn`` returns.
        ``lock`` names a hot record the transaction reads then changes (see
        :func:`coachkit.store.engine.run_write`)."""
        def count(attempt, exc):
            self.retry_count += 1
        return run_write(self.engine, fn, retries=self.retries, on_retry=count, lock=lock)

    def check_text(self, value, table, column, *, required=True, row=None):
        """Free text checked as every writer checks it (this log's ``max_text``)."""
        return v.text(value, table, column, max_len=self.max_text, required=required,
                      row=row)

    def check_students(self, ids, table, column="student_id"):
        """Refuse student ids unknown to the dataset the log was opened with."""
        if self._students is None:
            return
        unknown = [s for s in ids if s not in self._students]
        if unknown:
            v.fail(table, column, unknown[:5], "students known to the dataset",
                   f"{len(unknown)} unknown student id(s); correct them or load the "
                   f"dataset that has them")

    def check_classroom(self, classroom_id, school_id, grade, row=None):
        """Refuse a classroom unknown to the dataset, or in another school or grade."""
        if self._classrooms is None or classroom_id is None:
            return
        if classroom_id not in self._classrooms:
            v.fail("meetings", "classroom_id", classroom_id, "a classroom in the dataset",
                   "Check the id (see the classrooms table) or open the log without "
                   "a dataset", row=row)
        info = self._classroom_info.get(classroom_id, {})
        if "school_id" in info and str(info["school_id"]) != school_id:
            v.fail("meetings", "school_id", school_id,
                   f"{info['school_id']!r}, the school of classroom {classroom_id!r}", row=row)
        if "grade" in info and not pd.isna(info["grade"]) and int(info["grade"]) != grade:
            v.fail("meetings", "grade", grade,
                   f"{int(info['grade'])}, the grade of classroom {classroom_id!r}", row=row)

    def _meeting_row(self, conn, meeting) -> dict:
        mid = _meeting_id(meeting)
        row = conn.execute(select(meetings).where(meetings.c.meeting_id == mid)).mappings().first()
        if row is None:
            v.fail("meetings", "meeting_id", mid, "a meeting in this log",
                   f"Start it with start_meeting() (log: {safe_url(self.url)})")
        return dict(row)

    def start_meeting(self, *, school_id, grade, classroom_id=None, cycle, date=None,
                      attendees=()) -> Meeting:
        """Record a meeting; returns its :class:`Meeting` handle. ``classroom_id=None``
        records a whole-grade meeting. ``date`` defaults to today.

        A classroom (or a whole grade) has one meeting per cycle: starting it again (a
        second session, a dashboard reopened) returns the meeting already recorded, with
        any new attendees added, so a student never ends up in two current groups."""
        school_id = v.name(school_id, "meetings", "school_id")
        grade = v.grade(grade)
        classroom_id = v.name(classroom_id, "meetings", "classroom_id", required=False)
        cycle = v.integer(cycle, "meetings", "cycle", low=1, expected="a cycle number (1, 2, ...)")
        date = v.date(date if date is not None else dt.date.today())
        attendees = v.name_list(attendees, "meetings", "attendees")
        self.check_classroom(classroom_id, school_id, grade)
        mid = new_id()

        def write(conn):
            # Under BEGIN IMMEDIATE (SQLite) or SERIALIZABLE (PostgreSQL) this look-up and
            # the insert cannot interleave with another writer's: one meeting per cycle.
            same = self._same_meeting(conn, school_id, grade, classroom_id, cycle)
            if same is not None:
                have = json.loads(same["attendees"])
                merged = have + [a for a in attendees if a not in have]
                if merged != have:
                    same["attendees"] = json.dumps(merged, ensure_ascii=False)
                    conn.execute(update(meetings)
                                 .where(meetings.c.meeting_id == same["meeting_id"])
                                 .values(attendees=same["attendees"]))
                return same
            row = dict(meeting_id=mid, school_id=school_id, grade=grade,
                       classroom_id=classroom_id, cycle=cycle, date=date,
                       attendees=json.dumps(list(attendees), ensure_ascii=False),
                       created_at=now())
            conn.execute(insert(meetings), [row])
            return row
        key = json.dumps(["meeting", school_id, grade, classroom_id, cycle])
        return _to_meeting(self.write(write, lock=key))

    @staticmethod
    def _same_meeting(conn, school_id, grade, classroom_id, cycle):
        room = (meetings.c.classroom_id.is_(None) if classroom_id is None
                else meetings.c.classroom_id == classroom_id)
        row = conn.execute(select(meetings).where(
            meetings.c.school_id == school_id, meetings.c.grade == grade, room,
            meetings.c.cycle == cycle).order_by(meetings.c.created_at,
                                                meetings.c.meeting_id)).mappings().first()
        return None if row is None else dict(row)

    def meeting(self, meeting_id) -> Meeting:
        """The :class:`Meeting` with this id."""
        row = read(self.engine, lambda conn: self._meeting_row(conn, meeting_id))
        return _to_meeting(row)

    def find_meetings(self, **filters) -> list[Meeting]:
        """Meetings matching the filters (school_id, grade, classroom_id, cycle), oldest first."""
        return [_to_meeting(r) for r in self._rows(meetings, filters)]

    def add_observation(self, meeting, text, kind="notice", *, source=None, author=None) -> str:
        """Record "we notice..." (``kind="notice"``) or "we wonder..." (``"wonder"``),
        recorded by ``author`` (who typed it, if known). Returns the observation_id. The
        text is stored exactly as given."""
        kind = v.choice(kind, OBSERVATION_KINDS, "observations", "kind")
        text = self.check_text(text, "observations", "text")
        source = v.name(source, "observations", "source", required=False)
        author = v.name(author, "observations", "author", required=False)
        oid = new_id()

        def write(conn):
            mid = self._meeting_row(conn, meeting)["meeting_id"]
            row = dict(observation_id=oid, meeting_id=mid, kind=kind, text=text,
                       source=source, created_at=now())
            if author is not None:          # (a log not yet upgraded to 0003 has no column)
                row["author"] = author
            conn.execute(insert(observations), [row])
        self.write(write)
        return oid

    def add_commitment(self, meeting, *, action, owner, due_cycle=None, student_ids=(),
                       target_id=None, status="open", author=None) -> str:
        """Record a commitment: who does what by which cycle, for which students;
        ``author`` is who recorded it (``owner`` is who will do it).
        ``due_cycle`` defaults to the cycle after the meeting's and may not be before the
        meeting's cycle; ``NEXT_YEAR`` ("next school year") for one due after the year's
        last cycle (stored without a cycle; the default at the last cycle when the log
        knows the dataset, which also refuses a cycle past the last). Returns the
        commitment_id."""
        action = self.check_text(action, "commitments", "action")
        owner = v.name(owner, "commitments", "owner")
        target_id = v.name(target_id, "commitments", "target_id", required=False)
        status = v.choice(status, COMMITMENT_STATUSES, "commitments", "status")
        author = v.name(author, "commitments", "author", required=False)
        students = v.name_list(student_ids, "commitments", "student_ids")
        self.check_students(students, "commitments", "student_ids")
        next_year = isinstance(due_cycle, str) and \
            due_cycle.strip().lower() in (NEXT_YEAR, "next year", "next_year", "next-year")
        if due_cycle is not None and not next_year:
            due_cycle = v.integer(due_cycle, "commitments", "due_cycle", low=1,
                                  expected=f"a cycle number (1, 2, ...) or {NEXT_YEAR!r}")
            if self.last_cycle is not None and due_cycle > self.last_cycle:
                v.fail("commitments", "due_cycle", due_cycle,
                       f"a cycle up to {self.last_cycle} (the year's last) or {NEXT_YEAR!r}",
                       "There is no cycle after the last: a commitment for after the "
                       "summer is due the next school year")
        cid = new_id()

        def write(conn):
            m = self._meeting_row(conn, meeting)
            if next_year:
                due = None
            elif due_cycle is None:
                last = self.last_cycle is not None and m["cycle"] >= self.last_cycle
                due = None if last else m["cycle"] + 1
            else:
                due = due_cycle
            if due is not None and due < m["cycle"]:
                v.fail("commitments", "due_cycle", due,
                       f"cycle {m['cycle']} (the meeting's) or later",
                       "A commitment cannot be due in a cycle that is already over")
            t = now()
            row = dict(commitment_id=cid, meeting_id=m["meeting_id"], action=action,
                       owner=owner, due_cycle=due, target_id=target_id, status=status,
                       follow_up=None, created_at=t, updated_at=t)
            if author is not None:
                row["author"] = author
            conn.execute(insert(commitments), [row])
            if students:
                conn.execute(insert(commitment_students), [
                    dict(commitment_id=cid, student_id=s, position=i)
                    for i, s in enumerate(students)])
        self.write(write)
        return cid

    def update_commitment(self, commitment_id, *, status=None, note=None, by=None) -> str:
        """Set a commitment's status and/or add a follow-up note ("did it work?").
        Every update is kept (``commitment_updates()``); the commitment shows the latest
        status and note. Returns the update_id."""
        cid = v.name(commitment_id, "commitments", "commitment_id")
        if status is not None:
            v.choice(status, COMMITMENT_STATUSES, "commitments", "status")
        note = self.check_text(note, "commitment_updates", "note", required=False)
        by = v.name(by, "commitment_updates", "updated_by", required=False)
        if status is None and note is None:
            v.fail("commitment_updates", "status", None, "a new status or a note")
        uid = new_id()

        def write(conn):
            cur = conn.execute(select(commitments.c.status, commitments.c.follow_up)
                               .where(commitments.c.commitment_id == cid)).first()
            if cur is None:
                v.fail("commitments", "commitment_id", cid, "a commitment in this log")
            new_status = status or cur.status
            t = now()
            conn.execute(insert(commitment_updates), [dict(
                update_id=uid, commitment_id=cid, status=new_status, note=note,
                updated_by=by, created_at=t)])
            values = dict(status=new_status, updated_at=t)
            if note is not None:
                values["follow_up"] = note
            conn.execute(update(commitments).where(commitments.c.commitment_id == cid)
                         .values(**values))
        self.write(write)
        return uid

    def adopt_groups(self, meeting, groups: pd.DataFrame, *, changed_by=None, note=None) -> str:
        """Record the flexible groups the team adopted for the next cycle.

        ``groups`` is the grouping table: student_id, group, focus_target_id, reason, and
        optionally changed_by and note per row (who moved a student, and why); the
        ``changed_by``/``note`` arguments fill rows that have none. Adopting again in the
        same meeting keeps the earlier adoption as history; ``group_decisions()`` shows the
        latest. Returns the adoption_id."""
        if not isinstance(groups, pd.DataFrame):
            v.fail("group_decisions", "groups", type(groups).__name__,
                   "a DataFrame with student_id, group, focus_target_id, reason")
        missing = [c for c in ("student_id", "group") if c not in groups.columns]
        if missing:
            v.fail("group_decisions", missing[0], list(groups.columns),
                   "columns student_id, group (and focus_target_id, reason, changed_by, note)")
        if not len(groups):
            v.fail("group_decisions", "student_id", "no rows", "at least one student")
        changed_by = v.name(changed_by, "group_decisions", "changed_by", required=False)
        note = self.check_text(note, "group_decisions", "note", required=False)
        aid, t = new_id(), None
        rows = []
        for i, rec in enumerate(groups.to_dict("records")):
            g = rec.get("group")
            if isinstance(g, float) and g.is_integer():
                g = int(g)
            rows.append(dict(
                decision_id=new_id(), adoption_id=aid,
                student_id=v.name(rec.get("student_id"), "group_decisions", "student_id", row=i),
                group=v.name(g, "group_decisions", "group", row=i),
                focus_target_id=v.name(rec.get("focus_target_id"), "group_decisions",
                                       "focus_target_id", required=False, row=i),
                reason=self.check_text(rec.get("reason"), "group_decisions", "reason",
                                  required=False, row=i),
                changed_by=v.name(rec.get("changed_by"), "group_decisions", "changed_by",
                                  required=False, row=i) or changed_by,
                note=self.check_text(rec.get("note"), "group_decisions", "note", required=False,
                                row=i) or note))
        ids = [r["student_id"] for r in rows]
        dup = sorted({s for s in ids if ids.count(s) > 1}) if len(set(ids)) < len(ids) else []
        if dup:
            v.fail("group_decisions", "student_id", dup[:5], "each student in one group",
                   "A student appears more than once in the grouping table")
        self.check_students(ids, "group_decisions")

        def write(conn):
            mid = self._meeting_row(conn, meeting)["meeting_id"]
            t = now()
            conn.execute(insert(group_decisions),
                         [dict(r, meeting_id=mid, created_at=t) for r in rows])
        self.write(write)
        return aid

    def adopt_block(self, meeting, assignment: pd.DataFrame, *, changed_by=None,
                    note=None) -> str:
        """Record the grade's targeted-time block the team adopted, at a whole-grade
        meeting (``start_meeting(..., classroom_id=None)``).

        ``assignment`` is ``grouping.assign_block`` output: student_id, room, and
        optionally teacher, subject, focus, pinned, reason, changed_by, note per row.
        Every student in one room. Adopting again in the same meeting keeps the earlier
        adoption as history; ``block_decisions()`` shows the latest. Returns the
        adoption_id."""
        T = "block_decisions"
        if not isinstance(assignment, pd.DataFrame):
            v.fail(T, "assignment", type(assignment).__name__,
                   "a DataFrame with student_id, room (grouping.assign_block output)")
        missing = [c for c in ("student_id", "room") if c not in assignment.columns]
        if missing:
            v.fail(T, missing[0], list(assignment.columns),
                   "columns student_id, room (and teacher, subject, focus, pinned, reason)")
        if not len(assignment):
            v.fail(T, "student_id", "no rows", "at least one student")
        changed_by = v.name(changed_by, T, "changed_by", required=False)
        note = self.check_text(note, T, "note", required=False)
        aid = new_id()
        rows = []
        for i, rec in enumerate(assignment.to_dict("records")):
            pinned = rec.get("pinned")
            pinned = pinned.item() if hasattr(pinned, "item") else pinned   # NumPy scalars
            pinned = False if pinned is None or (isinstance(pinned, float) and pinned != pinned) \
                else pinned
            if not isinstance(pinned, (bool, int)) or pinned not in (0, 1):
                v.fail(T, "pinned", pinned, "yes or no (True/False)", row=i)
            rows.append(dict(
                decision_id=new_id(), adoption_id=aid,
                student_id=v.name(rec.get("student_id"), T, "student_id", row=i),
                room=v.name(rec.get("room"), T, "room", row=i),
                teacher=v.name(rec.get("teacher"), T, "teacher", required=False, row=i),
                subject=v.name(rec.get("subject"), T, "subject", required=False, row=i),
                focus=self.check_text(rec.get("focus"), T, "focus", required=False, row=i),
                pinned=int(bool(pinned)),
                reason=self.check_text(rec.get("reason"), T, "reason", required=False, row=i),
                changed_by=v.name(rec.get("changed_by"), T, "changed_by", required=False,
                                  row=i) or changed_by,
                note=self.check_text(rec.get("note"), T, "note", required=False, row=i)
                or note))
        ids = [r["student_id"] for r in rows]
        if len(set(ids)) < len(ids):
            dup = sorted({x for x in ids if ids.count(x) > 1})
            v.fail(T, "student_id", dup[:5], "each student in one room",
                   "A student appears more than once in the block")
        self.check_students(ids, T)

        def write(conn):
            m = self._meeting_row(conn, meeting)
            if m["classroom_id"] is not None:
                v.fail(T, "meeting_id", m["classroom_id"],
                       "a whole-grade meeting (start_meeting with classroom_id=None): the "
                       "block spans the grade's classrooms")
            t = now()
            conn.execute(insert(block_decisions),
                         [dict(r, meeting_id=m["meeting_id"], created_at=t) for r in rows])
        self.write(write)
        return aid

    # ---- reading -------------------------------------------------------------------
    def _rows(self, table, filters, order=None):
        conds = []
        for k, val in filters.items():
            if val is None:
                continue
            col = (table.c[k] if k in table.c else meetings.c[k])
            if isinstance(val, (list, tuple, set)):
                conds.append(col.in_(list(val)))
            else:
                conds.append(col == val)
        q = select(table) if table is meetings else select(
            table, *[c for c in meetings.c if c.name not in table.c
                     and c.name not in ("attendees", "created_at")])
        if table is not meetings:
            q = q.join(meetings, meetings.c.meeting_id == table.c.meeting_id)
        q = q.where(and_(true(), *conds)).order_by(
            *(order or [table.c.created_at, *table.primary_key.columns]))
        return read(self.engine, lambda conn: [dict(r) for r in conn.execute(q).mappings()])

    @staticmethod
    def _frame(rows, columns):
        df = pd.DataFrame(rows, columns=columns)
        for c in ("date", "created_at", "updated_at"):
            if c in df.columns:
                df[c] = pd.to_datetime(df[c])
        for c in ("grade", "cycle"):
            if c in df.columns:
                df[c] = df[c].astype("int64")
        if "due_cycle" in df.columns:         # empty: due the next school year
            df["due_cycle"] = df["due_cycle"].astype("Int64")
            df.insert(df.columns.get_loc("due_cycle") + 1, "due",
                      [due_words(d) for d in df["due_cycle"]])
        return df

    MEETING_COLS = ["meeting_id", "school_id", "grade", "classroom_id", "cycle", "date"]

    def meetings(self, *, school_id=None, grade=None, classroom_id=None, cycle=None) -> pd.DataFrame:
        """One row per meeting: meeting_id, school_id, grade, classroom_id, cycle, date,
        attendees (a list), created_at."""
        rows = self._rows(meetings, dict(school_id=school_id, grade=grade,
                                         classroom_id=classroom_id, cycle=cycle))
        for r in rows:
            r["attendees"] = json.loads(r["attendees"])
        return self._frame(rows, [*self.MEETING_COLS, "attendees", "created_at"])

    def observations(self, *, school_id=None, grade=None, classroom_id=None, cycle=None,
                     kind=None, meeting=None) -> pd.DataFrame:
        """One row per observation with its meeting's school, grade, classroom, cycle, date."""
        rows = self._rows(observations, dict(
            school_id=school_id, grade=grade, classroom_id=classroom_id, cycle=cycle,
            kind=kind, meeting_id=None if meeting is None else _meeting_id(meeting)))
        return self._frame(rows, ["observation_id", *self.MEETING_COLS, "kind", "text",
                                  "source", "author", "created_at"])

    def commitments(self, *, school_id=None, grade=None, classroom_id=None, cycle=None,
                    due_cycle=None, status=None, owner=None, meeting=None) -> pd.DataFrame:
        """One row per commitment: its meeting, action, owner, due_cycle (empty for the
        next school year), due (in words: "cycle 4", "next school year"), target_id,
        student_ids (a list), status, follow_up, created_at, updated_at."""
        rows = self._rows(commitments, dict(
            school_id=school_id, grade=grade, classroom_id=classroom_id, cycle=cycle,
            due_cycle=due_cycle, status=status, owner=owner,
            meeting_id=None if meeting is None else _meeting_id(meeting)))
        named = self._named(r["commitment_id"] for r in rows)
        for r in rows:
            r["student_ids"] = named.get(r["commitment_id"], [])
        return self._frame(rows, ["commitment_id", *self.MEETING_COLS, "action", "owner",
                                  "due_cycle", "target_id", "student_ids", "status",
                                  "follow_up", "author", "created_at", "updated_at"])

    def _named(self, ids) -> dict:
        ids = list(ids)
        out: dict = {}
        if not ids:
            return out
        cs = commitment_students

        def q(conn):
            for i in range(0, len(ids), 500):
                for r in conn.execute(select(cs).where(cs.c.commitment_id.in_(ids[i:i + 500]))
                                      .order_by(cs.c.commitment_id, cs.c.position)):
                    out.setdefault(r.commitment_id, []).append(r.student_id)
        read(self.engine, q)
        return out

    def commitment_updates(self, commitment_id=None) -> pd.DataFrame:
        """Every status change and follow-up note, oldest first."""
        cu = commitment_updates
        q = select(cu).order_by(cu.c.created_at, cu.c.update_id)
        if commitment_id is not None:
            q = q.where(cu.c.commitment_id == commitment_id)
        rows = read(self.engine, lambda conn: [dict(r) for r in conn.execute(q).mappings()])
        return self._frame(rows, [c.name for c in cu.c])

    def commitment_students(self, **filters) -> pd.DataFrame:
        """One row per (commitment, named student): the table the next meeting joins with
        mastery and frontier to see what changed for those students."""
        c = self.commitments(**filters)
        c = c.explode("student_ids").rename(columns={"student_ids": "student_id"})
        c = c[c["student_id"].notna()]
        cols = ["commitment_id", "student_id", "school_id", "grade", "classroom_id", "cycle",
                "date", "due_cycle", "due", "target_id", "action", "owner", "status",
                "follow_up"]
        return c[cols].reset_index(drop=True)

    def last_commitments(self, *, classroom_id=None, before_cycle, school_id=None,
                         grade=None, carry_open=True) -> pd.DataFrame:
        """What to open the next meeting with: the commitments made at the latest meeting
        cycle before ``before_cycle`` (for the classroom, or the school/grade), plus, with
        ``carry_open``, earlier ones still open or in progress. Column ``carried_over``
        tells them apart."""
        before_cycle = v.integer(before_cycle, "commitments", "before_cycle", low=1)
        c = self.commitments(school_id=school_id, grade=grade, classroom_id=classroom_id)
        c = c[c["cycle"] < before_cycle]
        if not len(c):
            return c.assign(carried_over=pd.Series([], dtype=bool))
        last = c["cycle"].max()
        keep = (c["cycle"] == last)
        if carry_open:
            keep |= c["status"].isin(["open", "in progress"])
        return c[keep].assign(carried_over=c["cycle"] < last).reset_index(drop=True)

    def group_decisions(self, *, school_id=None, grade=None, classroom_id=None, cycle=None,
                        meeting=None, current=True) -> pd.DataFrame:
        """The groups adopted: one row per student per adoption. With ``current`` (the
        default) only each meeting's latest adoption."""
        rows = self._rows(group_decisions, dict(
            school_id=school_id, grade=grade, classroom_id=classroom_id, cycle=cycle,
            meeting_id=None if meeting is None else _meeting_id(meeting)))
        df = self._frame(rows, ["decision_id", "adoption_id", *self.MEETING_COLS,
                                "student_id", "group", "focus_target_id", "reason",
                                "changed_by", "note", "created_at"])
        if current and len(df):
            latest = (df.sort_values(["created_at", "adoption_id"])
                      .groupby("meeting_id")["adoption_id"].last())
            df = df[df["adoption_id"].isin(latest)]
            # One current group per student per school and cycle, even in a log that
            # holds two meetings for one cycle (written before meetings were merged):
            # the latest decision wins.
            df = (df.sort_values(["created_at", "decision_id"])
                  .drop_duplicates(["school_id", "cycle", "student_id"], keep="last")
                  .sort_values(["created_at", "decision_id"]).reset_index(drop=True))
        return df

    def block_decisions(self, *, school_id=None, grade=None, cycle=None, meeting=None,
                        current=True) -> pd.DataFrame:
        """The targeted-time blocks adopted: one row per student per adoption, with the
        meeting's school, grade and cycle. With ``current`` (the default) only each
        meeting's latest adoption."""
        rows = self._rows(block_decisions, dict(
            school_id=school_id, grade=grade, cycle=cycle,
            meeting_id=None if meeting is None else _meeting_id(meeting)))
        df = self._frame(rows, ["decision_id", "adoption_id", *self.MEETING_COLS,
                                "student_id", "room", "teacher", "subject", "focus",
                                "pinned", "reason", "changed_by", "note", "created_at"])
        df["pinned"] = df["pinned"].astype(bool)
        if current and len(df):
            latest = (df.sort_values(["created_at", "adoption_id"])
                      .groupby("meeting_id")["adoption_id"].last())
            df = df[df["adoption_id"].isin(latest)].reset_index(drop=True)
        return df

    # ---- the student's own records ------------------------------------------------------
    def set_level(self, student_id, target_id, level, *, author, reason, date=None,
                  scale=(1, 4)) -> str:
        """Record a teacher's professional judgment: the student's level on the target set
        by hand (``level`` a number on the scale or a level word such as "Proficient"),
        by ``author``, on ``date`` (default today), because ``reason``. It replaces the
        pair's current override, which stays in the history. Every view applies it with
        :func:`coachkit.store.apply_overrides`. Returns the override_id."""
        t = "level_overrides"
        row = dict(student_id=v.name(student_id, t, "student_id"),
                   target_id=v.name(target_id, t, "target_id"),
                   level=v.level(level, t, "level", scale=scale),
                   author=v.name(author, t, "author"),
                   reason=self.check_text(reason, t, "reason"),
                   date=v.date(date if date is not None else dt.date.today(), t, "date"))
        self.check_students([row["student_id"]], t)
        oid = new_id()
        lo = level_overrides

        def write(conn):
            tm = now()
            conn.execute(update(lo).where(
                lo.c.student_id == row["student_id"], lo.c.target_id == row["target_id"],
                lo.c.removed_at.is_(None)).values(
                    removed_at=tm, removed_by=row["author"],
                    removal_note="replaced by a new level"))
            conn.execute(insert(lo), [dict(row, override_id=oid, created_at=tm)])
        self.write(write, lock=json.dumps(["level", row["student_id"], row["target_id"]]))
        return oid

    def remove_level(self, student_id, target_id, *, by, note=None) -> str:
        """Remove the level set by hand on (student, target): the computed level applies
        again. The override stays in the history (``level_overrides(current=False)``).
        Returns the override_id removed."""
        t = "level_overrides"
        sid = v.name(student_id, t, "student_id")
        tid = v.name(target_id, t, "target_id")
        by = v.name(by, t, "removed_by")
        note = self.check_text(note, t, "removal_note", required=False)
        lo = level_overrides

        def write(conn):
            cur = conn.execute(select(lo.c.override_id).where(
                lo.c.student_id == sid, lo.c.target_id == tid,
                lo.c.removed_at.is_(None))).scalar()
            if cur is None:
                v.fail(t, "student_id", f"{sid} / {tid}",
                       "a student and target with a level set by hand",
                       "See `coachkit log levels` for the levels set by hand")
            conn.execute(update(lo).where(lo.c.override_id == cur).values(
                removed_at=now(), removed_by=by, removal_note=note))
            return cur
        return self.write(write, lock=json.dumps(["level", sid, tid]))

    def level_overrides(self, *, student_id=None, target_id=None,
                        current=True) -> pd.DataFrame:
        """The levels set by hand: override_id, student_id, target_id, level, author,
        reason, date, created_at, removed_at, removed_by, removal_note. With ``current``
        (the default) only those in force (one per pair at most)."""
        lo = level_overrides
        extra = [lo.c.removed_at.is_(None)] if current else []
        return self._student_frame(lo, dict(student_id=student_id, target_id=target_id),
                                   extra)

    def add_goal(self, student_id, *, author, target_id=None, text=None, set_by="student",
                 date=None) -> str:
        """A student's goal: a learning target (``target_id``), the student's own words
        (``text``), or both; ``set_by`` is "student" or "student and teacher"; dated
        (default today). Returns the goal_id."""
        t = "goals"
        row = dict(student_id=v.name(student_id, t, "student_id"),
                   target_id=v.name(target_id, t, "target_id", required=False),
                   text=self.check_text(text, t, "text", required=False),
                   set_by=v.choice(set_by, GOAL_SETTERS, t, "set_by"),
                   author=v.name(author, t, "author"),
                   date=v.date(date if date is not None else dt.date.today(), t, "date"),
                   met_on=None, met_noted_by=None)
        if row["target_id"] is None and row["text"] is None:
            v.fail(t, "text", None, "a target_id or the goal in the student's own words")
        self.check_students([row["student_id"]], t)
        return self._insert(goals, "goal_id", row)

    def goal_met(self, goal_id, *, by, date=None) -> str:
        """Mark a goal met (on ``date``, default today), noted by ``by``."""
        gid = v.name(goal_id, "goals", "goal_id")
        by = v.name(by, "goals", "met_noted_by")
        day = v.date(date if date is not None else dt.date.today(), "goals", "met_on")

        def write(conn):
            n = conn.execute(update(goals).where(goals.c.goal_id == gid)
                             .values(met_on=day, met_noted_by=by)).rowcount
            if not n:
                v.fail("goals", "goal_id", gid, "a goal in this log")
        self.write(write)
        return gid

    def add_plan(self, student_id, target_id, *, actions, author, support=None,
                 retake_date=None, helpers=None, date=None) -> str:
        """A learning plan for a target the student has not yet shown: what I will do
        (``actions``), the support, the retake date, who helps. Returns the plan_id."""
        t = "plans"
        row = dict(student_id=v.name(student_id, t, "student_id"),
                   target_id=v.name(target_id, t, "target_id"),
                   actions=self.check_text(actions, t, "actions"),
                   support=self.check_text(support, t, "support", required=False),
                   retake_date=None if retake_date is None else v.date(retake_date, t,
                                                                       "retake_date"),
                   helpers=self.check_text(", ".join(helpers) if isinstance(
                       helpers, (list, tuple)) else helpers, t, "helpers", required=False),
                   author=v.name(author, t, "author"),
                   date=v.date(date if date is not None else dt.date.today(), t, "date"))
        self.check_students([row["student_id"]], t)
        return self._insert(plans, "plan_id", row)

    def add_reflection(self, student_id, *, author, proud=None, hard=None,
                       portrait_attribute=None, target_id=None, date=None) -> str:
        """A reflection: "what I am proud of" (``proud``), "what was hard" (``hard``), at
        least one; optionally the Portrait of a Graduate attribute it names and a target.
        Returns the reflection_id."""
        t = "reflections"
        row = dict(student_id=v.name(student_id, t, "student_id"),
                   proud=self.check_text(proud, t, "proud", required=False),
                   hard=self.check_text(hard, t, "hard", required=False),
                   portrait_attribute=v.name(portrait_attribute, t, "portrait_attribute",
                                             required=False),
                   target_id=v.name(target_id, t, "target_id", required=False),
                   author=v.name(author, t, "author"),
                   date=v.date(date if date is not None else dt.date.today(), t, "date"))
        if row["proud"] is None and row["hard"] is None:
            v.fail(t, "proud", None, "what the student is proud of, what was hard, or both")
        self.check_students([row["student_id"]], t)
        return self._insert(reflections, "reflection_id", row)

    def goals(self, *, student_id=None, target_id=None) -> pd.DataFrame:
        """Goals, oldest first: goal_id, student_id, target_id, text, set_by, author,
        date, met_on, met_noted_by, created_at."""
        return self._student_frame(goals, dict(student_id=student_id, target_id=target_id))

    def plans(self, *, student_id=None, target_id=None) -> pd.DataFrame:
        """Learning plans, oldest first: plan_id, student_id, target_id, actions, support,
        retake_date, helpers, author, date, created_at."""
        return self._student_frame(plans, dict(student_id=student_id, target_id=target_id))

    def reflections(self, *, student_id=None) -> pd.DataFrame:
        """Reflections, oldest first: reflection_id, student_id, proud, hard,
        portrait_attribute, target_id, author, date, created_at."""
        return self._student_frame(reflections, dict(student_id=student_id))

    def _insert(self, table, key, row) -> str:
        rid = new_id()
        full = dict(row, **{key: rid}, created_at=now())
        self.write(lambda conn: conn.execute(insert(table), [full]))
        return rid

    def _student_frame(self, table, filters, extra=()) -> pd.DataFrame:
        conds = list(extra)
        for k, val in filters.items():
            if val is None:
                continue
            vals = [val] if isinstance(val, str) else [str(x) for x in val]
            conds.append(table.c[k].in_(vals))
        q = select(table).where(and_(true(), *conds)).order_by(
            table.c.created_at, *table.primary_key.columns)
        rows = read(self.engine, lambda conn: [dict(r) for r in conn.execute(q).mappings()])
        df = pd.DataFrame(rows, columns=[c.name for c in table.c])
        for c in table.c:
            if c.name in ("date", "created_at", "removed_at", "met_on", "retake_date"):
                df[c.name] = pd.to_datetime(df[c.name])
        if "level" in df.columns:
            df["level"] = df["level"].astype(float)
        return df

    # ---- export / import -----------------------------------------------------------
    def export(self, path) -> Path:
        """Write the whole log: ``*.json`` -> one JSON file, else a folder of CSV files
        (one per table, plus manifest.json). ``import_`` reads either back exactly."""
        from .transfer import export
        return export(self, path)

    def import_(self, path) -> dict:
        """Add the records of an export to this log, in one transaction. Records already
        here (same id, same content) are skipped; the same id with different content is
        an error. Returns the number of records added per table."""
        from .transfer import import_
        return import_(self, path)


def _to_meeting(row) -> Meeting:
    return Meeting(row["meeting_id"], row["school_id"], row["grade"], row["classroom_id"],
                   row["cycle"], row["date"], tuple(json.loads(row["attendees"])))
