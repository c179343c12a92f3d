"""Mastery methods: hand-worked numbers, edge cases, input checks, and property tests
against a plain per-pair reference (groupby + Python, as a teacher would compute it)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import coachkit.progress as P
from coachkit.errors import CoachkitDataError
from coachkit.progress.methods import METHODS


def ev(scores, dates=None, student="s1", target="t1", kinds=None):
    """One pair's evidence; dates default to one score a day from 2025-09-01."""
    n = len(scores)
    dates = dates or [f"2025-09-{i + 1:02d}" for i in range(n)]
    df = pd.DataFrame({"student_id": [student] * n, "target_id": [target] * n,
                       "date": pd.to_datetime(dates), "score": np.array(scores, "float32")})
    if kinds is not None:
        df["kind"] = kinds
    return df


def level(df, method, **kw):
    m = P.mastery(df, method, **kw)
    assert len(m) == 1
    return float(m["mastery"].iloc[0])


# ------------------------------------------------------------------ hand-worked numbers

def test_canvas_decaying_average_check():
    # 1, 2, 3, 4, 5 at w = .65:  m = .35^4·1 + .65·(.35^3·2 + .35^2·3 + .35·4 + 5)
    #   = .0150 + .65·(.08575 + .3675 + 1.4 + 5) = .0150 + .65·6.85325 = 4.4696 -> 4.47
    assert level(ev([1, 2, 3, 4, 5]), "decaying_average", scale=(1, 5)) == pytest.approx(
        0.35**4 + 0.65 * (0.35**3 * 2 + 0.35**2 * 3 + 0.35 * 4 + 5))
    assert round(level(ev([1, 2, 3, 4, 5]), "decaying_average", scale=(1, 5)), 2) == 4.47


def test_decaying_average_rolling_update_and_schoology_weight():
    # w = .75: m = 2; then .75·3 + .25·2 = 2.75; then .75·4 + .25·2.75 = 3.6875
    assert level(ev([2, 3, 4]), "decaying_average", weight=0.75) == pytest.approx(3.6875)
    # weight 1 is "most recent"
    assert level(ev([2, 3, 1]), "decaying_average", weight=1.0) == 1.0


def test_canvas_weighted_average_check():
    # .65·5 + .35·mean(1, 2, 3, 4) = 3.25 + .35·2.5 = 4.125 -> 4.13
    assert level(ev([1, 2, 3, 4, 5]), "weighted_average", scale=(1, 5)) == pytest.approx(4.125)


def test_simple_methods_hand_worked():
    e = ev([2, 4, 3, 3, 2.5])
    assert level(e, "most_recent") == 2.5
    assert level(e, "highest") == 4
    assert level(e, "mean") == pytest.approx((2 + 4 + 3 + 3 + 2.5) / 5)    # 14.5 / 5 = 2.9
    assert level(e, "mode") == 3                                           # 3 appears twice


def test_mode_tie_goes_to_most_recent():
    # 2, 3, 3, 2: both twice; the latest occurrence is the 2 -> 2
    assert level(ev([2, 3, 3, 2]), "mode") == 2
    # 3, 2, 2, 3 -> 3
    assert level(ev([3, 2, 2, 3]), "mode") == 3


def test_n_times():
    # n = 2: scores 3, 2, 4 -> two scores at the line (3 and 4): mastered; level (4 + 3) / 2
    m = P.mastery(ev([3, 2, 4]), "n_times", n=2)
    assert bool(m["mastered"].iloc[0]) and m["mastery"].iloc[0] == 3.5
    assert m["mastered_date"].iloc[0] == pd.Timestamp("2025-09-03")   # the 2nd hit
    # n = 3: only two hits -> not mastered, though the mean of the 3 best (3+4+2)/3 = 3
    m = P.mastery(ev([3, 2, 4]), "n_times", n=3)
    assert not m["mastered"].iloc[0] and m["mastery"].iloc[0] == 3.0
    assert m["stage"].iloc[0] == "i-practice"
    # fewer scores than n: the mean of them all; 4 -> level 4, not mastered
    m = P.mastery(ev([4]), "n_times", n=2)
    assert m["mastery"].iloc[0] == 4 and not m["mastered"].iloc[0]


def test_power_law_hand_worked():
    # scores 1, 2, 4 at t = 1, 2, 3: log s = b·log t + log a with x = (0, .6931, 1.0986),
    # y = (0, .6931, 1.3863): b = Sxy' / Sxx' (centred) and the value a·3^b
    x, y = np.log([1, 2, 3]), np.log([1, 2, 4])
    b = ((x - x.mean()) * (y - y.mean())).sum() / ((x - x.mean()) ** 2).sum()
    a = np.exp(y.mean() - b * x.mean())
    assert level(ev([1, 2, 4]), "power_law") == pytest.approx(min(a * 3**b, 4.0))
    # 2, 2.5, 3, 3 -> a rising trend; value at t = 4 below the cap
    x, y = np.log([1, 2, 3, 4]), np.log([2, 2.5, 3, 3])
    b = ((x - x.mean()) * (y - y.mean())).sum() / ((x - x.mean()) ** 2).sum()
    a = np.exp(y.mean() - b * x.mean())
    assert level(ev([2, 2.5, 3, 3]), "power_law") == pytest.approx(a * 4**b)
    # fewer than 3 scores: the mean (2 + 3) / 2
    assert level(ev([2, 3]), "power_law") == 2.5


def test_best_fit_picks_least_squares_and_reports_it():
    # 1, 2, 3, 4 is exactly linear: SSE 0; the value at t = 4 is 4
    m = P.mastery(ev([1, 2, 3, 4]), "best_fit")
    assert m["fit"].iloc[0] == "linear" and m["mastery"].iloc[0] == pytest.approx(4)
    # a constant: the mean wins the tie (simplest)
    m = P.mastery(ev([3, 3, 3]), "best_fit")
    assert m["fit"].iloc[0] == "mean" and m["mastery"].iloc[0] == 3
    # 1, 2, 4, 8 doubles: the power law fits better than a line? no - a·t^b can't double
    # either; check against the explicit SSEs instead
    s = np.array([1, 1.5, 3, 3.2, 3.3])
    t = np.arange(1, 6)
    lin = np.polyfit(t, s, 1)
    pw = np.polyfit(np.log(t), np.log(s), 1)
    sse = {"mean": ((s - s.mean()) ** 2).sum(),
           "linear": ((s - np.polyval(lin, t)) ** 2).sum(),
           "power_law": ((s - np.exp(np.polyval(pw, np.log(t)))) ** 2).sum()}
    best = min(sse, key=sse.get)
    val = {"mean": s.mean(), "linear": np.polyval(lin, 5),
           "power_law": np.exp(np.polyval(pw, np.log(5)))}[best]
    m = P.mastery(ev(list(s)), "best_fit")
    assert m["fit"].iloc[0] == best
    assert m["mastery"].iloc[0] == pytest.approx(min(max(val, 1), 4))


# -------------------------------------------------------------------------- edge cases

@pytest.mark.parametrize("method", ["most_recent", "highest", "mean", "mode",
                                    "decaying_average", "weighted_average", "n_times",
                                    "power_law", "best_fit"])
def test_one_score_is_its_own_level(method):
    assert level(ev([2.5]), method) == 2.5


def test_unsorted_dates_and_same_day_input_order():
    # rows given out of order; two on 09-03: the later row in the input counts as later
    e = ev([4, 1, 2, 3], dates=["2025-09-03", "2025-09-01", "2025-09-03", "2025-09-02"])
    # order: 1 (09-01), 3 (09-02), 4 (09-03, row 0), 2 (09-03, row 2)
    assert level(e, "most_recent") == 2
    w = 0.65   # 1 -> .65·3+.35·1 = 2.3 -> .65·4+.35·2.3 = 3.405 -> .65·2+.35·3.405 = 2.49175
    assert level(e, "decaying_average") == pytest.approx(w * 2 + (1 - w) * (
        w * 4 + (1 - w) * (w * 3 + (1 - w) * 1)))
    m = P.mastery(e, "most_recent")
    assert m["last_date"].iloc[0] == pd.Timestamp("2025-09-03")


def test_fractional_scores_and_float32_line():
    # 2.6 is stored as float32 2.5999999; with mastery_line 2.6 it still counts
    m = P.mastery(ev([2.6]), "most_recent", mastery_line=2.6)
    assert bool(m["mastered"].iloc[0])
    assert level(ev([2.25, 3.75]), "mean") == 3.0


def test_no_evidence_gives_empty_table_with_columns():
    empty = ev([])
    for method in METHODS:
        m = P.mastery(empty, method)
        assert len(m) == 0
        assert list(m.columns[:8]) == ["student_id", "target_id", "mastery", "n_evidence",
                                       "last_date", "mastered", "stage", "mastered_date"]


def test_kinds_filter_keeps_uncounted_pairs_as_i_learn():
    e = pd.concat([ev([2, 4], kinds=["formative", "summative"]),
                   ev([3], target="t2", kinds=["self"])], ignore_index=True)
    m = P.mastery(e, "mean", kinds=["summative", "retake"])
    assert m["mastery"].tolist()[0] == 4.0
    row = m[m["target_id"] == "t2"].iloc[0]
    assert row["n_evidence"] == 0 and np.isnan(row["mastery"]) and row["stage"] == "i-learn"
    assert not row["mastered"]


def test_output_shape_and_order_many_pairs():
    e = pd.concat([ev([3], student="b"), ev([1, 2], student="a", target="t2"),
                   ev([4], student="a")], ignore_index=True)
    e["student_id"] = e["student_id"].astype("category")
    m = P.mastery(e, "mean")
    assert m[["student_id", "target_id"]].astype(str).values.tolist() == [
        ["a", "t1"], ["a", "t2"], ["b", "t1"]]
    assert m["mastery"].tolist() == [4, 1.5, 3]
    assert m["stage"].tolist() == ["i-show", "i-practice", "i-show"]
    assert m["n_evidence"].tolist() == [1, 2, 1]


# ------------------------------------------------------------------------ input checks

def test_checks_at_the_door():
    with pytest.raises(CoachkitDataError, match="missing column.*'score'"):
        P.mastery(ev([3]).drop(columns="score"))
    with pytest.raises(CoachkitDataError, match="DataFrame"):
        P.mastery([1, 2, 3])
    bad = ev([3, 3]).assign(score=["3", "x"])
    with pytest.raises(CoachkitDataError, match="numeric"):
        P.mastery(bad)
    with pytest.raises(CoachkitDataError, match="dates"):
        P.mastery(ev([3]).assign(date="2025-09-01"))
    with pytest.raises(CoachkitDataError, match=r"outside the scale.*row 1: 5\.0.*1 to 4"):
        P.mastery(ev([3, 5]))
    with pytest.raises(CoachkitDataError, match="empty cell"):
        P.mastery(ev([3, np.nan]))
    with pytest.raises(ValueError, match="unknown mastery method 'median'.*decaying_average"):
        P.mastery(ev([3]), "median")
    with pytest.raises(ValueError, match="mastery_line must be on the scale 1-4; got 5"):
        P.mastery(ev([3]), mastery_line=5)
    with pytest.raises(ValueError, match="mastery_line must be a number"):
        P.mastery(ev([3]), mastery_line="3")
    with pytest.raises(ValueError, match="weight must be a number in"):
        P.mastery(ev([3]), "decaying_average", weight=1.5)
    with pytest.raises(ValueError, match="takes parameter.*weight.*got n"):
        P.mastery(ev([3]), "decaying_average", n=2)
    with pytest.raises(ValueError, match="n must be a whole number"):
        P.mastery(ev([3]), "n_times", n=0)
    with pytest.raises(ValueError, match="kinds must be"):
        P.mastery(ev([3], kinds=["quiz"]), kinds=["quiz"])
    with pytest.raises(CoachkitDataError, match="missing column.*'kind'"):
        P.mastery(ev([3]), kinds=["summative"])


# ---------------------------------------------------------------------------- registry

def test_register_custom_method_works_by_name_everywhere():
    @P.register_method("median_of_last_three")
    def median_of_last_three(p):
        """Median of the three most recent scores (vectorized for k <= 3 here)."""
        import pandas as pd
        s = pd.Series(p.score)[p.from_end < 3]
        return s.groupby(p.pair[p.from_end < 3]).median().to_numpy()

    try:
        e = ev([1, 4, 2, 3])
        assert level(e, "median_of_last_three") == 3            # median(4, 2, 3)
        c = P.compare_methods(e, methods=["mean", "median_of_last_three"])
        assert c["median_of_last_three"].iloc[0] == 3
        assert "median_of_last_three" in set(P.available_methods()["method"])
    finally:
        del METHODS["median_of_last_three"]


def test_register_per_pair_method_and_builtin_protection():
    @P.register_method("second_best", per_pair=True)
    def second_best(scores, fallback=1.0):
        return np.sort(scores)[-2] if len(scores) > 1 else fallback

    try:
        assert level(ev([1, 4, 2, 3]), "second_best") == 3
        assert level(ev([4]), "second_best", fallback=2.0) == 2.0
    finally:
        del METHODS["second_best"]
    with pytest.raises(ValueError, match="built-in"):
        P.register_method("mean")(lambda p: p.score)


def test_compare_methods_flags():
    e = pd.concat([ev([2, 4]), ev([3, 3, 3], target="t2")], ignore_index=True)
    c = P.compare_methods(e, methods=["most_recent", "mean", "highest"], min_evidence=3)
    t1, t2 = c.iloc[0], c.iloc[1]
    # t1: most recent 4 (mastered), mean 3 (mastered), highest 4 -> all agree
    assert (t1["most_recent"], t1["mean"], t1["highest"]) == (4, 3, 4)
    assert t1["mastered_by"] == 3 and not t1["disagree"] and t1["low_evidence"]
    assert not t2["low_evidence"]
    e2 = ev([4, 2])      # most recent 2 (no), mean 3 (yes): disagree
    c2 = P.compare_methods(e2, methods=["most_recent", "mean"])
    assert c2["disagree"].iloc[0] and c2["mastered_by"].iloc[0] == 1
    with pytest.raises(ValueError, match="params names"):
        P.compare_methods(e2, methods=["mean"], params={"n_times": {"n": 2}})


def test_compare_methods_all_defaults_run():
    e = pd.concat([ev([2, 3, 4]), ev([1, 2], target="t2")], ignore_index=True)
    c = P.compare_methods(e)
    assert len(c) == 2 and "knowledge_tracing" in c.columns and "best_fit" in c.columns


# ---------------------------------------------------------------- property tests

def reference(df, method, line=3.0, **kw):
    """Straightforward per-pair implementations: sort, group, loop."""
    d = df.assign(_row=np.arange(len(df))).sort_values(["date", "_row"], kind="stable")
    out = {}
    for (s, t), g in d.groupby(["student_id", "target_id"], observed=True, sort=True):
        x = g["score"].to_numpy(float)
        k = len(x)
        if method == "most_recent":
            v = x[-1]
        elif method == "highest":
            v = x.max()
        elif method == "mean":
            v = x.mean()
        elif method == "mode":
            vals, counts = np.unique(x, return_counts=True)
            best = counts.max()
            v = [y for y in x[::-1] if counts[vals == y][0] == best][0]
        elif method == "decaying_average":
            w = kw.get("weight", 0.65)
            v = x[0]
            for y in x[1:]:
                v = w * y + (1 - w) * v
        elif method == "weighted_average":
            w = kw.get("weight", 0.65)
            v = x[0] if k == 1 else w * x[-1] + (1 - w) * x[:-1].mean()
        elif method == "n_times":
            n = kw.get("n", 3)
            v = np.sort(x)[::-1][:n].mean()
        elif method == "power_law":
            if k < 3:
                v = x.mean()
            else:
                b, la = np.polyfit(np.log(np.arange(1, k + 1)), np.log(x), 1)
                v = min(max(np.exp(la) * k**b, 1.0), 4.0)
        out[(s, t)] = v
    return out


scores_st = st.sampled_from([1.0, 1.5, 2.0, 2.5, 3.0, 3.25, 3.5, 4.0])
frac_st = st.floats(1.0, 4.0, allow_nan=False).map(lambda v: float(np.float32(v)))


@st.composite
def evidence_tables(draw, fractional=False):
    n = draw(st.integers(0, 30))
    rows = draw(st.lists(st.tuples(st.sampled_from(["a", "b", "c"]),
                                   st.sampled_from(["t1", "t2"]),
                                   st.integers(0, 4),
                                   frac_st if fractional else scores_st),
                         min_size=n, max_size=n))
    df = pd.DataFrame(rows, columns=["student_id", "target_id", "day", "score"])
    df["date"] = pd.Timestamp("2025-09-01") + pd.to_timedelta(df["day"], unit="D")
    df["score"] = df["score"].astype("float32")
    return df.drop(columns="day")


FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(evidence_tables(), st.sampled_from(["most_recent", "highest", "mean", "mode",
                                           "decaying_average", "weighted_average",
                                           "n_times", "power_law"]),
       st.sampled_from([0.5, 0.65, 0.75]), st.integers(1, 4))
def test_vectorized_matches_reference(df, method, weight, n):
    kw = {"weight": weight} if "average" in method else {"n": n} if method == "n_times" else {}
    m = P.mastery(df, method, **kw)
    ref = reference(df, method, **kw)
    got = {(s, t): v for s, t, v in zip(m["student_id"], m["target_id"], m["mastery"])}
    assert got.keys() == ref.keys()
    for key in ref:
        assert got[key] == pytest.approx(ref[key], rel=1e-9, abs=1e-9), key
    assert (m["n_evidence"].sum() == len(df))


@FAST
@given(evidence_tables(fractional=True), st.integers(1, 4),
       st.booleans())
def test_n_times_count_table_and_sorted_blocks_match_reference(df, n, table):
    """n_times counts score values per pair (few distinct scores) or sorts each block
    (many): both give the reference's mean of the n best scores and its n-th hit."""
    import coachkit.progress.methods as M
    with pytest.MonkeyPatch.context() as mp:
        if not table:
            mp.setattr(M, "TABLE_SLACK", -10**9)
        mp.setattr(prep_chunk(), "CHUNK", 4)      # several blocks
        m = P.mastery(df, "n_times", n=n)
    ref = reference(df, "n_times", n=n)
    got = {(s, t): v for s, t, v in zip(m["student_id"], m["target_id"], m["mastery"])}
    assert got.keys() == ref.keys()
    for key in ref:
        assert got[key] == pytest.approx(ref[key], rel=1e-9, abs=1e-9), key
    pd.testing.assert_frame_equal(m, P.mastery(df, "n_times", n=n), check_exact=True)


def prep_chunk():
    import coachkit.progress.prepare as prep_mod
    return prep_mod


@FAST
@given(evidence_tables(fractional=True))
def test_best_fit_matches_reference_sse(df):
    m = P.mastery(df, "best_fit")
    d = df.assign(_row=np.arange(len(df))).sort_values(["date", "_row"], kind="stable")
    for (s, t), g in d.groupby(["student_id", "target_id"], sort=True):
        x = g["score"].to_numpy(float)
        row = m[(m["student_id"] == s) & (m["target_id"] == t)].iloc[0]
        k = len(x)
        if k < 3:
            assert row["fit"] == "mean" and row["mastery"] == pytest.approx(x.mean())
            continue
        tt = np.arange(1, k + 1)
        lin = np.polyfit(tt, x, 1)
        pw = np.polyfit(np.log(tt), np.log(x), 1)
        sse = {"mean": ((x - x.mean()) ** 2).sum(),
               "linear": ((x - np.polyval(lin, tt)) ** 2).sum(),
               "power_law": ((x - np.exp(np.polyval(pw, np.log(tt)))) ** 2).sum()}
        val = {"mean": x.mean(), "linear": np.polyval(lin, k),
               "power_law": np.exp(np.polyval(pw, np.log(k)))}
        assert sse[row["fit"]] <= min(sse.values()) + 1e-6
        assert row["mastery"] == pytest.approx(np.clip(val[row["fit"]], 1, 4), abs=1e-6)


@FAST
@given(evidence_tables(fractional=True))
def test_fractional_scores_match_reference_and_stage_consistent(df):
    for method in ("decaying_average", "mode", "mean"):
        m = P.mastery(df, method)
        ref = reference(df, method)
        for s, t, v in zip(m["student_id"], m["target_id"], m["mastery"]):
            assert v == pytest.approx(ref[(s, t)], rel=1e-9)
        assert ((m["stage"] == "i-show") == m["mastered"]).all()
        assert (m["mastered"] == (m["mastery"] >= 3 - 1e-6)).all()
        assert m["mastered_date"].isna().eq(~m["mastered"]).all()


@FAST
@given(evidence_tables())
def test_input_order_does_not_matter_beyond_same_day_ties(df):
    # shuffling rows on different days changes nothing; only same-day order matters
    shuffled = df.sample(frac=1, random_state=1)
    shuffled = shuffled.sort_values("date", kind="stable")   # same-day order kept? no:
    # restore each day's original relative order so only cross-day order is shuffled
    key = pd.Series(np.arange(len(df)), index=df.index)
    shuffled = shuffled.assign(_k=key.loc[shuffled.index].to_numpy()).sort_values(
        ["date", "_k"]).drop(columns="_k").sample(frac=1, random_state=2)
    shuffled = shuffled.assign(_k=key.loc[shuffled.index].to_numpy())
    same_day_ok = shuffled.groupby("date")["_k"].apply(lambda s: s.is_monotonic_increasing)
    if not same_day_ok.all():
        return
    a = P.mastery(df, "decaying_average")
    b = P.mastery(shuffled.drop(columns="_k"), "decaying_average")
    np.testing.assert_allclose(a["mastery"], b["mastery"])


# ------------------------------------------------- fast paths against the general ones

ALL_METHODS = ["most_recent", "highest", "mean", "mode", "decaying_average",
               "weighted_average", "n_times", "power_law", "best_fit", "knowledge_tracing"]


@st.composite
def timed_evidence(draw):
    """evidence_tables, sometimes with a time of day on some dates (then dates are ranked
    by hashing instead of by whole days) and sometimes with a kind column."""
    df = draw(evidence_tables(fractional=draw(st.booleans())))
    if len(df) and draw(st.booleans()):
        hours = draw(st.lists(st.sampled_from([0, 0, 9, 13]), min_size=len(df),
                              max_size=len(df)))
        df["date"] = df["date"] + pd.to_timedelta(hours, unit="h")
    df["kind"] = draw(st.lists(st.sampled_from(["formative", "summative", "retake"]),
                               min_size=len(df), max_size=len(df)))
    return df


@FAST
@given(timed_evidence(), st.sampled_from([None, ["summative", "retake"]]),
       st.sampled_from([2.5, 3.0]))
def test_fast_paths_give_exactly_the_general_table(df, kinds, line):
    """The packed-key sort, whole-day date ranks, block-wise key building and the
    shortcuts in the methods give bit-for-bit the table of the general path (np.lexsort,
    dates ranked by hashing): same values, dtypes and row order."""
    import coachkit.progress.prepare as prep_mod
    fast = {m: P.mastery(df, m, mastery_line=line, kinds=kinds) for m in ALL_METHODS}
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(prep_mod, "KEY_BITS", 0)          # np.lexsort instead of a packed key
        mp.setattr(prep_mod, "_day_rank", lambda date_ns, lo: lambda i, j: None)
        mp.setattr(prep_mod, "CHUNK", 3)             # many small blocks
        for m in ALL_METHODS:
            general = P.mastery(df, m, mastery_line=line, kinds=kinds)
            pd.testing.assert_frame_equal(fast[m], general, check_exact=True)
        pd.testing.assert_frame_equal(
            P.compare_methods(df, kinds=kinds),
            P.compare_methods(df.sample(frac=1, random_state=0).sort_index(), kinds=kinds),
            check_exact=True)


@FAST
@given(timed_evidence(), st.sampled_from([2.5, 3.0, 3.5]), st.floats(0.05, 1.0))
def test_row_shortcuts_match_plain_formulas(df, line, weight):
    """nth_hit_date, positions and the decaying-average weights, each against the plain
    formula it replaces, exactly."""
    from coachkit.progress.methods import (decaying_average, nth_hit_date,
                                           nth_hit_date_general)
    from coachkit.progress.prepare import prepare
    p = prepare(df, mastery_line=line).pairs
    if p.n_pairs == 0:
        return
    pos = np.arange(len(p.score)) - np.repeat(p.starts, p.counts)
    np.testing.assert_array_equal(p.pos, pos)
    np.testing.assert_array_equal(p.from_end, np.repeat(p.counts - 1, p.counts) - pos)
    assert p.pos.dtype == p.from_end.dtype == np.int64
    ns = df["date"].to_numpy(dtype="datetime64[ns]").view(np.int64)
    np.testing.assert_array_equal(np.sort(p.date), np.sort(ns))      # every row's own date
    np.testing.assert_array_equal(p.last_date, p.date[p.last])
    for n in (1, 2, 3):
        np.testing.assert_array_equal(nth_hit_date(p, n), nth_hit_date_general(p, n))
    coef = np.power(1.0 - weight, np.arange(p.counts.max(), dtype=float))[p.from_end]
    coef *= np.where(p.pos == 0, 1.0, weight)
    np.testing.assert_array_equal(decaying_average(p, weight), p.sum(coef * p.score))


@FAST
@given(timed_evidence(), st.sampled_from([None, ["summative", "retake"], ["formative"]]))
def test_categorical_kind_counts_the_same_rows_as_text_kind(df, kinds):
    """Counted kinds are looked up by category code when ``kind`` is categorical (an
    empty kind is never counted); the table equals the one from text kinds."""
    if len(df):
        df.loc[df.index[::5], "kind"] = None
    text = P.mastery(df, "mean", kinds=kinds)
    cat = P.mastery(df.astype({"kind": "category"}), "mean", kinds=kinds)
    pd.testing.assert_frame_equal(cat, text, check_exact=True)
