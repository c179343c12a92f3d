"""Small-cell suppression for published count tables, and the audit that proves it.

A count table goes in (rows x columns, no totals, e.g. grade x stage); the same shape
comes out with the disclosive cells missing. The row and column totals of the *full*
table are understood to be published next to it, so suppression has to hold up against
anyone who subtracts.

Rules (all configurable, defaults in brackets):

1. **Primary suppression**: every cell with fewer than ``min_n`` students [10], zero
   cells included (a zero says "none of this group", which discloses as much as a 1).
2. **Percentages near 0 or 100** (``pct_ranges=True``): a cell whose share of its row
   total is at most ``pct_low`` % [5] or at least ``pct_high`` % [95] is hidden as a count
   and shown only as a range ("≤5%", "≥95%") by :func:`percent_table`.
3. **Complementary suppression**: every row and column that has a suppressed cell gets
   at least two (the smallest other cell is added, ties to the first position).
4. **Audit**: for every suppressed cell, two linear programs find the least and greatest
   value consistent with the shown cells, the published totals and cells >= 0 (plus the
   ranges of rule 2). While any interval is narrower than ``protection``
   [⌈min_n / 2⌉, so 5 for min_n 10], the smallest shown cell in that cell's row or column
   is suppressed too, and the audit runs again.

Rows or columns whose own total is below ``min_n`` are refused (``DisclosureError``):
their published total already shows a small group, and no suppression inside can fix it.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import linprog

SHOWN, PRIMARY, RANGE, COMPLEMENTARY = "shown", "primary", "range", "complementary"
DEFAULT_MIN_N = 10
PCT_LOW, PCT_HIGH = 5.0, 95.0
_EPS = 1e-7


class DisclosureError(ValueError):
    """A table can't be published safely; ``report`` (an AuditReport) says which cells."""

    def __init__(self, message: str, report: "AuditReport | None" = None):
        super().__init__(message)
        self.report = report


@dataclass(frozen=True)
class AuditReport:
    """The outcome of :func:`audit`.

    ``cells`` has one row per suppressed cell: ``row``, ``column`` (the labels), ``low``
    and ``high`` (the least and greatest value consistent with everything published),
    ``width`` (high - low) and ``ok`` (width >= protection and not a single point).
    ``ok`` is True when every suppressed cell is protected.
    """
    ok: bool
    cells: pd.DataFrame
    protection: float

    @property
    def failures(self) -> pd.DataFrame:
        return self.cells[~self.cells["ok"]]

    def raise_if_failed(self) -> "AuditReport":
        """Raise DisclosureError naming the exposed cells; return self when all hold."""
        if self.ok:
            return self
        bad = self.failures
        shown = "; ".join(
            f"({r!r}, {c!r}) is {_interval(lo, hi)}"
            for r, c, lo, hi in bad[["row", "column", "low", "high"]].head(5).itertuples(index=False))
        more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
        raise DisclosureError(
            f"{len(bad)} suppressed cell(s) can be narrowed down from the published totals "
            f"to an interval narrower than {self.protection:g}: {shown}{more}. "
            f"Suppress more cells (coachkit.privacy.suppress does this).", self)

    def __repr__(self) -> str:
        return (f"AuditReport(ok={self.ok}, suppressed={len(self.cells)}, "
                f"exposed={int((~self.cells['ok']).sum())}, protection={self.protection:g})")


def _interval(lo, hi) -> str:
    return f"exactly {lo:g}" if abs(hi - lo) < _EPS * 10 else f"between {lo:g} and {hi:g}"


# ---------------------------------------------------------------------------- totals

def margins(table: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """(row totals, column totals) of a full count table: what gets published."""
    t = _counts(table)
    return t.sum(axis=1), t.sum(axis=0)


def _counts(table: pd.DataFrame) -> pd.DataFrame:
    """Check a count table at the door: numeric, whole, non-negative, no missing cells."""
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"expected a count table (DataFrame); got {type(table).__name__}")
    out = table.apply(pd.to_numeric, errors="coerce").astype("float64")
    bad = out.isna() | (out < 0) | (out != np.round(out))
    if bad.to_numpy().any():
        r, c = np.argwhere(bad.to_numpy())[0]
        raise ValueError(
            f"count table cell ({table.index[r]!r}, {table.columns[c]!r}) holds "
            f"{table.iat[r, c]!r}; expected a whole number of students >= 0 "
            f"(pass the full table with no totals and no missing cells)")
    return out


def _totals(shown: pd.DataFrame, totals) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(totals, pd.DataFrame):
        if totals.shape != shown.shape:
            raise ValueError(f"totals table has shape {totals.shape}; the shown table has "
                             f"{shown.shape}")
        r, c = margins(totals)
    elif isinstance(totals, dict):
        r, c = totals["rows"], totals["columns"]
    else:
        r, c = totals
    r = _align(r, shown.index)
    c = _align(c, shown.columns)
    if len(r) != shown.shape[0] or len(c) != shown.shape[1]:
        raise ValueError(f"{len(r)} row totals and {len(c)} column totals given for a "
                         f"{shown.shape[0]} x {shown.shape[1]} table")
    if abs(r.sum() - c.sum()) > 1e-6:
        raise ValueError(f"row totals sum to {r.sum():g} but column totals to {c.sum():g}")
    return r, c


def _align(t, labels) -> np.ndarray:
    """Totals as an array in the order of ``labels`` (by label when a Series has them all)."""
    if isinstance(t, pd.Series) and len(t) == len(labels) and set(labels) <= set(t.index):
        return t.reindex(labels).to_numpy(dtype=float)
    return np.asarray(t, dtype=float).ravel()


# ----------------------------------------------------------------------------- audit

def audit(shown: pd.DataFrame, totals, *, protection: float = 1, lower=None, upper=None,
          strict: bool = False) -> AuditReport:
    """Prove that no suppressed (missing) cell of ``shown`` can be recovered.

    ``totals`` is what is published beside the table: the full count table (its margins
    are taken), a ``(row_totals, column_totals)`` pair, or ``{"rows": ..., "columns": ...}``.
    For every missing cell two linear programs (``scipy.optimize.linprog``, HiGHS) find
    the least and greatest value it can take given the shown cells, the totals, cells
    >= 0 and the optional known bounds ``lower``/``upper`` (DataFrames like ``shown``,
    NaN for none; e.g. the ranges a percentage display reveals). The constraint matrix is
    a transportation matrix, so with whole totals the bounds are whole numbers too.

    A cell fails when its interval is a single point or narrower than ``protection``.
    Returns an :class:`AuditReport` (``report.ok``); ``strict=True`` raises
    :class:`DisclosureError` instead of returning a failing report.
    """
    if not isinstance(shown, pd.DataFrame):
        raise TypeError(f"expected the shown table as a DataFrame; got {type(shown).__name__}")
    vals = shown.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    rtot, ctot = _totals(shown, totals)
    lo_known = _bounds(lower, shown, 0.0)
    hi_known = _bounds(upper, shown, np.inf)
    report = _audit_arrays(vals, rtot, ctot, protection, np.maximum(lo_known, 0.0), hi_known)
    cells = report.assign(row=shown.index[report["i"]], column=shown.columns[report["j"]])
    cells = cells[["row", "column", "low", "high", "width", "ok"]].reset_index(drop=True)
    out = AuditReport(ok=bool(cells["ok"].all()), cells=cells, protection=float(protection))
    return out.raise_if_failed() if strict else out


def _bounds(b, shown, default) -> np.ndarray:
    if b is None:
        return np.full(shown.shape, default)
    arr = (b.reindex(index=shown.index, columns=shown.columns) if isinstance(b, pd.DataFrame)
           else pd.DataFrame(b)).to_numpy(dtype=float)
    return np.where(np.isnan(arr), default, arr)


def _audit_arrays(vals, rtot, ctot, protection, lo_known, hi_known) -> pd.DataFrame:
    """low/high/width/ok for every NaN cell of ``vals``; (i, j) positions."""
    miss = np.isnan(vals)
    nr, nc = vals.shape
    shown_r = np.where(miss, 0, vals).sum(axis=1)
    shown_c = np.where(miss, 0, vals).sum(axis=0)
    rrest, crest = rtot - shown_r, ctot - shown_c
    for what, rest, m, labels in (("row", rrest, miss.sum(axis=1), range(nr)),
                                  ("column", crest, miss.sum(axis=0), range(nc))):
        bad = (rest < -_EPS) | ((m == 0) & (np.abs(rest) > _EPS))
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            raise ValueError(f"shown cells of {what} {k} sum to more than (or, with nothing "
                             f"suppressed, differ from) its published total; the totals "
                             f"must be those of the full table")
    pos = np.argwhere(miss)
    if not len(pos):
        return pd.DataFrame({"i": np.array([], int), "j": np.array([], int), "low": [],
                             "high": [], "width": [], "ok": np.array([], bool)})
    # Connected components of suppressed cells (linked through shared rows and columns)
    # are independent linear programs: solve each on its own.
    parent = list(range(nr + nc))

    def find(a):
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a
    for i, j in pos:
        a, b = find(i), find(nr + j)
        if a != b:
            parent[a] = b
    comp = np.array([find(i) for i, _ in pos])
    low = np.empty(len(pos))
    high = np.empty(len(pos))
    for c in np.unique(comp):
        k = np.flatnonzero(comp == c)
        cells = pos[k]
        rows = np.unique(cells[:, 0])
        cols = np.unique(cells[:, 1])
        A = np.zeros((len(rows) + len(cols), len(k)))
        ri = {r: n for n, r in enumerate(rows)}
        ci = {cc: n + len(rows) for n, cc in enumerate(cols)}
        for v, (i, j) in enumerate(cells):
            A[ri[i], v] = 1
            A[ci[j], v] = 1
        b = np.concatenate([rrest[rows], crest[cols]])
        bounds = [(lo_known[i, j], None if np.isinf(hi_known[i, j]) else hi_known[i, j])
                  for i, j in cells]
        for v in range(len(k)):
            cvec = np.zeros(len(k))
            cvec[v] = 1
            res_lo = linprog(cvec, A_eq=A, b_eq=b, bounds=bounds, method="highs")
            res_hi = linprog(-cvec, A_eq=A, b_eq=b, bounds=bounds, method="highs")
            if res_lo.status != 0 or res_hi.status != 0:
                raise ValueError("the shown cells and the totals are inconsistent (no table "
                                 "of counts >= 0 fits them): " + (res_lo.message or ""))
            low[k[v]] = res_lo.fun
            high[k[v]] = -res_hi.fun
    low = np.round(low, 6) + 0.0
    high = np.round(high, 6) + 0.0
    width = high - low
    ok = (width > _EPS) & (width >= protection - _EPS)
    return pd.DataFrame({"i": pos[:, 0], "j": pos[:, 1], "low": low, "high": high,
                         "width": width, "ok": ok})


# -------------------------------------------------------------------------- suppress

def _protection(min_n: int, protection) -> float:
    return float(max(1, math.ceil(min_n / 2)) if protection is None else protection)


def suppression_status(table: pd.DataFrame, min_n: int = DEFAULT_MIN_N, *, protection=None,
                       pct_ranges: bool = True, pct_low: float = PCT_LOW,
                       pct_high: float = PCT_HIGH, zeros: bool = True) -> pd.DataFrame:
    """Why each cell is shown or not: a table like ``table`` holding "shown", "primary"
    (fewer than min_n, or zero), "range" (share of its row total <= pct_low % or
    >= pct_high %, shown only as a range) or "complementary" (hidden so the others can't
    be recovered). See the module docstring for the rules; raises DisclosureError when
    the table can't be protected."""
    status, _ = _plan(table, min_n, protection, pct_ranges, pct_low, pct_high, zeros)
    return status


def suppress(table: pd.DataFrame, min_n: int = DEFAULT_MIN_N, *, protection=None,
             pct_ranges: bool = True, pct_low: float = PCT_LOW, pct_high: float = PCT_HIGH,
             zeros: bool = True) -> pd.DataFrame:
    """The count table with every disclosive cell missing (``Int64``, ``<NA>``).

    - ``min_n`` [10]: cells with fewer students are suppressed; ``zeros=True`` counts zero
      cells as disclosive too.
    - ``pct_ranges`` [True]: cells at most ``pct_low`` % or at least ``pct_high`` % of their
      row total are hidden as counts (:func:`percent_table` shows them as ranges).
    - ``protection`` [⌈min_n/2⌉]: the least width of the interval an intruder can narrow
      any suppressed cell to, using the published row and column totals of ``table``.

    Complementary cells are added (smallest first, deterministic) until :func:`audit`
    passes. Raises DisclosureError when no suppression pattern can pass, which happens
    when a row or column total is itself below ``min_n``: drop or merge that row or
    column (or report it without a total) first.
    """
    status, _ = _plan(table, min_n, protection, pct_ranges, pct_low, pct_high, zeros)
    counts = _counts(table)
    out = counts.where(status == SHOWN).round().astype("Int64")
    out.attrs = {"suppression": {"min_n": min_n, "protection": _protection(min_n, protection),
                                 "pct_ranges": pct_ranges}}
    return out


def _range_bounds(counts: np.ndarray, kind: np.ndarray, pct_low, pct_high):
    """Bounds an intruder learns from "≤5%"/"≥95%" range labels (row percentages)."""
    rtot = counts.sum(axis=1, keepdims=True) * np.ones_like(counts)
    low_share = counts * 100 <= pct_low * rtot
    lower = np.full(counts.shape, np.nan)
    upper = np.full(counts.shape, np.nan)
    rng = kind == RANGE
    upper[rng & low_share] = np.floor(pct_low / 100 * rtot[rng & low_share] + _EPS)
    lower[rng & ~low_share] = np.ceil(pct_high / 100 * rtot[rng & ~low_share] - _EPS)
    return lower, upper


def _plan(table, min_n, protection, pct_ranges, pct_low, pct_high, zeros):
    if min_n < 1:
        raise ValueError(f"min_n must be at least 1; got {min_n}")
    counts_df = _counts(table)
    counts = counts_df.to_numpy()
    prot = _protection(min_n, protection)
    nr, nc = counts.shape
    kind = np.full(counts.shape, SHOWN, dtype=object)
    if counts.size == 0:
        return pd.DataFrame(kind, index=table.index, columns=table.columns), None
    rtot, ctot = counts.sum(axis=1), counts.sum(axis=0)
    small = [f"row {table.index[i]!r} (total {rtot[i]:g})" for i in np.flatnonzero(rtot < min_n)]
    small += [f"column {table.columns[j]!r} (total {ctot[j]:g})"
              for j in np.flatnonzero(ctot < min_n)]
    if small:
        raise DisclosureError(
            f"published totals below min_n={min_n}: {', '.join(small)}. A total this small "
            f"shows a group of fewer than {min_n} students whatever is suppressed inside; "
            f"drop or merge these rows/columns before suppressing.")

    primary = counts < min_n
    if not zeros:
        primary &= counts > 0
    kind[primary] = PRIMARY
    if pct_ranges:
        share = counts * 100 / rtot[:, None]
        near = (share <= pct_low + _EPS) | (share >= pct_high - _EPS)
        kind[near & ~primary] = RANGE
    lower, upper = _range_bounds(counts, kind, pct_low, pct_high)

    def line_rule():
        # every row/column with a suppressed cell gets at least two
        changed = True
        while changed:
            changed = False
            for axis in (0, 1):
                hidden = kind != SHOWN
                n_line = hidden.sum(axis=1 - axis)
                for line in np.flatnonzero(n_line == 1):
                    cells = [(line, j) for j in range(nc)] if axis == 0 else \
                        [(i, line) for i in range(nr)]
                    cand = [(counts[p], p) for p in cells if kind[p] == SHOWN]
                    if cand:
                        kind[min(cand)[1]] = COMPLEMENTARY
                        changed = True

    while True:
        line_rule()
        vals = np.where(kind == SHOWN, counts, np.nan)
        res = _audit_arrays(vals, rtot, ctot, prot, np.nan_to_num(lower, nan=0.0),
                            np.where(np.isnan(upper), np.inf, upper))
        bad = res[~res["ok"]]
        if not len(bad):
            break
        added = False
        for i, j in bad[["i", "j"]].itertuples(index=False):
            cand = [(counts[i, c], (i, c)) for c in range(nc) if kind[i, c] == SHOWN]
            cand += [(counts[r, j], (r, j)) for r in range(nr) if kind[r, j] == SHOWN]
            if not cand:
                cand = [(counts[p], p) for p in zip(*np.nonzero(kind == SHOWN))]
            if cand:
                kind[min(cand)[1]] = COMPLEMENTARY
                added = True
        if not added:
            report = AuditReport(False, res.assign(
                row=table.index[res["i"]], column=table.columns[res["j"]])[
                ["row", "column", "low", "high", "width", "ok"]].reset_index(drop=True), prot)
            raise DisclosureError(
                f"even with every cell suppressed, {len(bad)} cell(s) can be narrowed to an "
                f"interval narrower than protection={prot:g} from the published totals; "
                f"lower protection or merge rows/columns", report)
    status = pd.DataFrame(kind, index=table.index, columns=table.columns)
    return status, res


# ------------------------------------------------------------------------ percentages

def format_percent(value, *, low: float = PCT_LOW, high: float = PCT_HIGH,
                   decimals: int = 0, ranges: bool = True) -> str:
    """A percentage as a display string, near 0 and 100 only as a range.

    ``format_percent(3.2) == "≤5%"``, ``format_percent(97) == "≥95%"``,
    ``format_percent(42.4) == "42%"``; missing -> "".
    """
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    v = float(value)
    if ranges and v <= low + _EPS:
        return f"≤{low:g}%"
    if ranges and v >= high - _EPS:
        return f"≥{high:g}%"
    return f"{v:.{decimals}f}%"


def percent_table(table: pd.DataFrame, min_n: int = DEFAULT_MIN_N, *, protection=None,
                  pct_ranges: bool = True, pct_low: float = PCT_LOW,
                  pct_high: float = PCT_HIGH, zeros: bool = True, decimals: int = 0,
                  marker: str = "*") -> pd.DataFrame:
    """Row percentages of a count table, ready to publish (strings).

    Applies :func:`suppress` with the same arguments: shown cells as "42%", cells near
    0 or 100 % as "≤5%" / "≥95%", every other suppressed cell as ``marker`` ("*").
    """
    status, _ = _plan(table, min_n, protection, pct_ranges, pct_low, pct_high, zeros)
    counts = _counts(table)
    share = counts.div(counts.sum(axis=1), axis=0) * 100
    out = pd.DataFrame("", index=table.index, columns=table.columns, dtype="str")
    for i in range(counts.shape[0]):
        for j in range(counts.shape[1]):
            s = status.iat[i, j]
            if s == SHOWN:
                out.iat[i, j] = format_percent(share.iat[i, j], low=pct_low, high=pct_high,
                                               decimals=decimals, ranges=pct_ranges)
            elif s == RANGE:
                out.iat[i, j] = format_percent(share.iat[i, j], low=pct_low, high=pct_high)
            else:
                out.iat[i, j] = marker
    return out
