"""Exact one-dimensional k-means with group-size bounds, by dynamic programming.

Students sorted by their frontier position are cut into consecutive runs. For sorted
data the best partition under size bounds is always made of consecutive runs (if a
higher value sat in a group with a lower mean than a lower value, swapping the two would
lower the cost without changing any size), so a DP over cut points is exact over *all*
set partitions, not just contiguous ones. The tests check this against brute force.

Cost of a group: sum of squared deviations from its mean (SSD). Among partitions of equal
cost (within ``TOL``), the DP prefers the most even sizes (smallest sum of squared sizes),
then the one whose last group is smallest. Everything here works on NumPy arrays; the
DataFrame side lives in :mod:`coachkit.grouping.groups`.
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

TOL = 1e-9


def group_count(n: int, n_groups: int | None, min_size: int, max_size: int,
                where: str = "") -> int:
    """The number of groups to form, or a ValueError saying why the bounds cannot be met."""
    at = f" in {where}" if where else ""
    if n == 0:
        return 0
    k = math.ceil(n / max_size) if n_groups is None else int(n_groups)
    if k * min_size > n or k * max_size < n:
        asked = ("the fewest groups that respect max_size" if n_groups is None
                 else f"n_groups={n_groups}")
        raise ValueError(
            f"cannot split {n} student{'s' if n != 1 else ''}{at} into {k} group{'s' if k != 1 else ''}"
            f" of {min_size} to {max_size} ({asked}): {k} group{'s' if k != 1 else ''} hold"
            f"{'s' if k == 1 else ''} between {k * min_size} and {k * max_size} students. "
            f"Lower min_size, raise max_size or change n_groups.")
    return k


def ssd(values) -> float:
    """Sum of squared deviations from the mean."""
    v = np.asarray(values, dtype=float)
    return float(((v - v.mean()) ** 2).sum()) if len(v) else 0.0


def partition_sorted(x: np.ndarray, k: int, min_size: int, max_size: int) -> np.ndarray:
    """Sizes of the ``k`` consecutive groups of sorted ``x`` with the least total SSD.

    ``x`` must be sorted ascending and ``k * min_size <= len(x) <= k * max_size``.
    O(k · n · (max_size - min_size + 1)) NumPy work.
    """
    return partition_sorted_batch(np.asarray(x, dtype=float)[None, :], k, min_size, max_size)[0]


def partition_sorted_batch(X: np.ndarray, k: int, min_size: int, max_size: int) -> np.ndarray:
    """:func:`partition_sorted` for many classrooms of the same size at once.

    ``X``: (classrooms, n) array, each row sorted ascending. Returns (classrooms, k) sizes.
    """
    X = np.asarray(X, dtype=float)
    b, n = X.shape
    if k == 0:
        return np.zeros((b, 0), dtype=np.int64)
    xc = X - X.mean(axis=1, keepdims=True)    # centring keeps the prefix sums small
    zero = np.zeros((b, 1))
    s1 = np.concatenate((zero, np.cumsum(xc, axis=1)), axis=1)
    s2 = np.concatenate((zero, np.cumsum(xc * xc, axis=1)), axis=1)
    j = np.arange(n + 1)
    prev_d = np.full((b, n + 1), np.inf)
    prev_d[:, 0] = 0.0
    prev_b = np.zeros((b, n + 1))
    choice = np.zeros((k + 1, b, n + 1), dtype=np.int64)
    for g in range(1, k + 1):
        best_d = np.full((b, n + 1), np.inf)
        best_b = np.full((b, n + 1), np.inf)
        best_s = np.zeros((b, n + 1), dtype=np.int64)
        for s in range(min_size, max_size + 1):
            i = j - s
            ok = (i >= 0)[None, :]
            ii = np.where(i >= 0, i, 0)
            seg = s2[:, j] - s2[:, ii] - (s1[:, j] - s1[:, ii]) ** 2 / s
            cand = np.where(ok, prev_d[:, ii] + seg, np.inf)
            cand_b = np.where(ok, prev_b[:, ii] + float(s * s), np.inf)
            tol = np.where(np.isfinite(best_d), TOL * (1.0 + np.abs(best_d)), 0.0)
            better = ok & ((cand < best_d - tol)
                           | ((cand <= best_d + tol) & (cand_b < best_b)))
            best_d = np.where(better, cand, best_d)
            best_b = np.where(better, cand_b, best_b)
            best_s = np.where(better, s, best_s)
        prev_d, prev_b = best_d, best_b
        choice[g] = best_s
    if not np.isfinite(prev_d[:, n]).all():
        raise ValueError(f"no partition of {n} into {k} groups of {min_size}..{max_size}")
    out = np.empty((b, k), dtype=np.int64)
    at = np.full(b, n)
    rows = np.arange(b)
    for g in range(k, 0, -1):
        out[:, g - 1] = choice[g, rows, at]
        at = at - out[:, g - 1]
    return out


def labels_from_sizes(sizes: np.ndarray) -> np.ndarray:
    """Group numbers 1..k for consecutive runs of the given sizes."""
    return np.repeat(np.arange(1, len(sizes) + 1), sizes)


def partition_with_pins(x: np.ndarray, k: int, min_size: int, max_size: int,
                        pins: dict[int, np.ndarray]) -> np.ndarray:
    """Exact bounded 1-D k-means when some students are pinned to groups.

    ``x``: sorted positions of the *unpinned* students. ``pins``: group number (1..k) ->
    positions of the students pinned there. Returns a group number per unpinned student.

    Unpinned students still form consecutive runs, but the pinned groups may sit anywhere
    in the order, so the DP state is (students placed, set of pinned groups used, number of
    free groups used). Free groups take the group numbers not pinned, in continuum order.
    """
    x = np.asarray(x, dtype=float)
    n = len(x)
    labels_pinned = sorted(pins)
    p = len(labels_pinned)
    free_total = k - p
    if free_total < 0:
        raise ValueError(f"students are pinned to {p} different groups but only {k} groups")
    shift = float(np.concatenate([x] + [np.asarray(v, float) for v in pins.values()]).mean()) \
        if n + sum(len(v) for v in pins.values()) else 0.0
    xc = x - shift
    s1 = np.concatenate(([0.0], np.cumsum(xc)))
    s2 = np.concatenate(([0.0], np.cumsum(xc * xc)))
    pc = [len(pins[g]) for g in labels_pinned]
    ps = [float((np.asarray(pins[g], float) - shift).sum()) for g in labels_pinned]
    pq = [float(((np.asarray(pins[g], float) - shift) ** 2).sum()) for g in labels_pinned]
    for g, c in zip(labels_pinned, pc):
        if c > max_size:
            raise ValueError(f"{c} students are pinned to group {g}, more than max_size={max_size}")
    full = (1 << p) - 1

    def seg_cost(i, j, extra_c=0, extra_s=0.0, extra_q=0.0):
        c = (j - i) + extra_c
        if c == 0:
            return 0.0
        s = s1[j] - s1[i] + extra_s
        q = s2[j] - s2[i] + extra_q
        return max(q - s * s / c, 0.0)

    @lru_cache(maxsize=None)
    def best(j: int, mask: int, used: int):
        """(cost, balance, choice) for placing x[j:] into the groups not yet used."""
        if j == n and mask == full and used == free_total:
            return (0.0, 0.0, None)
        # capacity check: remaining students must fit in the remaining groups
        rest = n - j
        cap_hi = (free_total - used) * max_size
        cap_lo = (free_total - used) * min_size
        for t in range(p):
            if not mask >> t & 1:
                cap_hi += max_size - pc[t]
                cap_lo += max(min_size - pc[t], 0)
        if rest > cap_hi or rest < cap_lo:
            return (math.inf, math.inf, None)
        top = (math.inf, math.inf, None)

        def consider(cost, bal, ch):
            nonlocal top
            tol = TOL * (1.0 + abs(top[0])) if math.isfinite(top[0]) else 0.0
            if cost < top[0] - tol or (cost <= top[0] + tol and bal < top[1]):
                top = (cost, bal, ch)

        for t in range(p):
            if mask >> t & 1:
                continue
            lo = max(min_size - pc[t], 0)
            hi = min(max_size - pc[t], rest)
            for L in range(lo, hi + 1):
                sub = best(j + L, mask | (1 << t), used)
                if not math.isfinite(sub[0]):
                    continue
                c = seg_cost(j, j + L, pc[t], ps[t], pq[t])
                consider(c + sub[0], sub[1] + (L + pc[t]) ** 2, ("pin", t, L))
        if used < free_total:
            for L in range(min_size, min(max_size, rest) + 1):
                sub = best(j + L, mask, used + 1)
                if not math.isfinite(sub[0]):
                    continue
                consider(seg_cost(j, j + L) + sub[0], sub[1] + L * L, ("free", None, L))
        return top

    root = best(0, 0, 0)
    if not math.isfinite(root[0]):
        raise ValueError(
            f"cannot place {n} unpinned students around the pinned ones in {k} groups of "
            f"{min_size} to {max_size}; pinned counts per group: "
            f"{dict(zip(labels_pinned, pc))}")
    free_labels = [g for g in range(1, k + 1) if g not in pins]
    out = np.zeros(n, dtype=np.int64)
    j, mask, used = 0, 0, 0
    while True:
        ch = best(j, mask, used)[2]
        if ch is None:
            break
        kind, t, L = ch
        if kind == "pin":
            out[j:j + L] = labels_pinned[t]
            mask |= 1 << t
        else:
            out[j:j + L] = free_labels[used]
            used += 1
        j += L
    best.cache_clear()
    return out
