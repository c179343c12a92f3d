"""When a target was mastered: the day since which a pair has stayed at or above the line.

One definition for every method (docs/progress.md): let L(d) be the method's level on the
pair's evidence dated through day d, and M(d) = "L(d) is at or above the line" (or the
method's own rule: n qualifying scores, P(mastered) >= threshold). The pair is mastered
on its latest day D when M(D); its ``mastered_date`` is the first day d of the run that
ends at D: M(d') for every evidence day d' from d to D and not M of the evidence day
before d. The level only changes on days with evidence, so only those days are looked at.

Every method gets M on the evidence through each row ("running" flags); the flag of a
day is the flag of that day's last row. Built-in methods have vectorized running forms
(cumulative sums, segmented running maxima, a loop over positions that runs across all
pairs at once). A method without one is run on every prefix of every pair that ends on
a day: exact by construction, and quadratic in a pair's length, so register a running
form (``register_method(..., running=f)``) before using such a method on a district.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .methods import EPS, NAT, Method, run_method
from .prepare import Pairs

RUNNING = {}


def running_form(name: str):
    """Register the vectorized running form of built-in method ``name``: ``f(pairs,
    **params)`` returns per row the level (float) or the mastered flag (bool) on the
    pair's evidence up to and including that row."""
    def deco(func):
        RUNNING[name] = func
        return func
    return deco


def day_ends(p: Pairs) -> np.ndarray:
    """Per row: is it the last of its pair on its date (bool)."""
    n = len(p.score)
    end = np.ones(n, dtype=bool)
    if n > 1:
        np.not_equal(p.date_rank[1:], p.date_rank[:-1], out=end[:-1])
    end[p.last] = True
    return end


def since_dates(p: Pairs, flags: np.ndarray, mastered: np.ndarray,
                rows: np.ndarray | None = None) -> np.ndarray:
    """Per pair, the first day of the final run of mastered days (int64 ns; NaT when
    not mastered). ``flags``: the mastered flag of every row (only day-end rows are
    read), or of the day-end rows ``rows`` only. The flag of each pair's last day is the
    method's own final answer, so the date and ``mastered`` always agree."""
    if not p.n_pairs:
        return np.zeros(0, np.int64)
    mastered = np.asarray(mastered, dtype=bool)
    if rows is None:
        bad = day_ends(p)
        bad &= ~np.asarray(flags, dtype=bool)
    else:
        bad = np.zeros(len(p.score), dtype=bool)
        bad[rows] = ~np.asarray(flags, dtype=bool)
    bad[p.last] = ~mastered
    # the last day-end row below the line in each pair; the run starts on the row after
    # it (the first row of the next evidence day), or at the pair's first row
    below = np.flatnonzero(bad)
    j = np.searchsorted(below, p.last, side="right") - 1
    lb = below[np.maximum(j, 0)] if len(below) else np.full(p.n_pairs, -1)
    has = (j >= 0) & (lb >= p.starts)
    start = np.where(has, lb + 1, p.starts)
    start = np.minimum(start, p.last)
    return np.where(mastered, p.dates_of(start), NAT)


def prefix_pairs(p: Pairs, ends: np.ndarray) -> Pairs:
    """A Pairs whose pairs are the prefixes of p's pairs ending at the rows ``ends``."""
    owner = np.searchsorted(p.starts, ends, side="right") - 1
    start = p.starts[owner]
    length = ends - start + 1
    cstart = np.zeros(len(length), np.int64)
    np.cumsum(length[:-1], out=cstart[1:])
    src = np.repeat(start - cstart, length) + np.arange(int(length.sum()), dtype=np.int64)
    return Pairs(score=p.score[src], date_rank=p.date_rank[src], date_values=p.date_values,
                 starts=cstart, counts=length.astype(np.int64), target=p.target[owner],
                 mastery_line=p.mastery_line, scale=p.scale, n_targets=p.n_targets,
                 target_labels=p.target_labels)


def _flags_of(res: dict, line: float) -> np.ndarray:
    if res.get("mastered") is not None:
        return np.asarray(res["mastered"], dtype=bool)
    return np.asarray(res["mastery"], dtype=float) >= line - EPS


def mastered_since(m: Method, p: Pairs, params: dict, res: dict) -> np.ndarray:
    """The ``mastered_date`` of every pair for method ``m`` whose final answer is
    ``res`` (see the module docstring)."""
    mastered = _flags_of(res, p.mastery_line)
    if not p.n_pairs:
        return np.zeros(0, np.int64)
    if "running" in res:                          # the method tracked it itself
        return since_dates(p, res["running"], mastered)
    run = m.running or (RUNNING.get(m.name) if m.builtin else None)
    out = run(p, **params) if run is not None else None
    if out is not None:
        out = np.asarray(out)
        if out.dtype != bool:
            out = out >= p.mastery_line - EPS
        return since_dates(p, out, mastered)
    ends = np.flatnonzero(day_ends(p))
    sub = run_method(m, prefix_pairs(p, ends), params)
    return since_dates(p, _flags_of(sub, p.mastery_line), mastered, rows=ends)


# ------------------------------------------------------------ running forms of built-ins

def within(p: Pairs, cum: np.ndarray, values: np.ndarray) -> np.ndarray:
    """A global cumulative sum made to restart at each pair (cum - sum before the pair)."""
    before = (cum - values)[p.starts]
    return cum - np.repeat(before, p.counts)


@running_form("most_recent")
def most_recent(p: Pairs):
    return p.score


@running_form("highest")
def highest(p: Pairs):
    hit = (p.score >= p.mastery_line - EPS).astype(np.int64)
    return within(p, np.cumsum(hit), hit) > 0


@running_form("mean")
def mean(p: Pairs):
    return within(p, np.cumsum(p.score), p.score) / (p.pos + 1.0)


@running_form("weighted_average")
def weighted_average(p: Pairs, weight: float = 0.65):
    w = float(weight)
    earlier = within(p, np.cumsum(p.score), p.score) - p.score
    pos = p.pos
    with np.errstate(invalid="ignore", divide="ignore"):
        lvl = w * p.score + (1 - w) * earlier / np.maximum(pos, 1)
    return np.where(pos > 0, lvl, p.score)


def scan_positions(p: Pairs):
    """(t, rows at position t of every pair that long) for t = 0, 1, …: a recurrence
    then runs across all pairs at once, one numpy step per position."""
    longest = int(p.counts.max())
    neg = -p.counts.astype(np.int16 if longest < 1 << 15 else np.int64)   # radix-sortable
    order = np.argsort(neg, kind="stable")
    starts = p.starts[order]
    active = np.searchsorted(neg[order], -np.arange(longest), side="left")
    for t, k in enumerate(active):
        yield t, starts[:k] + t


@running_form("decaying_average")
def decaying_average(p: Pairs, weight: float = 0.65):
    w = float(weight)
    lvl = np.empty(len(p.score))
    for t, rows in scan_positions(p):
        lvl[rows] = p.score[rows] if t == 0 else w * p.score[rows] + (1 - w) * lvl[rows - 1]
    return lvl


@running_form("mode")
def mode(p: Pairs):
    # key of a row = (how often its score occurs in the pair so far, its position); the
    # running maximum of the key is the latest row of the most frequent score so far
    codes, _ = pd.factorize(np.ascontiguousarray(p.score).view(np.int64))
    nv = int(codes.max()) + 1
    k = int(p.counts.max()) + 1
    if int(p.n_pairs).bit_length() + 2 * k.bit_length() > 62:
        return None                               # too wide to pack: run on prefixes
    # running count of each row's score in its pair: sort by (pair, score), stable
    comb = p.pair * nv + codes
    order = np.argsort(comb, kind="stable")
    cs = comb[order]
    brk = np.r_[True, cs[1:] != cs[:-1]]
    runstart = np.maximum.accumulate(np.where(brk, np.arange(len(cs)), 0))
    count = np.empty(len(codes), np.int64)
    count[order] = np.arange(len(cs)) - runstart + 1
    key = p.pair * (k * k) + count * k + p.pos
    best = np.maximum.accumulate(key) % k
    return p.score[p.starts[p.pair] + best]

