"""Agreement between two groupings: the adjusted Rand index, in NumPy."""
from __future__ import annotations

import numpy as np
import pandas as pd


def _codes(labels, name: str) -> np.ndarray:
    arr = labels.to_numpy() if isinstance(labels, (pd.Series, pd.Index)) else np.asarray(labels)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional; got shape {arr.shape}")
    if len(arr) and pd.isna(arr).any():
        raise ValueError(f"{name} holds missing labels at positions "
                         f"{np.flatnonzero(pd.isna(arr))[:5].tolist()}; expected a label per student")
    return pd.factorize(arr, sort=False)[0] if len(arr) else np.zeros(0, dtype=np.int64)


def adjusted_rand_index(labels_a, labels_b) -> float:
    """Adjusted Rand index between two labelings of the same students (same order).

    1.0 for identical groupings (up to renaming), about 0 for chance agreement, negative
    when worse than chance. Matches ``sklearn.metrics.adjusted_rand_score``, including its
    convention that two labelings with no pair disagreements score 1.0.
    """
    a = _codes(labels_a, "labels_a")
    b = _codes(labels_b, "labels_b")
    if len(a) != len(b):
        raise ValueError(f"labels_a and labels_b must label the same students: got "
                         f"{len(a)} and {len(b)} labels")
    n = len(a)
    if n == 0:
        return 1.0
    nb = int(b.max()) + 1
    cont = np.bincount(a * nb + b).astype(np.int64)
    sum_sq = int((cont * cont).sum())
    row = np.bincount(a).astype(np.int64)
    col = np.bincount(b).astype(np.int64)
    return _ari_from_sums(n, sum_sq, int((row * row).sum()), int((col * col).sum()))


def _ari_from_sums(n: int, sum_sq: int, row_sq: int, col_sq: int) -> float:
    """ARI from n, sum n_ij^2, sum a_i^2, sum b_j^2 (sklearn's pair-confusion form)."""
    tp = sum_sq - n
    fp = row_sq - sum_sq          # pairs together in a, apart in b (x1, halved below)
    fn = col_sq - sum_sq
    tn = n * n - fp - fn - sum_sq
    if fn == 0 and fp == 0:
        return 1.0
    return 2.0 * (tp * tn - fn * fp) / ((tp + fn) * (fn + tn) + (tp + fp) * (fp + tn))


def ari_table(n, sum_sq, row_sq, col_sq) -> np.ndarray:
    """Vectorised ARI for many pairs of groupings at once (float64 arithmetic)."""
    n = np.asarray(n, dtype=np.float64)
    sum_sq = np.asarray(sum_sq, dtype=np.float64)
    row_sq = np.asarray(row_sq, dtype=np.float64)
    col_sq = np.asarray(col_sq, dtype=np.float64)
    tp = sum_sq - n
    fp = row_sq - sum_sq
    fn = col_sq - sum_sq
    tn = n * n - fp - fn - sum_sq
    den = (tp + fn) * (fn + tn) + (tp + fp) * (fp + tn)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = 2.0 * (tp * tn - fn * fp) / den
    return np.where((fp == 0) & (fn == 0), 1.0, out)
