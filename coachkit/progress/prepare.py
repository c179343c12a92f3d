"""Check an evidence table at the door and put it in pair order, once, for every method.

Every mastery method works on the same arrangement: rows sorted by (student, target) pair,
then by date, then by input order for same-day rows. The sort is one ``np.sort`` of a
packed 64-bit key ``pair | date rank | row number``, so a 10-million-row table sorts in
a fraction of a second, and each pair is a contiguous run ``starts[p] : starts[p] + counts[p]``
that ``np.ufunc.reduceat`` and cumulative sums work on without a Python loop.

At that size the cost is less the sort than the passes over full-size arrays around it,
each an 80 MB allocation with its page faults: the key is built a block of rows at a
time, dates are ranked by whole days with arithmetic (hashing only when a date has a
time of day), rows keep a small-integer date rank and build their int64 dates only when
a method asks for ``date``, and per-row positions come from a cumulative sum over a 1-
or 2-byte array. ``tests/test_progress.py`` checks every shortcut against the general
path (``np.lexsort``, hashed date ranks) bit for bit.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from .. import checks, policy
from ..errors import CoachkitDataError
from ..schema import EVIDENCE_KINDS, SCALE_MAX, SCALE_MIN

REQUIRED = ("student_id", "target_id", "date", "score")
SHOW_ROWS = 5


@dataclass
class Pairs:
    """Evidence arranged by pair. Row arrays are in sorted order; pair arrays have one
    entry per (student, target) pair that has counted evidence."""

    score: np.ndarray            # float64, rows
    date_rank: np.ndarray        # small int, rows: index into date_values
    date_values: np.ndarray      # int64 nanoseconds: the distinct dates, ascending
    starts: np.ndarray           # int64, pairs: first row of each pair
    counts: np.ndarray           # int64, pairs: rows in each pair (>= 1)
    target: np.ndarray           # int64, pairs: target code
    mastery_line: float = 3.0
    scale: tuple = (SCALE_MIN, SCALE_MAX)
    n_targets: int = 0
    target_labels: pd.Index | None = None   # target_id of each target code
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def n_pairs(self) -> int:
        return len(self.starts)

    @cached_property
    def date(self) -> np.ndarray:
        """Date of each row, int64 nanoseconds (built on first use: most methods only
        need the per-pair dates below)."""
        return self.date_values[self.date_rank]

    def dates_of(self, rows: np.ndarray) -> np.ndarray:
        """Dates (int64 ns) of some rows, without building ``date`` for every row."""
        return self.date_values[self.date_rank[rows]]

    @cached_property
    def last_date(self) -> np.ndarray:
        """Date of the most recent score of each pair (int64 ns)."""
        return self.dates_of(self.last) if self.n_pairs else np.zeros(0, np.int64)

    @cached_property
    def pair(self) -> np.ndarray:
        """Pair index of each row."""
        return np.repeat(np.arange(self.n_pairs), self.counts)

    @cached_property
    def pos(self) -> np.ndarray:
        """Position of each row inside its pair, 0 = earliest."""
        return self.pos_small.astype(np.int64)

    @cached_property
    def from_end(self) -> np.ndarray:
        """How many rows come after this one in its pair, 0 = most recent."""
        return self.from_end_small.astype(np.int64)

    @cached_property
    def pos_small(self) -> np.ndarray:
        """``pos`` in the smallest integer dtype that holds it (a running count that
        restarts at each pair: one cumulative sum over a 1- or 2-byte array)."""
        return self._run_count(self.starts, self.counts, reverse=False)

    @cached_property
    def from_end_small(self) -> np.ndarray:
        """``from_end`` in the smallest integer dtype that holds it."""
        return self._run_count(self.last, self.counts, reverse=True)

    def _run_count(self, first, counts, reverse):
        n = len(self.score)
        dt = small_int_dtype(int(counts.max()) if len(counts) else 0)
        step = np.ones(n, dtype=dt)
        if reverse:                  # walking back from the end, each pair starts at its last row
            step[first[:-1]] = 1 - counts[1:]
        else:
            step[first[1:]] = 1 - counts[:-1]
        out = np.empty(n, dtype=dt)
        if reverse:
            np.cumsum(step[::-1], dtype=dt, out=out[::-1])
        else:
            np.cumsum(step, dtype=dt, out=out)
        out -= 1
        return out

    @cached_property
    def last(self) -> np.ndarray:
        """Row index of the most recent score of each pair."""
        return self.starts + self.counts - 1

    def sum(self, values: np.ndarray) -> np.ndarray:
        """Per-pair sum of a row array."""
        return np.add.reduceat(values, self.starts) if len(values) else np.zeros(0)


@dataclass
class Prepared:
    """All evidence pairs (the output rows) and the counted evidence in pair order."""

    pairs: Pairs                 # counted evidence only
    student_codes: np.ndarray    # all pairs (output rows)
    target_codes: np.ndarray
    students: pd.Index           # categories, in output order
    targets: pd.Index
    counted: np.ndarray          # int64 index into all pairs for each counted pair


def check_evidence(evidence, *, kinds=None, scale=(SCALE_MIN, SCALE_MAX)) -> None:
    """Raise CoachkitDataError / ValueError naming what was expected and what was found."""
    need = list(REQUIRED) + (["kind"] if kinds is not None else [])
    checks.frame(evidence, "evidence", need)
    s = evidence["score"]
    if not (pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)):
        raise CoachkitDataError(
            f"evidence: column 'score': expected numbers (a score {scale[0]:g}-{scale[1]:g}), "
            f"got dtype {s.dtype}. Load the table with coachkit.load_table('evidence', ...) "
            "or convert with pd.to_numeric", table="evidence", column="score",
            found=str(s.dtype), expected="float")
    d = evidence["date"]
    if not pd.api.types.is_datetime64_any_dtype(d):
        raise CoachkitDataError(
            f"evidence: column 'date': expected dates (datetime64), got dtype {d.dtype}. "
            "Convert with pd.to_datetime", table="evidence", column="date",
            found=str(d.dtype), expected="datetime64[ns]")
    if isinstance(d.dtype, pd.DatetimeTZDtype):
        raise CoachkitDataError(
            f"evidence: column 'date': expected timezone-naive dates, got {d.dtype}. "
            "Use .dt.tz_localize(None)", table="evidence", column="date",
            found=str(d.dtype), expected="datetime64[ns]")
    for col in ("student_id", "target_id", "date", "score"):
        _bad_rows(evidence, evidence[col].isna().to_numpy(), col, "an empty cell",
                  "a value in every row")
    if isinstance(s.dtype, np.dtype) and s.dtype.kind in "fiu":
        sv = s.to_numpy()                        # no float64 copy just to compare
    else:
        sv = s.to_numpy(dtype="float64", na_value=np.nan)
    # the minimum and maximum decide; the row mask is only built to name the bad rows
    if len(sv) and (float(sv.min()) < scale[0] or float(sv.max()) > scale[1]):
        sv = sv.astype(np.float64)
        _bad_rows(evidence, (sv < scale[0]) | (sv > scale[1]), "score",
                  "a score outside the scale", f"a score from {scale[0]:g} to {scale[1]:g}")


def _bad_rows(df, mask, column, what, expected) -> None:
    if not mask.any():
        return
    idx = np.flatnonzero(mask)
    rows = df.index[idx[:SHOW_ROWS]].tolist()
    vals = df[column].iloc[idx[:SHOW_ROWS]].tolist()
    more = f" (and {len(idx) - SHOW_ROWS} more)" if len(idx) > SHOW_ROWS else ""
    shown = ", ".join(f"row {r}: {v!r}" for r, v in zip(rows, vals))
    raise CoachkitDataError(
        f"evidence: column {column!r}: got {what} in {len(idx)} row(s): {shown}{more}; "
        f"expected {expected}", table="evidence", column=column, row=rows[0],
        found=vals[0], expected=expected)


class PolicyKinds:
    """The default of every ``kinds=`` argument: the kinds the district policy counts
    (``coachkit.policy``: summative, retake, observation) when the evidence has a kind
    column, all evidence when it has none. Pass ``kinds=None`` to count everything."""

    def __repr__(self):
        return "the policy's kinds"

    def __eq__(self, other):                    # survives pickling to a Dask worker
        return isinstance(other, PolicyKinds)

    __hash__ = object.__hash__


COUNTED = PolicyKinds()


def resolve_kinds(kinds, evidence):
    """``kinds`` with the policy default filled in for this evidence table."""
    if isinstance(kinds, PolicyKinds):
        has = isinstance(evidence, pd.DataFrame) and "kind" in evidence.columns
        return list(policy.DEFAULT.kinds) if has else None
    return kinds


def check_kinds(kinds) -> list[str] | None:
    if kinds is None:
        return None
    if isinstance(kinds, str):
        kinds = [kinds]
    kinds = list(kinds)
    unknown = [k for k in kinds if k not in EVIDENCE_KINDS]
    if unknown or not kinds:
        raise ValueError(f"kinds must be None (all evidence) or a list drawn from "
                         f"{', '.join(EVIDENCE_KINDS)}; got {kinds!r}")
    return kinds


def check_line(mastery_line, scale) -> float:
    try:
        lo, hi = (float(scale[0]), float(scale[1]))
    except Exception:
        raise ValueError(f"scale must be a pair (low, high); got {scale!r}") from None
    if not lo < hi:
        raise ValueError(f"scale must be (low, high) with low < high; got {scale!r}")
    if isinstance(mastery_line, bool) or not isinstance(mastery_line, (int, float, np.number)):
        raise ValueError(f"mastery_line must be a number on the scale {lo:g}-{hi:g}; "
                         f"got {mastery_line!r}")
    line = float(mastery_line)
    if not lo <= line <= hi:
        raise ValueError(f"mastery_line must be on the scale {lo:g}-{hi:g}; got {line:g}")
    return line


def codes_of(s: pd.Series, dtype=np.int64) -> tuple[np.ndarray, pd.Index]:
    """Integer codes and their labels; categories keep their order, other ids are sorted.
    ``dtype=None`` keeps the codes' own (small) integer type, without a copy."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        codes, labels = s.cat.codes.to_numpy(), pd.Index(s.cat.categories)
    else:
        codes, uniques = pd.factorize(s, sort=True)
        labels = pd.Index(uniques)
    return (codes if dtype is None else codes.astype(dtype, copy=False)), labels


def small_int_dtype(n: int):
    """The smallest signed integer dtype that holds 0 .. 2n (ranks 0 .. n - 1, and room
    for ``rank + n`` as a "not this row" marker, see ``methods.nth_hit_date``)."""
    for dt in (np.int8, np.int16, np.int32):
        if 2 * n <= np.iinfo(dt).max:
            return np.dtype(dt)
    return np.dtype(np.int64)


def _bits(v: int) -> int:
    return max(int(v).bit_length(), 1)


DAY = 86_400 * 10**9                 # nanoseconds
CHUNK = 1 << 20                      # rows per block when building row arrays


def date_ranks(date_ns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Rank of each row's date among the distinct dates (0 = earliest), in the smallest
    integer dtype that holds it, and the distinct dates (int64 ns) in ascending order."""
    codes, uniq = pd.factorize(date_ns)
    asc = np.argsort(uniq)
    dt = small_int_dtype(len(uniq))
    rank = np.empty(len(uniq), dtype=dt)
    rank[asc] = np.arange(len(uniq), dtype=dt)
    return rank[codes], uniq[asc]


def _day_rank(date_ns: np.ndarray, lo: int):
    """Rank by whole days after ``lo``, a block at a time; None for a block where some
    date is not a whole number of days after ``lo`` (a time of day)."""
    def rank(i, j):
        x = date_ns[i:j] - lo
        q = x // DAY
        if not np.array_equal(q * DAY, x):
            return None
        return q
    return rank


#: Widest packed sort key. The tests set it to 0 to run the general (lexsort) path.
KEY_BITS = 63


def pair_order(scode: np.ndarray, tcode: np.ndarray, n_targets: int, date_ns: np.ndarray):
    """Row order by pair (key ``student code * n_targets + target code``), then date, then
    input order. Returns (order, pair key of each sorted row, date rank of each sorted row,
    date of each rank as int64 ns).

    Date ranks are whole days from the earliest date when every date is a whole number of
    days from it (dates without a time of day, the usual case: plain arithmetic), else
    ranks among the distinct dates (a hash pass). Fast path: one ``ndarray.sort`` of a
    packed 64-bit key ``pair | date rank | row`` (row numbers are distinct, so the sort is
    stable by construction); the order, the pair key and the date rank are then unpacked
    from the sorted key with shifts and masks, without a random-access gather. The key is
    built a block of rows at a time and the arrays are updated in place: at 10 million
    rows every full-size temporary (an 80 MB allocation, page faults included) is a
    visible share of the time. General path (keys wider than ``KEY_BITS``): ``np.lexsort``,
    stable."""
    n = len(scode)
    if n == 0:
        z = np.zeros(0, dtype=np.int64)
        return z, z, np.zeros(0, np.int8), z
    lo, hi = int(date_ns.min()), int(date_ns.max())
    out = None
    if (hi - lo) % DAY == 0 and (hi - lo) // DAY < 1 << 15:
        days = (hi - lo) // DAY + 1
        out = _order(scode, tcode, n_targets, _day_rank(date_ns, lo), days)
        values = lo + np.arange(days, dtype=np.int64) * DAY
    if out is None:
        drank, values = date_ranks(date_ns)
        out = _order(scode, tcode, n_targets, lambda i, j: drank[i:j], len(values))
    return (*out, values)


def _order(scode, tcode, n_targets, rank, n_dates):
    """``pair_order`` for one way of ranking dates (None when ``rank`` gives up)."""
    n = len(scode)
    row_bits, date_bits = _bits(n - 1), _bits(n_dates - 1)
    pair_bits = _bits(int(scode.max()) * n_targets + int(tcode.max()))
    dt = small_int_dtype(n_dates)
    if row_bits + date_bits + pair_bits > KEY_BITS:
        key, drank = np.empty(n, np.int64), np.empty(n, dt)
        for i in range(0, n, CHUNK):
            j = min(i + CHUNK, n)
            r = rank(i, j)
            if r is None:
                return None
            np.multiply(scode[i:j], n_targets, out=key[i:j], dtype=np.int64)
            key[i:j] += tcode[i:j]
            drank[i:j] = r
        order = np.lexsort((drank, key))         # stable: input order breaks ties
        return order, key[order], drank[order]
    key = np.empty(n, np.int64)
    for i in range(0, n, CHUNK):
        j = min(i + CHUNK, n)
        r = rank(i, j)
        if r is None:
            return None
        k = key[i:j]
        np.multiply(scode[i:j], n_targets, out=k, dtype=np.int64)
        k += tcode[i:j]
        k <<= date_bits
        k += r
        k <<= row_bits
        k += np.arange(i, j, dtype=np.int64)
    key.sort()
    # row numbers fit 32 bits below 2^31 rows: half the memory of the order array
    order = np.empty(n, np.int32 if row_bits <= 31 else np.int64)
    np.bitwise_and(key, (1 << row_bits) - 1, out=order, casting="unsafe")
    key >>= row_bits
    drank_sorted = np.empty(n, dtype=dt)
    np.bitwise_and(key, (1 << date_bits) - 1, out=drank_sorted, casting="unsafe")
    key >>= date_bits
    return order, key, drank_sorted


def _run_starts(key: np.ndarray) -> np.ndarray:
    """First index of each run of equal values in a sorted array (int64)."""
    if not len(key):
        return np.zeros(0, np.int64)
    brk = np.flatnonzero(key[1:] != key[:-1])
    starts = np.empty(len(brk) + 1, np.int64)
    starts[0] = 0
    np.add(brk, 1, out=starts[1:])
    return starts


def prepare(evidence, *, mastery_line=3.0, kinds=None, scale=(SCALE_MIN, SCALE_MAX),
            checked=False) -> Prepared:
    """Check the evidence and arrange it by pair (see module docstring)."""
    line = check_line(mastery_line, scale)
    kinds = check_kinds(resolve_kinds(kinds, evidence))
    if not checked:
        check_evidence(evidence, kinds=kinds, scale=scale)
    scode, students = codes_of(evidence["student_id"], dtype=None)
    tcode, targets = codes_of(evidence["target_id"], dtype=None)
    nt = max(len(targets), 1)
    date_ns = evidence["date"].to_numpy(dtype="datetime64[ns]").view(np.int64)
    order, key_sorted, drank_sorted, date_values = pair_order(scode, tcode, nt, date_ns)
    del scode, tcode
    all_starts = _run_starts(key_sorted)
    pair_keys = key_sorted[all_starts]
    del key_sorted
    if kinds is not None:
        kind = evidence["kind"]
        if isinstance(kind.dtype, pd.CategoricalDtype):   # a lookup by category code
            lut = np.append(np.asarray(kind.cat.categories.isin(kinds), dtype=bool), False)
            keep = lut[kind.cat.codes.to_numpy()[order]]  # code -1 (empty): not counted
        else:
            keep = np.asarray(kind.isin(kinds).to_numpy(), dtype=bool)[order]
        # counted rows per pair: a sum over the pairs' runs, not a second key array
        kept = (np.add.reduceat(keep.view(np.int8), all_starts, dtype=np.int64)
                if len(keep) else np.zeros(0, np.int64))
        order, drank_sorted = order[keep], drank_sorted[keep]
        del keep
        counted = np.flatnonzero(kept).astype(np.int64)
        counts = kept[counted]
        starts = np.zeros(len(counts), np.int64)
        np.cumsum(counts[:-1], out=starts[1:])
    else:
        starts = all_starts
        counted = np.arange(len(all_starts), dtype=np.int64)
        counts = np.empty(len(starts), np.int64)
        np.subtract(starts[1:], starts[:-1], out=counts[:-1])
        counts[-1:] = len(order) - starts[-1:]
    sc = evidence["score"]
    src = sc.to_numpy(dtype=np.float32 if sc.dtype == np.float32 else np.float64)
    score = np.empty(len(order), np.float64)
    for i in range(0, len(order), CHUNK):    # gathering float32 touches half the memory
        score[i:i + CHUNK] = src.take(order[i:i + CHUNK])
    del order, src
    pairs = Pairs(score=score, date_rank=drank_sorted, date_values=date_values, starts=starts,
                  counts=counts, target=pair_keys[counted] % nt, mastery_line=line,
                  scale=(float(scale[0]), float(scale[1])), n_targets=len(targets),
                  target_labels=targets)
    return Prepared(pairs=pairs, student_codes=pair_keys // nt, target_codes=pair_keys % nt,
                    students=students, targets=targets, counted=counted)
