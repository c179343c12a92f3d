"""suppress / audit / percent_table: small cells can't be recovered from the totals."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coachkit.privacy import (DisclosureError, audit, format_percent, margins, percent_table,
                              suppress, suppression_status)


def table(rows, index=None, columns=None):
    rows = np.asarray(rows)
    return pd.DataFrame(rows, index=index or [f"g{i}" for i in range(rows.shape[0])],
                        columns=columns or [f"c{j}" for j in range(rows.shape[1])])


def naive(t, min_n=10):
    """Primary suppression only: what a careless report does."""
    return t.astype(float).where(t >= min_n)


def lines_ok(shown):
    hidden = shown.isna().to_numpy()
    for counts in (hidden.sum(axis=0), hidden.sum(axis=1)):
        assert not (counts == 1).any(), "a line with exactly one suppressed cell"


T = table([[20, 30, 4], [25, 35, 40], [30, 15, 50]], columns=["i-learn", "i-practice", "i-show"])


def test_single_suppressed_cell_is_recoverable_and_audit_catches_it():
    report = audit(naive(T), T)
    assert not report.ok
    bad = report.failures.iloc[0]
    assert (bad["row"], bad["column"], bad["low"], bad["high"]) == ("g0", "i-show", 4, 4)
    with pytest.raises(DisclosureError, match="exactly 4"):
        audit(naive(T), T, strict=True)


def test_suppress_protects_it():
    shown = suppress(T)
    assert shown.shape == T.shape and list(shown.columns) == list(T.columns)
    assert shown.isna().to_numpy().sum() == 4
    assert pd.isna(shown.loc["g0", "i-show"])
    lines_ok(shown)
    visible = shown.notna().to_numpy()
    assert (shown.astype(float).to_numpy()[visible] == T.to_numpy()[visible]).all()
    report = audit(shown, T, protection=5)
    assert report.ok, report.cells
    assert (report.cells["width"] >= 5).all()
    # the totals can be given as a pair of margins or a dict too
    r, c = margins(T)
    assert audit(shown, (r, c)).ok and audit(shown, {"rows": r, "columns": c}).ok


def test_zero_cells_are_disclosive():
    t = table([[0, 12, 40], [14, 11, 30], [20, 25, 35]])
    status = suppression_status(t, pct_ranges=False)
    assert status.iat[0, 0] == "primary"
    shown = suppress(t, pct_ranges=False)
    assert pd.isna(shown.iat[0, 0])
    assert audit(shown, t, protection=5).ok
    # zeros=False shows true zeros
    assert suppress(t, pct_ranges=False, zeros=False).iat[0, 0] == 0


def test_two_per_line_is_not_always_enough():
    # 1 and 2 share a row: the 2x2 pattern the line rule builds pins them to 0..3
    t = table([[1, 2, 50], [30, 40, 50]])
    two_by_two = t.astype(float)
    two_by_two.iloc[0, 0] = two_by_two.iloc[0, 1] = np.nan
    two_by_two.iloc[1, 0] = two_by_two.iloc[1, 1] = np.nan
    rep = audit(two_by_two, t, protection=5)
    assert not rep.ok and rep.cells["high"].iloc[0] == 3
    shown = suppress(t, pct_ranges=False)
    assert shown.isna().to_numpy().sum() > 4
    assert audit(shown, t, protection=5).ok
    # with protection 1 (only single points fail), the 2x2 pattern is enough
    assert suppress(t, pct_ranges=False, protection=1).isna().to_numpy().sum() == 4


def test_pinned_by_a_row_of_three():
    # line rule satisfied (two per line), yet a cell is pinned: rows share no columns
    t = table([[5, 6, 40, 30], [40, 30, 7, 8], [30, 30, 30, 30]])
    shown = t.astype(float)
    for i, j in [(0, 0), (0, 1), (1, 2), (1, 3)]:
        shown.iat[i, j] = np.nan
    assert not audit(shown, t).ok          # columns 0..3 have one hidden cell each -> pinned
    out = suppress(t)
    assert audit(out, t, protection=5).ok
    lines_ok(out)


def test_small_totals_refused():
    t = table([[3, 4, 1], [40, 30, 20]])
    with pytest.raises(DisclosureError, match="row 'g0' \\(total 8\\)"):
        suppress(t)


def test_inconsistent_totals_and_bad_input():
    with pytest.raises(ValueError, match="sum"):
        audit(naive(T), (np.array([1, 2, 3]), np.array([6, 0, 0])))
    with pytest.raises(ValueError, match="whole number"):
        suppress(table([[1.5, 20], [30, 40]]))


def test_percentages_near_0_and_100_are_ranges():
    assert format_percent(3.2) == "≤5%"
    assert format_percent(5) == "≤5%"
    assert format_percent(42.4) == "42%"
    assert format_percent(97) == "≥95%"
    assert format_percent(95) == "≥95%"
    assert format_percent(97, ranges=False) == "97%"
    assert format_percent(float("nan")) == ""
    t = table([[290, 12, 100], [200, 150, 100], [100, 150, 200]])
    shares = t.div(t.sum(axis=1), axis=0) * 100
    status = suppression_status(t)
    assert status.iat[0, 1] == "range"          # 12 of 402 = 3 %: a count, but near 0
    pct = percent_table(t)
    assert pct.iat[0, 1] == "≤5%"
    assert pct.iat[1, 0] == f"{shares.iat[1, 0]:.0f}%"
    shown = suppress(t)
    assert pd.isna(shown.iat[0, 1])
    assert audit(shown, t, protection=5).ok
    # every cell of the display is a percentage, a range or the marker
    assert pct.isin(["*"]).sum().sum() + pct.apply(lambda c: c.str.endswith("%")).sum().sum() == t.size
    t2 = table([[390, 10], [200, 210]])
    pct2 = percent_table(t2)
    assert pct2.iat[0, 0] == "≥95%" and pct2.iat[0, 1] == "≤5%"


def test_deterministic():
    t = table(np.random.default_rng(3).integers(0, 40, (6, 5)) + np.eye(6, 5, dtype=int) * 30)
    a, b = suppress(t), suppress(t)
    pd.testing.assert_frame_equal(a, b)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(2, 4).flatmap(lambda r: st.integers(2, 4).flatmap(
    lambda c: st.lists(st.lists(st.integers(0, 60), min_size=c, max_size=c),
                       min_size=r, max_size=r))))
def test_suppress_always_passes_its_audit(rows):
    t = table(rows)
    try:
        shown = suppress(t)
    except DisclosureError as e:
        # refused when a published total is itself small, or when even suppressing
        # everything leaves a cell narrower than the protection level (tight totals)
        r, c = margins(t)
        assert (r < 10).any() or (c < 10).any() or "every cell suppressed" in str(e)
        return
    assert audit(shown, t, protection=5).ok
    assert shown.isna().to_numpy()[t.to_numpy() < 10].all()    # every small cell hidden
    lines_ok(shown)
