"""Groups by shared need: every member of a group still needs the group's focus target
and is ready for it.

A student's needs on one subject's continuum (the grade's targets in order, then the next
grades' targets as extension):

* **gap**: a target of the grade the student has not mastered although they have mastered
  the targets right after it: a run of at most ``GAP_RUN`` not-yet-mastered targets
  followed by ``GAP_AFTER`` mastered ones (or by mastered targets to the end of the
  grade). A gap is a need to re-teach; it does not set where the student is.
* **next steps**: the targets not yet mastered that are not gaps, in continuum order. The
  first is the student's *next step*; the student is *ready* for the first
  ``READY_STEPS`` of them. A student who finished the grade has next steps in the next
  grade (extension); after the last target of the continuum comes one shared
  *extension* step (deepening the grade's work), so every list ends with a step every
  student can share.
* **progress**: the share of the grade's targets mastered. This is how far along a student
  is; the tracking check uses it to say who is behind.

The objective (exact, by integer programming): for the given number of groups, give
every group a focus target and place every student in one group, such that

1. every member still needs the focus and is ready for it (it is one of their first
   ``READY_STEPS`` next steps), every group between ``min_size`` and ``max_size``;
2. the total number of *steps ahead* is the least possible, where a member's steps ahead
   is 0 when the focus is their next step, 1 when it is the step after, and so on.

When no grouping meets 1 (``n_groups`` is fixed, or pins), the readiness window is
widened to all next steps and the cards say how many steps ahead a member works.
``n_groups=None`` forms the fewest groups for which 1 can be met (at least
⌈n / max_size⌉). Students sharing a focus are split into groups of even size in order of
their next step, then student id.
"""
from __future__ import annotations

import contextlib
import contextvars
import math

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix

from .. import checks

READY_STEPS = 3
GAP_AFTER = 2
GAP_RUN = 2
MAX_STEPS = 8            # a focus further ahead than this is never proposed
EXTENSION = "extension"          # the shared step after the last target of the continuum


_SHARED = contextvars.ContextVar("coachkit_grouping_shared_targets", default=None)


@contextlib.contextmanager
def shared_targets():
    """Inside this block, what grouping derives from a targets table (each subject's
    continuum from a grade on, codes and statements, ranks) is computed once per table,
    not once per call: for a caller that groups one classroom cycle after cycle
    (``talk.group_history``). The targets tables must not change inside the block."""
    if _SHARED.get() is not None:               # already inside one: share with it
        yield
        return
    token = _SHARED.set({})
    try:
        yield
    finally:
        _SHARED.reset(token)


def memo(kind: str, targets, key, compute):
    """``compute()``, or inside :func:`shared_targets` its result for the same targets
    table (the same object), ``kind`` and ``key`` computed before. Treat it as read-only."""
    shared = _SHARED.get()
    if shared is None or targets is None:
        return compute()
    k = (kind, id(targets), key)
    hit = shared.get(k)
    if hit is None or hit[0] is not targets:
        hit = shared[k] = (targets, compute())        # the table kept: its id stays its own
    return hit[1]


def _continuum(targets: pd.DataFrame, subject, grade) -> tuple[pd.DataFrame, int]:
    return memo("continuum", targets, (str(subject), None if grade is None else float(grade)),
                lambda: _continuum_of(targets, subject, grade))


def _continuum_of(targets: pd.DataFrame, subject, grade) -> tuple[pd.DataFrame, int]:
    """The subject's targets from ``grade`` on, in order, and the number in the grade."""
    checks.frame(targets, "targets", ["target_id", "subject", "grade", "sequence"])
    t = targets[targets["subject"].astype(str) == str(subject)]
    if grade is None:
        if not len(t):
            raise ValueError(f"targets: expected targets for subject {subject!r}, got none")
        grade = t["grade"].min()
    t = t[t["grade"] >= grade].sort_values(["grade", "sequence", "target_id"], kind="mergesort")
    t = t.drop_duplicates("target_id").reset_index(drop=True)
    n_grade = int((t["grade"] == grade).sum())
    if n_grade == 0:
        raise ValueError(f"targets: expected targets of grade {grade} for {subject}, got none")
    return t, n_grade


def needs(mastery: pd.DataFrame, targets: pd.DataFrame, students, *, subject,
          grade=None) -> pd.DataFrame:
    """Each student's needs on one subject: next steps, gaps and progress.

    mastery: ``ck.progress.mastery(...)`` output (student_id, target_id, mastered).
    targets: the targets table; the grade's targets and those of later grades (extension).
    students: the student ids to describe (a list, Series, or a table with student_id).
    grade: the classroom's grade (default: the lowest grade of the subject in ``targets``).

    Returns one row per student: student_id, subject, n_mastered, n_targets, progress
    (share of the grade's targets mastered), finished (every target of the grade
    mastered), next_step (target_id; ``"extension"`` after the last target), position
    (the next step's place on the continuum, 0 = the grade's first target), steps (next
    steps, in order), gaps (target_ids of the grade's gaps).
    """
    checks.frame(mastery, "mastery", ["student_id", "target_id", "mastered"])
    t, n_grade = _continuum(targets, subject, grade)
    ids = (students["student_id"] if isinstance(students, pd.DataFrame) else pd.Series(students))
    ids = pd.Index(pd.unique(ids.astype(str)))
    tid = t["target_id"].astype(str).to_numpy()
    done = np.zeros((len(ids), len(tid)), dtype=bool)
    m = mastery[mastery["mastered"].fillna(False).astype(bool)]
    r = ids.get_indexer(m["student_id"].astype(str))
    c = pd.Index(tid).get_indexer(m["target_id"].astype(str))
    ok = (r >= 0) & (c >= 0)
    done[r[ok], c[ok]] = True
    rows = []
    for i, sid in enumerate(ids):
        d = done[i]
        gaps = []
        j = 0
        while j < n_grade:                      # runs of not-yet-mastered grade targets
            if d[j]:
                j += 1
                continue
            end = j
            while end < n_grade and not d[end]:
                end += 1
            after = d[end:min(end + GAP_AFTER, n_grade)]
            if end - j <= GAP_RUN and end < n_grade and after.all():
                gaps.extend(range(j, end))
            j = end
        gapset = set(gaps)
        steps = [j for j in range(len(tid)) if not d[j] and j not in gapset]
        beyond = [j for j in steps if j >= n_grade]
        steps = ([j for j in steps if j < n_grade] + beyond[:READY_STEPS])[:MAX_STEPS]
        steps.append(len(tid))                       # the shared extension step
        rows.append({
            "student_id": sid, "subject": subject, "n_mastered": int(d[:n_grade].sum()),
            "n_targets": n_grade, "progress": float(d[:n_grade].mean()),
            "finished": bool(d[:n_grade].all()),
            "next_step": tid[steps[0]] if steps[0] < len(tid) else EXTENSION,
            "position": float(steps[0]),
            "steps": [tid[j] if j < len(tid) else EXTENSION for j in steps],
            "gaps": [tid[j] for j in gaps],
        })
    cols = ["student_id", "subject", "n_mastered", "n_targets", "progress", "finished",
            "next_step", "position", "steps", "gaps"]
    return pd.DataFrame(rows, columns=cols)


# --------------------------------------------------------------------------- solver
def step_cost(a: int, window: int = READY_STEPS) -> tuple[int, int]:
    """(steps beyond the readiness window, steps ahead) of a focus ``a`` steps ahead."""
    return max(a - window + 1, 0), a


def _units(steps: list[list[int]], pins: dict[int, int]) -> list[list[int]]:
    """Students who are interchangeable for the solver: free students with the same next
    steps form one unit (solved as a count, not one variable per student); a pinned
    student is a unit of one. Members in index order."""
    by_steps: dict[tuple, list[int]] = {}
    units = []
    for i, r in enumerate(steps):
        if i in pins:
            units.append([i])
        else:
            key = tuple(r)
            if key not in by_steps:
                by_steps[key] = []
                units.append(by_steps[key])
            by_steps[key].append(i)
    return units


def _milp(steps, units, k_range, min_size, max_size, pins, window, limit):
    """One integer program over the units, the focus of each unit's members at most
    ``limit`` steps ahead (None: any next step). Returns (counts per unit entry, entries,
    free groups per rank) or None when infeasible."""
    pinned_labels = sorted(set(pins.values()))
    n = len(steps)
    k_lo, k_hi = k_range
    free_lo, free_hi = max(k_lo - len(pinned_labels), 0), k_hi - len(pinned_labels)
    # entries: (unit, pinned group or None, rank, steps ahead)
    eu, eg, et, ea = [], [], [], []
    for u, mem in enumerate(units):
        i = mem[0]
        r = steps[i]
        groups = [pins[i]] if i in pins else [None] + pinned_labels
        reach = len(r) if limit is None else min(len(r), limit)
        for g in groups:
            for a in range(reach):
                eu.append(u)
                eg.append(-1 if g is None else g)
                et.append(r[a])
                ea.append(a)
    if len(set(eu)) < len(units):
        return None
    eu, eg, et, ea = map(lambda v: np.asarray(v, dtype=np.int64), (eu, eg, et, ea))
    cand = np.unique(et)
    ti = np.searchsorted(cand, et)
    C, E, P = len(cand), len(eu), len(pinned_labels)
    s_max = sum(max(len(r) - 1, 0) for r in steps)
    w_group = s_max + 1
    w_beyond = w_group * (k_hi + 1) + s_max + 1
    beyond = np.maximum(ea - window + 1, 0)
    weight = np.array([len(m) for m in units], dtype=float)
    cost = np.r_[(w_beyond * beyond + ea).astype(float), np.full(C, float(w_group)),
                 np.zeros(P * C)]
    hi_b = np.r_[weight[eu], np.full(C, float(n)), np.ones(P * C)]
    y0, z0 = E, E + C
    pidx = {p: j for j, p in enumerate(pinned_labels)}
    free = eg < 0
    rows, cols, vals, lo_c, hi_c = [], [], [], [], []
    r0 = 0

    def block(r, c, v, lo, hi):
        nonlocal r0
        rows.append(np.asarray(r) + r0)
        cols.append(np.asarray(c))
        vals.append(np.asarray(v, dtype=float))
        lo_c.append(np.asarray(lo, dtype=float))
        hi_c.append(np.asarray(hi, dtype=float))
        r0 += len(lo_c[-1])

    e = np.arange(E)
    block(eu, e, np.ones(E), weight, weight)                       # every student placed
    fe = e[free]
    for size, lo, hi in ((min_size, 0.0, np.inf), (max_size, -np.inf, 0.0)):
        block(np.r_[ti[fe], np.arange(C)], np.r_[fe, y0 + np.arange(C)],
              np.r_[np.ones(len(fe)), np.full(C, -float(size))], np.full(C, lo), np.full(C, hi))
    block(np.zeros(C, dtype=np.int64), y0 + np.arange(C), np.ones(C), [free_lo], [free_hi])
    # no members at a focus without a group there (implied, but it tightens the relaxation
    # the way strong facility-location formulations do, so far fewer branches are needed)
    m = len(fe)
    block(np.r_[np.arange(m), np.arange(m)], np.r_[fe, y0 + ti[fe]],
          np.r_[np.ones(m), -np.minimum(weight[eu[fe]], max_size)], np.full(m, -np.inf),
          np.zeros(m))
    if P:
        pe = e[~free]
        pj = np.array([pidx[g] for g in eg[~free]], dtype=np.int64)
        m = len(pe)                                       # members share the pinned focus
        block(np.r_[np.arange(m), np.arange(m)], np.r_[pe, z0 + pj * C + ti[pe]],
              np.r_[np.ones(m), -weight[eu[pe]]], np.full(m, -np.inf), np.zeros(m))
        block(np.repeat(np.arange(P), C), z0 + np.arange(P * C), np.ones(P * C),
              np.ones(P), np.ones(P))
        block(pj, pe, np.ones(m), np.full(P, float(min_size)), np.full(P, float(max_size)))
    A = coo_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                   shape=(r0, len(cost))).tocsr()
    # a zero gap: HiGHS's default relative gap (1e-4) may stop one step ahead short of
    # the optimum once the weighted objective runs into the thousands
    res = milp(cost, constraints=LinearConstraint(A, np.concatenate(lo_c), np.concatenate(hi_c)),
               integrality=np.ones(len(cost)), bounds=Bounds(np.zeros(len(cost)), hi_b),
               options={"mip_rel_gap": 0.0})
    if res.status != 0 or res.x is None:
        return None
    sol = np.round(res.x).astype(np.int64)
    return (sol[:E], (eu, eg, et, ea),
            {int(t): int(c) for t, c in zip(cand, sol[y0:y0 + C])})


def solve(steps: list[list[int]], k_range: tuple[int, int], min_size: int, max_size: int,
          pins: dict[int, int] | None = None, window: int = READY_STEPS):
    """Exact, by integer programming: a focus per group and a group per student.

    ``steps[i]``: student i's next steps as continuum ranks, in order; every list should
    end with the same rank (the shared extension step) so a grouping always exists.
    ``k_range``: the fewest and most groups allowed. ``pins``: student index -> group
    number. The objective, in order of priority:

    1. the fewest steps beyond the readiness window (a member whose focus is their 4th
       next step counts 1, their 5th 2, ...: 0 means everyone is ready for their focus);
    2. the fewest groups;
    3. the fewest steps ahead in total.

    Students with the same next steps are solved as one unit (a count per focus), and the
    program is first solved with every focus inside the readiness window: when that is
    feasible its optimum is the optimum (priority 1 is then 0), otherwise the window is
    widened to every next step. Returns (pinned group or None per student, focus rank per
    student, steps ahead per student, free groups per focus rank) or None when the bounds
    cannot be met.
    """
    n = len(steps)
    pins = pins or {}
    if k_range[1] < len(set(pins.values())) or n == 0:
        return None
    units = _units(steps, pins)
    got = None
    if any(len(r) > window for r in steps):
        got = _milp(steps, units, k_range, min_size, max_size, pins, window, window)
    if got is None:
        got = _milp(steps, units, k_range, min_size, max_size, pins, window, None)
    if got is None:
        return None
    x, (eu, eg, et, ea), counts = got
    focus = np.zeros(n, dtype=np.int64)
    ahead = np.zeros(n, dtype=np.int64)
    where: list = [None] * n
    left = [list(m) for m in units]            # members not yet given a focus, in order
    for j in np.flatnonzero(x):
        mem = left[eu[j]]
        for i in mem[:x[j]]:
            focus[i], ahead[i] = et[j], ea[j]
            where[i] = None if eg[j] < 0 else int(eg[j])
        del mem[:x[j]]
    return where, focus, ahead, counts


def place(steps: list[list[int]], order_key: list, k_range: tuple[int, int], min_size: int,
          max_size: int, pins: dict[int, int] | None = None, window: int = READY_STEPS):
    """Group numbers from :func:`solve`: free groups sharing a focus are split evenly in
    ``order_key`` order and take the numbers the pins leave, along the continuum.
    Returns (group, focus, steps ahead) arrays, or None when the bounds cannot be met."""
    got = solve(steps, k_range, min_size, max_size, pins, window)
    if got is None:
        return None
    where, focus, ahead, counts = got
    n = len(steps)
    group = np.zeros(n, dtype=np.int64)
    pinned_labels = set((pins or {}).values())
    free_labels = (g for g in range(1, n + len(pinned_labels) + 1) if g not in pinned_labels)
    for i in range(n):
        if where[i] is not None:
            group[i] = where[i]
    for t in sorted(counts):
        c = counts[t]
        if not c:
            continue
        members = sorted((i for i in range(n) if where[i] is None and focus[i] == t),
                         key=lambda i: order_key[i])
        m = len(members)
        at = 0
        for j in range(c):
            size = m // c + (1 if j < m % c else 0)
            label = next(free_labels)
            for i in members[at:at + size]:
                group[i] = label
            at += size
    return group, focus, ahead


def group_range(n: int, min_size: int, max_size: int, pinned_max: int = 0) -> tuple[int, int]:
    """Fewest and most groups for n students (at least as many as the highest pin)."""
    return max(math.ceil(n / max_size), pinned_max, 1), max(n // min_size, pinned_max, 1)
