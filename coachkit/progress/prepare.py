"""Check an evidence table at the door and put it in pair order, once, for every method.

Every mastery method works on the same arrangement: rows sorted by (student, target) pair,
then by date, then by input order for same-day rows. The sort is one ``np.sort`` of a
packed 64-bit key ``pair | date rank | row number``, so a 10-million-row table sorts in
a fraction of a second, and each pair is a contiguous run ``starts[p] : starts[p] + counts[p]``
that ``np.ufunc.reduceat`` and cumulative sums work on without a Python loop.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import pandas as pd

from ..errors import CoachkitDataError
from ..schema import EVIDENCE_KINDS, SCALE_MAX, SCALE_MIN

REQUIRED = ("student_id", "target_id", "date", "score")
SHOW_ROWS = 5


@dataclass
class Pairs:
    """Evidence arranged by pair. Row arrays are in sorted order; pair arrays have one
    entry per (student, target) pair that has counted evidence."""

    score: np.ndarray            # float64, rows
    date: np.ndarray             # int64 nanoseconds, rows
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
    def pair(self) -> np.ndarray:
        """Pair index of each row."""
        return np.repeat(np.arange(self.n_pairs), self.counts)

    @cached_property
    def pos(self) -> np.ndarray:
        """Position of each row inside its pair, 0 = earliest."""
        return np.arange(len(self.score)) - np.repeat(self.starts, self.counts)

    @cached_property
    def from_end(self) -> np.ndarray:
        """How many rows come after this one in its pair, 0 = most recent."""
        return np.repeat(self.counts - 1, self.counts) - self.pos

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
    if not isinstance(evidence, pd.DataFrame):
        raise CoachkitDataError(
            f"evidence must be a pandas DataFrame with columns {', '.join(REQUIRED)}; "
            f"received {type(evidence).__name__}", table="evidence",
            found=type(evidence).__name__, expected="DataFrame")
    need = list(REQUIRED) + (["kind"] if kinds is not None else [])
    missing = [c for c in need if c not in evidence.columns]
    if missing:
        raise CoachkitDataError(
            f"evidence is missing column(s) {', '.join(map(repr, missing))}; expected "
            f"{', '.join(need)}; found {', '.join(map(str, evidence.columns)) or 'no columns'}",
            table="evidence", column=missing[0], found=list(evidence.columns), expected=need)
    s = evidence["score"]
    if not (pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)):
        raise CoachkitDataError(
            f"evidence column 'score' must be numeric (a score {scale[0]:g}-{scale[1]:g}); "
            f"found dtype {s.dtype}. Load the table with coachkit.load_table('evidence', ...) "
            "or convert with pd.to_numeric", table="evidence", column="score",
            found=str(s.dtype), expected="float")
    d = evidence["date"]
    if not pd.api.types.is_datetime64_any_dtype(d):
        raise CoachkitDataError(
            f"evidence column 'date' must hold dates (datetime64); found dtype {d.dtype}. "
            "Convert with pd.to_datetime", table="evidence", column="date",
            found=str(d.dtype), expected="datetime64[ns]")
    if isinstance(d.dtype, pd.DatetimeTZDtype):
        raise CoachkitDataError(
            "evidence column 'date' must be timezone-naive; found " f"{d.dtype}. "
            "Use .dt.tz_localize(None)", table="evidence", column="date",
            found=str(d.dtype), expected="datetime64[ns]")
    for col in ("student_id", "target_id", "date", "score"):
        _bad_rows(evidence, evidence[col].isna().to_numpy(), col, "an empty cell",
                  "a value in every row")
    sv = s.to_numpy(dtype="float64", na_value=np.nan)
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
        f"evidence column {column!r} has {what} in {len(idx)} row(s): {shown}{more}; "
        f"expected {expected}", table="evidence", column=column, row=rows[0],
        found=vals[0], expected=expected)


def check_kinds(kinds) -> list[str] | None:
    if kinds is None:
        return None
    if isinstance(kinds, str):
        kinds = [kinds]
    kinds = list(kinds)
    unknown = [k for k in kinds if k not in EVIDENCE_KINDS]
    if unknown or not kinds:
        raise ValueError(f"kinds must be None (all evidence) or a list drawn from "
                         f"{', '.join(EVIDENCE_KINDS)}; received {kinds!r}")
    return kinds


def check_line(mastery_line, scale) -> float:
    try:
        lo, hi = (float(scale[0]), float(scale[1]))
    except Exception:
        raise ValueError(f"scale must be a pair (low, high); received {scale!r}") from None
    if not lo < hi:
        raise ValueError(f"scale must be (low, high) with low < high; received {scale!r}")
    if isinstance(mastery_line, bool) or not isinstance(mastery_line, (int, float, np.number)):
        raise ValueError(f"mastery_line must be a number on the scale {lo:g}-{hi:g}; "
                         f"received {mastery_line!r}")
    line = float(mastery_line)
    if not lo <= line <= hi:
        raise ValueError(f"mastery_line must be on the scale {lo:g}-{hi:g}; received {line:g}")
    return line


def codes_of(s: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer codes and their labels; categories keep their order, other ids are sorted."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        return s.cat.codes.to_numpy().astype(np.int64), pd.Index(s.cat.categories)
    codes, uniques = pd.factorize(s, sort=True)
    return codes.astype(np.int64), pd.Index(uniques)


def pair_order(pair_key: np.ndarray, date_ns: np.ndarray):
    """Row order by pair, then date, then input order (stable). Returns (order, pair key
    of each sorted row, date of each sorted row); the last two come out of the packed key,
    without a random-access gather."""
    n = len(pair_key)
    if n == 0:
        z = np.zeros(0, dtype=np.int64)
        return z, z, z
    dcodes, duniq = pd.factorize(date_ns)
    dsorted = np.sort(duniq)
    drank = np.empty(len(duniq), dtype=np.int64)
    drank[np.argsort(duniq)] = np.arange(len(duniq))
    drank = drank[dcodes]
    row_bits = max(int(n - 1).bit_length(), 1)
    date_bits = max(int(len(duniq) - 1).bit_length(), 1)
    pair_bits = max(int(pair_key.max()).bit_length(), 1)
    if row_bits + date_bits + pair_bits <= 63:
        key = pair_key << (date_bits + row_bits)
        key |= drank << row_bits
        key |= np.arange(n)
        key.sort()
        order = key & ((1 << row_bits) - 1)
        key >>= row_bits
        dates = dsorted[key & ((1 << date_bits) - 1)]
        key >>= date_bits
        return order, key, dates
    order = np.lexsort((drank, pair_key))     # stable: input order breaks ties
    return order, pair_key[order], date_ns[order]


def prepare(evidence, *, mastery_line=3.0, kinds=None, scale=(SCALE_MIN, SCALE_MAX),
            checked=False) -> Prepared:
    """Check the evidence and arrange it by pair (see module docstring)."""
    line = check_line(mastery_line, scale)
    kinds = check_kinds(kinds)
    if not checked:
        check_evidence(evidence, kinds=kinds, scale=scale)
    scode, students = codes_of(evidence["student_id"])
    tcode, targets = codes_of(evidence["target_id"])
    nt = max(len(targets), 1)
    pair_key = scode * nt + tcode
    date_ns = evidence["date"].to_numpy(dtype="datetime64[ns]").view(np.int64)
    order, key_sorted, date_sorted = pair_order(pair_key, date_ns)
    del pair_key
    n = len(order)
    brk = np.flatnonzero(key_sorted[1:] != key_sorted[:-1]) + 1 if n else np.zeros(0, np.int64)
    all_starts = np.concatenate([[0], brk]).astype(np.int64) if n else np.zeros(0, np.int64)
    pair_keys = key_sorted[all_starts]
    if kinds is not None:
        kind = evidence["kind"]
        keep = np.asarray(kind.isin(kinds).to_numpy(), dtype=bool)[order]
        all_pair_of_row = np.repeat(np.arange(len(all_starts)),
                                    np.diff(np.append(all_starts, n)))
        order, date_sorted = order[keep], date_sorted[keep]
        kept_pair = all_pair_of_row[keep]
        if len(kept_pair):
            b = np.flatnonzero(kept_pair[1:] != kept_pair[:-1]) + 1
            starts = np.concatenate([[0], b]).astype(np.int64)
            counted = kept_pair[starts]
        else:
            starts = counted = np.zeros(0, np.int64)
    else:
        starts = all_starts
        counted = np.arange(len(all_starts), dtype=np.int64)
    counts = np.diff(np.append(starts, len(order))).astype(np.int64)
    sc = evidence["score"]
    score = sc.to_numpy(dtype=np.float32 if sc.dtype == np.float32 else np.float64)
    score = score[order].astype(np.float64)
    pairs = Pairs(score=score, date=date_sorted, starts=starts, counts=counts,
                  target=pair_keys[counted] % nt, mastery_line=line,
                  scale=(float(scale[0]), float(scale[1])), n_targets=len(targets),
                  target_labels=targets)
    return Prepared(pairs=pairs, student_codes=pair_keys // nt, target_codes=pair_keys % nt,
                    students=students, targets=targets, counted=counted)
