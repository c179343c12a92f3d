"""The grade's targeted-time block: every student of the grade in one room for 70 minutes,
four days a week, with the teacher of the subject where they need the most support.

    need = ck.grouping.block_need(m, ds.targets, students, ds.cycles, cycle=4)
    rooms = ck.grouping.default_rooms(classrooms, students)      # one room per classroom
    a = ck.grouping.assign_block(m, ds.targets, students, ds.cycles, cycle=4, rooms=rooms,
                                 pins={"100007": "S101-3B"})
    ck.grouping.block_fluidity(history)      # history: assignments of several cycles
    ck.grouping.block_stuck(history, cycles=3)

**Need.** A student's need in a subject is the number of targets they are behind the
grade's pace at the end of the cycle. The grade's pace is the pace that finishes the
grade's continuum by the end of the school year (what ``progress.projection`` calls on
track): by the end of a cycle, a student keeping it has mastered
``expected = round(n_targets × share of the school year gone)`` of the subject's targets
(days from the first cycle's start through this cycle's end, over the days of the school
year's cycles). ``behind = max(expected − mastered, 0)``, mastered by the mastery table
given (the district's method: ``talk.mastery_args``).

**The objective** (exact, by integer programming, scipy's ``milp``/HiGHS): place every
student in exactly one room, no room over its capacity, pinned students in their room,
such that the *unmet need* is the least possible:

    minimise  Σ_s  ( g_s − need(s, subject(room(s))) ),   g_s = max over the block's subjects

that is, the targets-behind a student is *not* served because they sit in another
subject's room, summed over the grade (0: everyone is in a room of their greatest need).
Among the optimal assignments, the fewest students change room from ``previous`` (the
last cycle's assignment), when given. Pinned students are placed first; the others with
the same needs and last room are interchangeable and solved as one count per room (a
transportation problem: exact, and a 600-student grade takes a fraction of a second). Rooms are solved in the order of their ``room``
label and students in the order of their id, so the answer does not depend on row order.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix

from .. import checks
from ..errors import CoachkitDataError
from .metrics import adjusted_rand_index

BLOCK_SUBJECTS = ("math", "ela")       # the default rooms alternate these
SUBJECT_NAMES = {"math": "math", "ela": "ELA"}
ROOM_SLACK = 0.10                      # a default room seats its own class + 10 %
CYCLE = "cycle_id"


def subject_name(subject) -> str:
    """A subject as people write it: "math", "ELA"."""
    return SUBJECT_NAMES.get(str(subject), str(subject))


def _targets_word(k: int) -> str:
    return "1 target" if k == 1 else f"{k} targets"


# --------------------------------------------------------------------------- need
def _grade_students(students) -> pd.DataFrame:
    checks.frame(students, "students", ["student_id", "grade", "classroom_id"])
    checks.no_nulls(students, "students", ["student_id", "grade", "classroom_id"])
    s = students[["student_id", "grade", "classroom_id"]].copy()
    s["student_id"] = s["student_id"].astype(str)
    s["classroom_id"] = s["classroom_id"].astype(str)
    checks.unique(s, "students", ["student_id"])
    grades = sorted(pd.unique(s["grade"]))
    if len(grades) != 1:
        raise CoachkitDataError(
            f"students: expected the students of one grade, got grades {grades}",
            table="students", column="grade", found=grades, expected="one grade")
    if not len(s):
        raise CoachkitDataError("students: expected the grade's students, got none",
                                table="students", found=0, expected="at least one student")
    return s.sort_values("student_id", kind="mergesort", ignore_index=True)


def year_share(cycles: pd.DataFrame, cycle) -> float:
    """Share of the school year gone at the end of CYCLE: days from the first start of
    its school year through the cycle's end, over the days of the year's cycles."""
    checks.frame(cycles, "cycles", ["cycle_id", "start", "end", "school_year"])
    c = cycles.assign(_id=pd.to_numeric(cycles["cycle_id"], errors="coerce"))
    row = c[c["_id"] == pd.to_numeric(cycle, errors="coerce")]
    if not len(row):
        raise CoachkitDataError(
            f"cycles: expected cycle {cycle!r} in the cycles table, got cycles "
            f"{sorted(c['cycle_id'].tolist())}", table="cycles", column="cycle_id",
            found=cycle, expected=sorted(c["cycle_id"].tolist()))
    row = row.iloc[0]
    year = c[c["school_year"].astype(str) == str(row["school_year"])]
    start, end = pd.Timestamp(year["start"].min()), pd.Timestamp(year["end"].max())
    days = (end - start).days + 1
    gone = (pd.Timestamp(row["end"]) - start).days + 1
    return float(min(max(gone / days, 0.0), 1.0))


def block_need(mastery: pd.DataFrame, targets: pd.DataFrame, students: pd.DataFrame,
               cycles: pd.DataFrame, *, cycle, subjects=None) -> pd.DataFrame:
    """Targets behind the grade's pace, per student and subject, at the end of CYCLE.

    mastery: ``progress.mastery`` output (student_id, target_id, mastered);
    targets: the targets table (the grade's targets are used); students: the grade's
    students (student_id, grade, classroom_id); subjects: which (default: every subject
    with targets in the grade). Returns one row per student and subject: student_id,
    subject, n_targets, mastered, expected, behind.
    """
    checks.frame(mastery, "mastery", ["student_id", "target_id", "mastered"])
    checks.frame(targets, "targets", ["target_id", "subject", "grade", "sequence"])
    s = _grade_students(students)
    grade = s["grade"].iloc[0]
    t = targets[targets["grade"] == grade]
    have = sorted(pd.unique(t["subject"].astype(str)))
    subjects = have if subjects is None else [str(x) for x in checks.columns_list(subjects,
                                                                                  "subjects")]
    missing = [x for x in subjects if x not in have]
    if missing:
        raise CoachkitDataError(
            f"targets: expected targets of grade {grade} for {', '.join(missing)}, got "
            f"subjects {have}", table="targets", column="subject", found=have,
            expected=subjects)
    share = year_share(cycles, cycle)
    tt = t[["target_id", "subject"]].astype(str).drop_duplicates("target_id")
    tt = tt[tt["subject"].isin(subjects)]
    m = mastery[mastery["mastered"].fillna(False).astype(bool)]
    m = pd.DataFrame({"student_id": m["student_id"].astype(str),
                      "target_id": m["target_id"].astype(str)}).drop_duplicates()
    got = (m.merge(tt, on="target_id").groupby(["student_id", "subject"]).size()
           .rename("mastered"))
    grid = pd.MultiIndex.from_product([s["student_id"], subjects],
                                      names=["student_id", "subject"])
    out = got.reindex(grid, fill_value=0).reset_index()
    n = tt.groupby("subject").size()
    out["n_targets"] = out["subject"].map(n).astype(np.int64)
    out["mastered"] = out["mastered"].astype(np.int64)
    out["expected"] = np.floor(out["n_targets"] * share + 0.5).astype(np.int64)
    out["behind"] = (out["expected"] - out["mastered"]).clip(lower=0).astype(np.int64)
    return out[["student_id", "subject", "n_targets", "mastered", "expected", "behind"]]


# --------------------------------------------------------------------------- rooms
ROOM_COLUMNS = ["room", "teacher", "subject", "focus", "capacity"]


def default_rooms(classrooms: pd.DataFrame, students: pd.DataFrame, *, subject=None,
                  capacity=None) -> pd.DataFrame:
    """One room per classroom of the grade, with its teacher.

    subject: None alternates math and ELA along the classrooms in id order (the first
    classroom math, the second ELA, ...); a subject name gives every room that subject; a
    dict classroom_id -> subject sets each (the others alternate). capacity: None seats
    the classroom's own number of students plus 10 % (rounded up), so a room can take a
    few more than its own class (a classroom with no students of its own: the grade's
    average class); a whole number seats that many in every room; a dict
    classroom_id -> seats sets each. The room's label is the classroom id; focus is empty
    (the assignment names the room's most shared next target).
    """
    checks.frame(classrooms, "classrooms", ["classroom_id", "teacher"])
    s = _grade_students(students)
    if "grade" in classrooms.columns:           # every classroom of the grade (a room
        rooms = classrooms[classrooms["grade"] == s["grade"].iloc[0]]   # may have no one)
        if "school_id" in classrooms.columns and "school_id" in students.columns:
            rooms = rooms[rooms["school_id"].astype(str).isin(
                set(students["school_id"].astype(str)))]
    else:
        rooms = classrooms[classrooms["classroom_id"].astype(str).isin(set(s["classroom_id"]))]
    rooms = rooms.assign(classroom_id=rooms["classroom_id"].astype(str)) \
        .sort_values("classroom_id", kind="mergesort").drop_duplicates("classroom_id")
    if not len(rooms):
        raise CoachkitDataError("classrooms: expected the grade's classrooms, got none",
                                table="classrooms", found=0, expected="a classroom")
    own = s.groupby("classroom_id").size()
    out = []
    for i, r in enumerate(rooms.itertuples(index=False)):
        cid = r.classroom_id
        if isinstance(subject, dict):
            subj = subject.get(cid, BLOCK_SUBJECTS[i % 2])
        elif subject is None:
            subj = BLOCK_SUBJECTS[i % 2]
        else:
            subj = subject
        if isinstance(capacity, dict):
            cap = capacity.get(cid)
        else:
            cap = capacity
        if cap is None:                  # a classroom with none of its own: the average
            k = int(own.get(cid, 0)) or math.ceil(len(s) / len(rooms))
            cap = k + math.ceil(ROOM_SLACK * k)
        out.append({"room": cid, "teacher": str(r.teacher), "subject": str(subj),
                    "focus": None, "capacity": cap})
    return check_rooms(pd.DataFrame(out, columns=ROOM_COLUMNS))


def check_rooms(rooms: pd.DataFrame) -> pd.DataFrame:
    """The rooms table checked: room (unique label), teacher, subject, capacity (a whole
    number >= 1), focus (optional text). Returns a clean copy sorted by room."""
    checks.frame(rooms, "rooms", ["room", "teacher", "subject", "capacity"],
                 hint="One row per room of the block: its label, teacher, subject and seats.")
    checks.no_nulls(rooms, "rooms", ["room", "teacher", "subject", "capacity"])
    r = rooms.copy()
    r["room"] = r["room"].astype(str)
    checks.unique(r, "rooms", ["room"])
    caps = []
    for i, v in enumerate(r["capacity"]):
        if isinstance(v, (float, np.floating)) and float(v).is_integer():
            v = int(v)
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)) or v < 1:
            raise CoachkitDataError(
                f"rooms: column 'capacity': expected a whole number of seats >= 1, got "
                f"{v!r} at row {i} (room {r['room'].iloc[i]})", table="rooms", row=i,
                column="capacity", found=v, expected="a whole number >= 1")
        caps.append(int(v))
    r["capacity"] = np.asarray(caps, dtype=np.int64)
    if "focus" not in r.columns:
        r["focus"] = None
    r["subject"] = r["subject"].astype(str)
    r["teacher"] = r["teacher"].astype(str)
    r["focus"] = r["focus"].astype(object).where(r["focus"].notna(), None)
    return r.sort_values("room", kind="mergesort", ignore_index=True)[ROOM_COLUMNS]


def _pins(pins, students: pd.Series, rooms: pd.Series) -> dict[str, str]:
    if pins is None:
        return {}
    if isinstance(pins, pd.DataFrame):
        checks.frame(pins, "pins", ["student_id", "room"])
        pins = dict(zip(pins["student_id"].astype(str), pins["room"].astype(str)))
    if not isinstance(pins, dict):
        raise ValueError(f"pins: expected a dict student_id -> room or a table with "
                         f"student_id and room, got {type(pins).__name__}")
    out = {str(k): str(v) for k, v in pins.items()}
    known, labels = set(students), set(rooms)
    bad = [k for k in out if k not in known]
    if bad:
        raise CoachkitDataError(
            f"pins: expected students of the grade, got {len(bad)} unknown student id(s) "
            f"{bad[:5]}", table="pins", column="student_id", found=bad[:5],
            expected="a student of the grade")
    bad = sorted({v for v in out.values() if v not in labels})
    if bad:
        raise CoachkitDataError(
            f"pins: expected one of the rooms {sorted(labels)}, got {bad[:5]}",
            table="pins", column="room", found=bad[:5], expected=sorted(labels))
    return out


# --------------------------------------------------------------------------- solver
def solve(need: np.ndarray, capacity: np.ndarray, *, pins: dict[int, int] | None = None,
          previous: np.ndarray | None = None) -> np.ndarray:
    """The room of each student (an index), exactly: ``need[s, r]`` is student s's need
    in room r's subject; minimises Σ_s (max_r need[s] − need[s, room(s)]), each room at
    most ``capacity[r]`` students, ``pins`` (student -> room) fixed; among optima, the
    fewest students whose room differs from ``previous[s]`` (-1: none). Raises
    CoachkitDataError when the capacities cannot seat everyone."""
    n, R = need.shape
    pins = pins or {}
    cap = np.asarray(capacity, dtype=np.int64)
    if cap.sum() < n:
        raise CoachkitDataError(
            f"rooms: expected seats for every student of the grade ({n}), got "
            f"{int(cap.sum())} seats in {R} rooms; add seats or rooms",
            table="rooms", column="capacity", found=int(cap.sum()), expected=n)
    pinned = np.bincount(np.fromiter(pins.values(), dtype=np.int64, count=len(pins)),
                         minlength=R) if pins else np.zeros(R, dtype=np.int64)
    over = np.flatnonzero(pinned > cap)
    if len(over):
        r = int(over[0])
        raise CoachkitDataError(
            f"pins: expected at most {int(cap[r])} students pinned to room #{r + 1} "
            f"(its capacity), got {int(pinned[r])}", table="pins", column="room", row=r,
            found=int(pinned[r]), expected=int(cap[r]))
    where = np.full(n, -1, dtype=np.int64)
    for st, r in pins.items():                      # pinned: placed, seats taken
        where[st] = r
    left = cap - pinned
    free = np.flatnonzero(where < 0)
    if not len(free):
        return where
    regret = need.max(axis=1, keepdims=True) - need
    prev = (np.full(n, -1, dtype=np.int64) if previous is None
            else np.asarray(previous, dtype=np.int64))
    # students with the same needs and the same previous room are interchangeable: one
    # unit each, solved as a count per room (a transportation problem; exact)
    keys = np.c_[regret[free], prev[free]]
    uniq, unit = np.unique(keys, axis=0, return_inverse=True)
    unit = unit.ravel()
    U = len(uniq)
    count = np.bincount(unit, minlength=U).astype(float)
    weight = n + 1                     # one unit of need outweighs every tie-break
    cost = uniq[:, :R].astype(float) * weight
    moved = np.ones((U, R))
    has = uniq[:, R] >= 0
    moved[np.flatnonzero(has), uniq[has, R]] = 0.0
    if previous is not None:
        cost += moved
    y = np.arange(U * R).reshape(U, R)
    rows = np.r_[np.repeat(np.arange(U), R), U + np.tile(np.arange(R), U)]
    cols = np.r_[y.ravel(), y.ravel()]
    A = coo_matrix((np.ones(2 * U * R), (rows, cols)), shape=(U + R, U * R)).tocsr()
    lo = np.r_[count, np.zeros(R)]
    hi = np.r_[count, left.astype(float)]
    res = milp(cost.ravel(), constraints=LinearConstraint(A, lo, hi),
               integrality=np.ones(U * R), bounds=Bounds(np.zeros(U * R), np.repeat(count, R)),
               options={"mip_rel_gap": 0.0})
    if res.status != 0 or res.x is None:          # not reached: the checks above suffice
        raise CoachkitDataError(f"rooms: expected a placement for every student, got none "
                                f"({res.message})", table="rooms")
    take = np.round(res.x).astype(np.int64).reshape(U, R)
    for u in range(U):                               # members in index order, rooms in order
        members = free[unit == u]
        at = 0
        for r in range(R):
            where[members[at:at + take[u, r]]] = r
            at += take[u, r]
    return where


def unmet_need(assignment: pd.DataFrame) -> int:
    """The objective: Σ over students of (greatest need − need in the room's subject)."""
    checks.frame(assignment, "assignment", ["need", "greatest_need"])
    return int((assignment["greatest_need"] - assignment["need"]).sum())


# --------------------------------------------------------------------------- assign
def assign_block(mastery: pd.DataFrame, targets: pd.DataFrame, students: pd.DataFrame,
                 cycles: pd.DataFrame, *, cycle, rooms: pd.DataFrame | None = None,
                 classrooms: pd.DataFrame | None = None, subject=None, capacity=None,
                 pins=None, previous: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each student of the grade in the block's room where their need is greatest.

    mastery, targets, students (the grade's: student_id, grade, classroom_id), cycles and
    ``cycle`` give the need (:func:`block_need`). rooms: room, teacher, subject,
    capacity, optional focus; default :func:`default_rooms` of ``classrooms`` with
    ``subject`` and ``capacity``. pins: student_id -> room label (or a table with
    student_id, room): those students go there whatever their need. previous: the last
    cycle's assignment (student_id, room): among equally good assignments, students keep
    their room. The objective is in the module's docstring.

    Returns one row per student, in id order: student_id, classroom_id (their own),
    room, teacher, subject, focus (the room's focus, or its members' most shared next
    target's unit), focus_target_id, need (targets behind the grade's pace in the room's
    subject), greatest_need, greatest_subject, pinned, reason (in words).
    """
    s = _grade_students(students)
    if rooms is None:
        if classrooms is None:
            raise ValueError("rooms: expected a rooms table, or classrooms to make one "
                             "room per classroom, got neither")
        rooms = default_rooms(classrooms, students, subject=subject, capacity=capacity)
    r = check_rooms(rooms)
    subjects = list(dict.fromkeys(r["subject"]))
    need = block_need(mastery, targets, students, cycles, cycle=cycle, subjects=subjects)
    wide = need.pivot(index="student_id", columns="subject", values="behind") \
        .reindex(index=s["student_id"], columns=subjects)
    nmat = wide.to_numpy(dtype=np.int64)
    col = pd.Index(subjects).get_indexer(r["subject"])
    room_need = nmat[:, col]
    pin_map = _pins(pins, s["student_id"], r["room"])
    sid_pos = pd.Index(s["student_id"])
    room_pos = pd.Index(r["room"])
    pin_idx = {int(sid_pos.get_loc(k)): int(room_pos.get_loc(v)) for k, v in pin_map.items()}
    prev = None
    if previous is not None:
        checks.frame(previous, "previous", ["student_id", "room"])
        p = dict(zip(previous["student_id"].astype(str), previous["room"].astype(str)))
        prev = np.array([room_pos.get_loc(p[x]) if p.get(x) in room_pos else -1
                         for x in s["student_id"]], dtype=np.int64)
    try:
        where = solve(room_need, r["capacity"].to_numpy(), pins=pin_idx, previous=prev)
    except CoachkitDataError as e:
        if e.table == "pins" and e.row is not None:
            full = r["room"].iloc[e.row]
            raise CoachkitDataError(
                f"pins: expected at most {e.expected} student{'s' if e.expected != 1 else ''} "
                f"pinned to room {full} "
                f"({r.loc[r['room'] == full, 'teacher'].iloc[0]}), as many as its seats, got "
                f"{e.found}; pin fewer students there or give it more seats",
                table="pins", column="room", found=e.found, expected=e.expected) from None
        raise
    greatest = nmat.max(axis=1)
    top = nmat.argmax(axis=1)           # the first subject in room order on a tie
    out = s[["student_id", "classroom_id"]].copy()
    out["room"] = r["room"].to_numpy()[where]
    out["teacher"] = r["teacher"].to_numpy()[where]
    out["subject"] = r["subject"].to_numpy()[where]
    out["need"] = room_need[np.arange(len(s)), where].astype(np.int64)
    out["greatest_need"] = greatest.astype(np.int64)
    out["greatest_subject"] = np.asarray(subjects, dtype=object)[top]
    out["pinned"] = [i in pin_idx for i in range(len(s))]
    focus, focus_t = _focus(out, r, mastery, targets, s["grade"].iloc[0])
    out["focus"] = focus
    out["focus_target_id"] = focus_t
    out["reason"] = _reasons(out, wide, need, r)
    return out[["student_id", "classroom_id", "room", "teacher", "subject", "focus",
                "focus_target_id", "need", "greatest_need", "greatest_subject", "pinned",
                "reason"]].reset_index(drop=True)


def _focus(out, rooms, mastery, targets, grade):
    """The room's given focus, or the unit of its members' most shared next target (the
    first target of the subject's continuum they have not mastered; ties to the earlier
    target; "extension" when every member finished the subject)."""
    t = targets[targets["grade"] == grade].assign(
        target_id=lambda d: d["target_id"].astype(str), subject=lambda d: d["subject"].astype(str))
    t = t.sort_values(["subject", "sequence", "target_id"], kind="mergesort") \
        .drop_duplicates("target_id")
    done = mastery[mastery["mastered"].fillna(False).astype(bool)]
    sid = pd.Index(out["student_id"].astype(str))
    focus = np.full(len(out), None, dtype=object)
    focus_t = np.full(len(out), None, dtype=object)
    nexts = {}
    for subj, seq in t.groupby("subject", sort=False):
        ids = seq["target_id"].to_numpy()
        d = np.zeros((len(sid), len(ids)), dtype=bool)
        r = sid.get_indexer(done["student_id"].astype(str))
        c = pd.Index(ids).get_indexer(done["target_id"].astype(str))
        ok = (r >= 0) & (c >= 0)
        d[r[ok], c[ok]] = True
        first = np.where(d.all(axis=1), -1, (~d).argmax(axis=1))
        nexts[subj] = (first, seq)
    room_col = out["room"].to_numpy()
    for room in rooms.itertuples(index=False):
        mem = np.flatnonzero(room_col == room.room)
        if room.focus is not None:
            focus[mem] = str(room.focus)
            continue
        if room.subject not in nexts or not len(mem):
            continue
        first, seq = nexts[room.subject]
        f = first[mem]
        f = f[f >= 0]
        if not len(f):
            focus[mem] = "extension"
            continue
        best = int(np.bincount(f).argmax())                # the earliest on a tie
        row = seq.iloc[best]
        unit = row["unit"] if "unit" in seq.columns and pd.notna(row.get("unit")) else None
        focus[mem] = str(unit) if unit else str(row.get("code", row["target_id"]))
        focus_t[mem] = row["target_id"]
    return focus, focus_t


def _need_words(subject, k: int, mastered: int, expected: int) -> str:
    if k > 0:
        return f"{subject_name(subject)}: {_targets_word(k)} behind the grade's pace"
    if mastered > expected:
        return f"{subject_name(subject)}: ahead of the grade's pace"
    return f"{subject_name(subject)}: on the grade's pace"


def _reasons(out, wide, need, rooms) -> list[str]:
    facts = {(a, b): (int(m), int(e)) for a, b, m, e in zip(
        need["student_id"], need["subject"], need["mastered"], need["expected"])}
    behind = {(a, b): int(k) for a, b, k in zip(need["student_id"], need["subject"],
                                                need["behind"])}
    subjects = list(wide.columns)
    open_subjects = set(rooms["subject"])
    texts = []
    for row in out.itertuples(index=False):
        mastered, expected = facts[(row.student_id, row.subject)]
        here = _need_words(row.subject, int(row.need), mastered, expected)
        if row.greatest_need == 0:
            text = (f"on or ahead of the grade's pace in "
                    f"{' and '.join(subject_name(x) for x in subjects)}: deepening the "
                    f"grade's work in {subject_name(row.subject)}")
        elif row.need == row.greatest_need:
            ties = [subject_name(x) for x in subjects
                    if x != row.subject and behind[(row.student_id, x)] == row.need]
            text = here + (f" ({', '.join(ties)} the same)" if ties else "")
        else:
            g = row.greatest_subject
            text = (f"{here}; the greatest need is {subject_name(g)}: "
                    f"{_targets_word(int(row.greatest_need))} behind")
            if not row.pinned and g in open_subjects:
                text += f", but the {subject_name(g)} rooms are full"
        if row.pinned:
            text = f"placed here by the team ({text})"
        texts.append(text)
    return texts


def block_rooms(assignment: pd.DataFrame, rooms: pd.DataFrame) -> pd.DataFrame:
    """One row per room: room, teacher, subject, focus, capacity, placed (students),
    pinned, need_median, need_low, need_high (targets behind in the room's subject)."""
    checks.frame(assignment, "assignment", ["room", "need", "pinned", "focus"])
    r = check_rooms(rooms)
    g = assignment.groupby("room", sort=True)
    agg = pd.DataFrame({"placed": g.size(), "pinned": g["pinned"].sum(),
                        "need_median": g["need"].median(), "need_low": g["need"].min(),
                        "need_high": g["need"].max(), "focus_shown": g["focus"].first()})
    out = r.merge(agg, left_on="room", right_index=True, how="left")
    out["focus"] = out["focus"].where(out["focus"].notna(), out["focus_shown"])
    out["placed"] = out["placed"].fillna(0).astype(np.int64)
    out["pinned"] = out["pinned"].fillna(0).astype(np.int64)
    return out[["room", "teacher", "subject", "focus", "capacity", "placed", "pinned",
                "need_median", "need_low", "need_high"]]


# --------------------------------------------------------------------------- across cycles
def _block_history(history, cycle, extra=()):
    checks.frame(history, "history", [cycle, "student_id", "room", *extra],
                 hint=f"Stack the assignments of each cycle with a {cycle!r} column: "
                      f"pd.concat([a1.assign({cycle}=1), a2.assign({cycle}=2), ...]).")
    checks.no_nulls(history, "history", [cycle, "student_id", "room"])
    checks.unique(history, "history", [cycle, "student_id"],
                  hint="One room per student per cycle.")
    h = history.assign(student_id=history["student_id"].astype(str),
                       room=history["room"].astype(str))
    return h, sorted(pd.unique(h[cycle]))


def block_fluidity(history: pd.DataFrame, *, cycle: str = CYCLE) -> pd.DataFrame:
    """How much the block changes between consecutive cycles. Rooms keep their label from
    cycle to cycle (a teacher's room), so a change is a different room. history:
    ``cycle_id, student_id, room`` (assignments stacked). One row per pair of consecutive
    cycles: from_cycle, to_cycle, n_students (in both), n_changed (in another room),
    share_changed, ari (adjusted Rand index of the two assignments, as for the flexible
    groups: 1 = the same rooms together, ~0 = unrelated)."""
    h, cyc = _block_history(history, cycle)
    rows = []
    for a, b in zip(cyc[:-1], cyc[1:]):
        p = h[h[cycle] == a][["student_id", "room"]].merge(
            h[h[cycle] == b][["student_id", "room"]], on="student_id", suffixes=("_a", "_b"))
        n = len(p)
        changed = int((p["room_a"] != p["room_b"]).sum())
        rows.append({"from_cycle": a, "to_cycle": b, "n_students": n, "n_changed": changed,
                     "share_changed": changed / n if n else float("nan"),
                     "ari": adjusted_rand_index(p["room_a"], p["room_b"]) if n
                     else float("nan")})
    return pd.DataFrame(rows, columns=["from_cycle", "to_cycle", "n_students", "n_changed",
                                       "share_changed", "ari"])


def block_stuck(history: pd.DataFrame, *, cycles: int = 3, cycle: str = CYCLE) -> pd.DataFrame:
    """Students in the same room ``cycles`` or more cycles in a row up to the latest cycle
    while, at the latest cycle, their greatest need is no longer that room's subject.

    history: assignments stacked (``assign_block`` output + ``cycle_id``); "in a row"
    counts consecutive cycles of the history, a cycle the student is missing ends the run.
    One row per flagged student: student_id, room, teacher, subject, first_cycle,
    last_cycle, n_cycles, need, greatest_subject, greatest_need, reason (in words)."""
    n_req = checks.positive_int(cycles, "cycles")
    h, cyc = _block_history(history, cycle, ["need", "greatest_need", "greatest_subject",
                                             "subject"])
    cols = ["student_id", "room", "teacher", "subject", "first_cycle", "last_cycle",
            "n_cycles", "need", "greatest_subject", "greatest_need", "reason"]
    if not cyc:
        return pd.DataFrame(columns=cols)
    rank = {c: i for i, c in enumerate(cyc)}
    last = cyc[-1]
    rows = []
    now = h[h[cycle] == last]
    by_student = {sid: g.set_index(cycle)["room"] for sid, g in h.groupby("student_id")}
    for row in now.itertuples(index=False):
        rec = row._asdict()
        if not rec["need"] < rec["greatest_need"]:
            continue
        rooms_of = by_student[rec["student_id"]]
        n, i = 0, len(cyc) - 1
        while i >= 0 and cyc[i] in rooms_of.index and rooms_of[cyc[i]] == rec["room"]:
            n += 1
            i -= 1
        if n < n_req:
            continue
        teacher = rec.get("teacher", "")
        rows.append({
            "student_id": rec["student_id"], "room": rec["room"], "teacher": teacher,
            "subject": rec["subject"], "first_cycle": cyc[rank[last] - n + 1],
            "last_cycle": last, "n_cycles": n, "need": int(rec["need"]),
            "greatest_subject": rec["greatest_subject"],
            "greatest_need": int(rec["greatest_need"]),
            "reason": (f"in {teacher + chr(39) + 's ' if teacher else 'the same '}"
                       f"{subject_name(rec['subject'])} room {n} cycles in a row; now "
                       f"{subject_name(rec['greatest_subject'])} is the greater need: "
                       f"{_targets_word(int(rec['greatest_need']))} behind the grade's pace "
                       f"against {int(rec['need'])} in {subject_name(rec['subject'])}")})
    return pd.DataFrame(rows, columns=cols)
