"""Grouping when needs are not on one line: clustering the not-yet-mastered profile.

When a classroom works on several units at once, one frontier position per student hides
most of what the teacher needs. ``flexible_groups(..., method="profile")`` then describes
each student by a 0/1 vector over the targets in scope (1 = not yet mastered: no mastery
row, or ``mastered`` false) and minimises the within-group sum of squared distances to the
group mean (for 0/1 data: the number of member pairs that disagree on a target, divided by
the group size) under the same size bounds.

The algorithm (deterministic, a documented heuristic — this problem is NP-hard in general):

1. three starting partitions, each the *exact* size-bounded 1-D partition (the frontier
   DP) of one ordering of the students: by frontier position, by number of targets not yet
   mastered, and by the first principal component of the profile;
2. from each, size-bounded Lloyd iterations: recompute group means, then reassign every
   student at once by a linear assignment onto ``max_size`` seats per group, the first
   ``min_size`` seats of each carrying a bonus so that every group is filled to its minimum
   (pinned students only get seats in their group) — until no student moves (≤ 50 rounds);
3. keep the partition with the lowest cost (ties: the earlier start).

Scope: the subject's targets in the grades of the students' frontier targets, restricted
to ``units`` when given.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from .. import checks
from .partition import partition_sorted, partition_with_pins, labels_from_sizes

MAX_ROUNDS = 50


def profile_matrix(f: pd.DataFrame, mastery: pd.DataFrame, targets: pd.DataFrame,
                   units=None) -> np.ndarray:
    """Rows aligned with ``f`` (checked frontier), columns = in-scope targets by sequence."""
    checks.frame(mastery, "mastery", ["student_id", "target_id", "mastered"])
    checks.frame(targets, "targets", ["target_id", "subject", "grade", "sequence", "unit"])
    subjects = pd.unique(f["subject"])
    grades = targets.loc[targets["target_id"].isin(f["target_id"]), "grade"].unique()
    scope = targets[targets["subject"].isin(subjects) & targets["grade"].isin(grades)]
    if units is not None:
        units = [units] if isinstance(units, str) else list(units)
        missing = sorted(set(units) - set(scope["unit"]))
        if missing:
            raise ValueError(f"units {missing} are not in the targets for this subject and "
                             f"grade; available: {sorted(map(str, scope['unit'].unique()))}")
        scope = scope[scope["unit"].isin(units)]
    scope = scope.sort_values(["sequence", "target_id"], kind="mergesort")
    cols = pd.Index(scope["target_id"].unique())
    if len(cols) == 0:
        raise ValueError("no targets in scope for the profile (check subject, grade and units)")
    rows = pd.Index(f["student_id"])
    m = mastery[mastery["mastered"].fillna(False).astype(bool)]
    m = m[m["student_id"].isin(rows) & m["target_id"].isin(cols)]
    out = np.ones((len(rows), len(cols)))
    out[rows.get_indexer(m["student_id"]), cols.get_indexer(m["target_id"])] = 0.0
    return out


def _one_d(values: np.ndarray, k: int, lo: int, hi: int, pg) -> np.ndarray:
    """Exact bounded 1-D partition of arbitrary values (ties by row order); labels 1..k."""
    order = np.lexsort((np.arange(len(values)), values))
    v = values[order]
    lab = np.empty(len(values), dtype=np.int64)
    if pg is None or np.isnan(pg).all():
        lab[order] = labels_from_sizes(partition_sorted(v, k, lo, hi))
        return lab
    p = pg[order]
    free = np.isnan(p)
    pins = {int(g): v[p == g] for g in np.unique(p[~free])}
    lab_sorted = np.empty(len(v), dtype=np.int64)
    lab_sorted[~free] = p[~free].astype(np.int64)
    lab_sorted[free] = partition_with_pins(v[free], k, lo, hi, pins)
    lab[order] = lab_sorted
    return lab


def _cost(M: np.ndarray, lab: np.ndarray, k: int) -> float:
    total = 0.0
    for g in range(1, k + 1):
        rows = M[lab == g]
        if len(rows):
            total += float(((rows - rows.mean(axis=0)) ** 2).sum())
    return total


def _lloyd(M, lab, k, lo, hi, pg):
    n, m = M.shape
    bonus = 4.0 * (m + 1) * (n + 1)
    forbid = bonus * (n + 1)
    seat_group = np.repeat(np.arange(1, k + 1), hi)
    seat_bonus = np.tile(np.arange(hi) < lo, k) * bonus
    pinned = None if pg is None else ~np.isnan(pg)
    for _ in range(MAX_ROUNDS):
        centers = np.stack([M[lab == g].mean(axis=0) for g in range(1, k + 1)])
        d = ((M[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2)      # n x k
        cost = d[:, seat_group - 1] - seat_bonus[None, :]
        if pinned is not None and pinned.any():
            wrong = pinned[:, None] & (pg[:, None] != seat_group[None, :])
            cost = cost + wrong * forbid
        r, c = linear_sum_assignment(cost)
        new = np.empty(n, dtype=np.int64)
        new[r] = seat_group[c]
        if np.array_equal(new, lab):
            break
        if _cost(M, new, k) > _cost(M, lab, k) - 1e-12:
            break
        lab = new
    return lab


def profile_partition(seq: np.ndarray, M: np.ndarray, k: int, lo: int, hi: int,
                      pg=None) -> np.ndarray:
    """Labels 1..k for rows of ``M`` (rows in frontier order). Pinned labels are kept; the
    other groups are numbered by mean frontier position."""
    n = len(seq)
    if k == 0:
        return np.zeros(0, dtype=np.int64)
    centred = M - M.mean(axis=0)
    starts = [seq.astype(float), M.sum(axis=1)]
    if n > 1 and centred.any():
        u, s, vt = np.linalg.svd(centred, full_matrices=False)
        pc = centred @ vt[0]
        counts = M.sum(axis=1)
        if np.std(pc) > 0 and np.std(counts) > 0 and np.corrcoef(pc, counts)[0, 1] < 0:
            pc = -pc                          # fix the sign: more needs -> higher score
        starts.append(np.round(pc, 9))
    best, best_cost = None, np.inf
    for values in starts:
        lab = _lloyd(M, _one_d(values, k, lo, hi, pg), k, lo, hi, pg)
        c = _cost(M, lab, k)
        if c < best_cost - 1e-9:
            best, best_cost = lab, c
    # number the free groups along the continuum
    pinned_labels = set() if pg is None else {int(g) for g in pg[~np.isnan(pg)]}
    free = [g for g in range(1, k + 1) if g not in pinned_labels]
    order = sorted(free, key=lambda g: (seq[best == g].mean(), M[best == g].sum(1).mean(),
                                        int(np.flatnonzero(best == g)[0])))
    remap = {g: free[i] for i, g in enumerate(order)}
    return np.array([remap.get(int(g), int(g)) for g in best], dtype=np.int64)
