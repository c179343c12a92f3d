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
   at least two. Lines are fixed one at a time, rows first; the cell added is the one
   whose crossing line also has a single suppressed cell (fixing two lines at once),
   else one whose crossing line already has two or more, else any; the smallest count
   first, ties to the first position.
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
import numpy as np
import pandas as pd

from .auditing import TOLERANCE, AuditReport, DisclosureError, audit_arrays, count_table
from .minimum import DEFAULT_MIN_N

SHOWN, PRIMARY, RANGE, COMPLEMENTARY = "shown", "primary", "range", "complementary"
PCT_LOW, PCT_HIGH = 5.0, 95.0


# -------------------------------------------------------------------------- suppress

def _protection(min_n: int, protection) -> float:
    return float(max(1, math.ceil(min_n / 2)) if protection is None else protection)


def suppression_status(table: pd.DataFrame, *, min_n: int = DEFAULT_MIN_N, protection=None,
                       pct_ranges: bool = True, pct_low: float = PCT_LOW,
                       pct_high: float = PCT_HIGH, zeros: bool = True) -> pd.DataFrame:
    """Why each cell is shown or not: a table like ``table`` holding "shown", "primary"
    (fewer than min_n, or zero), "range" (share of its row total <= pct_low % or
    >= pct_high %, shown only as a range) or "complementary" (hidden so the others can't
    be recovered). See the module docstring for the rules; raises DisclosureError when
    the table can't be protected."""
    status, _ = _plan(table, min_n, protection, pct_ranges, pct_low, pct_high, zeros)
    return status


def suppress(table: pd.DataFrame, *, min_n: int = DEFAULT_MIN_N, protection=None,
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
    counts = count_table(table)
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
    upper[rng & low_share] = np.floor(pct_low / 100 * rtot[rng & low_share] + TOLERANCE)
    lower[rng & ~low_share] = np.ceil(pct_high / 100 * rtot[rng & ~low_share] - TOLERANCE)
    return lower, upper


def _plan(table, min_n, protection, pct_ranges, pct_low, pct_high, zeros):
    if min_n < 1:
        raise ValueError(f"min_n must be at least 1; got {min_n}")
    counts_df = count_table(table)
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
        near = (share <= pct_low + TOLERANCE) | (share >= pct_high - TOLERANCE)
        kind[near & ~primary] = RANGE
    lower, upper = _range_bounds(counts, kind, pct_low, pct_high)

    def line_rule():
        # Every row/column with a suppressed cell gets at least two. One line at a time
        # (rows first, in order): the complement is the cell whose crossing line already
        # has exactly one suppressed cell (it fixes two lines), else one whose crossing
        # line has two or more (it breaks nothing), else any; smallest count first.
        while True:
            hidden = kind != SHOWN
            per_row, per_col = hidden.sum(axis=1), hidden.sum(axis=0)
            rows, cols = np.flatnonzero(per_row == 1), np.flatnonzero(per_col == 1)
            rank = {1: 0, 0: 2}
            cand = []
            for i in rows:
                cand = [(rank.get(per_col[j], 1), counts[i, j], j, (i, j))
                        for j in range(nc) if not hidden[i, j]]
                if cand:
                    break
            if not cand:
                for j in cols:
                    cand = [(rank.get(per_row[i], 1), counts[i, j], i, (i, j))
                            for i in range(nr) if not hidden[i, j]]
                    if cand:
                        break
            if not cand:        # only one-cell lines left: nothing to pair; audit decides
                return
            kind[min(cand)[3]] = COMPLEMENTARY

    while True:
        line_rule()
        vals = np.where(kind == SHOWN, counts, np.nan)
        res = audit_arrays(vals, rtot, ctot, prot, np.nan_to_num(lower, nan=0.0),
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
    if ranges and v <= low + TOLERANCE:
        return f"≤{low:g}%"
    if ranges and v >= high - TOLERANCE:
        return f"≥{high:g}%"
    return f"{v:.{decimals}f}%"


def percent_table(table: pd.DataFrame, *, min_n: int = DEFAULT_MIN_N, protection=None,
                  pct_ranges: bool = True, pct_low: float = PCT_LOW,
                  pct_high: float = PCT_HIGH, zeros: bool = True, decimals: int = 0,
                  marker: str = "*") -> pd.DataFrame:
    """Row percentages of a count table, ready to publish (strings).

    Applies :func:`suppress` with the same arguments: shown cells as "42%", cells near
    0 or 100 % as "≤5%" / "≥95%", every other suppressed cell as ``marker`` ("*").
    """
    status, _ = _plan(table, min_n, protection, pct_ranges, pct_low, pct_high, zeros)
    counts = count_table(table)
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
