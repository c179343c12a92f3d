"""The audit: prove that no suppressed cell of a published count table can be recovered.

For every suppressed cell two linear programs (``scipy.optimize.linprog``, HiGHS) find the
least and greatest value it can take, given the shown cells, the published row and column
totals and cells >= 0. A cell is exposed when that interval is a single point or narrower
than the protection level.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import linprog

TOLERANCE = 1e-7


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
    return f"exactly {lo:g}" if abs(hi - lo) < TOLERANCE * 10 else f"between {lo:g} and {hi:g}"


# ---------------------------------------------------------------------------- totals

def margins(table: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """(row totals, column totals) of a full count table: what gets published."""
    t = count_table(table)
    return t.sum(axis=1), t.sum(axis=0)


def count_table(table: pd.DataFrame) -> pd.DataFrame:
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
    report = audit_arrays(vals, rtot, ctot, protection, np.maximum(lo_known, 0.0), hi_known)
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


def audit_arrays(vals, rtot, ctot, protection, lo_known, hi_known) -> pd.DataFrame:
    """low/high/width/ok for every NaN cell of ``vals``; (i, j) positions."""
    miss = np.isnan(vals)
    nr, nc = vals.shape
    shown_r = np.where(miss, 0, vals).sum(axis=1)
    shown_c = np.where(miss, 0, vals).sum(axis=0)
    rrest, crest = rtot - shown_r, ctot - shown_c
    for what, rest, m, labels in (("row", rrest, miss.sum(axis=1), range(nr)),
                                  ("column", crest, miss.sum(axis=0), range(nc))):
        bad = (rest < -TOLERANCE) | ((m == 0) & (np.abs(rest) > TOLERANCE))
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
    ok = (width > TOLERANCE) & (width >= protection - TOLERANCE)
    return pd.DataFrame({"i": pos[:, 0], "j": pos[:, 1], "low": low, "high": high,
                         "width": width, "ok": ok})
