"""When a target was mastered (``mastered_date``) and what was newly mastered in a cycle:
hand-worked examples, a plain per-pair reference on random data, and every consumer side
by side on the sample district."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coachkit import progress as P

DATA = Path(__file__).resolve().parents[1] / "sample_data" / "district"


def ev(scores, days=None, student="s", target="t"):
    days = list(range(len(scores))) if days is None else days
    return pd.DataFrame({"student_id": student, "target_id": target,
                         "date": pd.Timestamp("2025-09-01") + pd.to_timedelta(days, unit="D"),
                         "score": np.array(scores, float)})


def day(i):
    return pd.Timestamp("2025-09-01") + pd.Timedelta(days=i)


def when(df, method, **kw):
    m = P.mastery(df, method, **kw)
    assert len(m) == 1
    return m["mastered"].iloc[0], m["mastered_date"].iloc[0]


# ------------------------------------------------------------------ hand-worked examples

def test_decaying_average_dates_the_day_the_average_crossed_not_the_first_high_score():
    # w = 0.65: 2 -> 2; 3.5 -> .65*3.5 + .35*2 = 2.975 (below); 3.5 -> 3.32 (at or above).
    # The first score at the line is day 1, but the average reaches it on day 2.
    ok, d = when(ev([2, 3.5, 3.5]), "decaying_average")
    assert ok and d == day(2)


def test_a_level_that_crosses_drops_and_crosses_again_is_dated_by_the_last_crossing():
    # most recent: 3 (yes) 4 (yes) 2 (no) 3 (yes) 3 (yes): mastered since day 3
    ok, d = when(ev([3, 4, 2, 3, 3]), "most_recent")
    assert ok and d == day(3)
    # mean: 4 -> 4, 1 -> 2.5 (drop), 4 -> 3 (back at the line on day 2)
    ok, d = when(ev([4, 1, 4]), "mean")
    assert ok and d == day(2)


def test_not_mastered_now_has_no_date_even_if_it_was_once():
    ok, d = when(ev([4, 4, 1]), "most_recent")
    assert not ok and pd.isna(d)


def test_same_day_scores_count_together():
    # day 0: 2 then 4 (most recent of the day: 4, mastered); the 2 alone never dates it
    ok, d = when(ev([2, 4, 4], days=[0, 0, 3]), "most_recent")
    assert ok and d == day(0)
    # day 0: 4 then 2: not mastered at the end of day 0; mastered from day 3
    ok, d = when(ev([4, 2, 4], days=[0, 0, 3]), "most_recent")
    assert ok and d == day(3)


def test_n_times_is_the_day_of_the_nth_qualifying_score():
    ok, d = when(ev([3, 1, 1, 4, 2, 3]), "n_times", n=3)
    assert ok and d == day(5)
    ok, d = when(ev([3, 1, 4]), "n_times", n=2)
    assert ok and d == day(2)


def test_highest_is_the_first_score_at_the_line():
    ok, d = when(ev([2, 3, 1, 1]), "highest")
    assert ok and d == day(1)


def test_mode_and_weighted_average_by_hand():
    # mode of 3, 2, 2, 3: 3 | 3,2 -> 2 (latest of a tie) | 2 | 2,2,3,3 -> 3: since day 3
    ok, d = when(ev([3, 2, 2, 3]), "mode")
    assert ok and d == day(3)
    # weighted (w .65): 4 | .65*2 + .35*4 = 2.7 | .65*4 + .35*3 = 3.65: since day 2
    ok, d = when(ev([4, 2, 4]), "weighted_average")
    assert ok and d == day(2)


def test_knowledge_tracing_dates_the_day_p_mastered_reached_the_threshold():
    prm = pd.DataFrame({"target_id": ["t"], "prior": [0.1], "learn": [0.3],
                        "guess": [0.2], "slip": [0.1]})
    df = ev([1, 4, 4, 4, 4, 4])
    m = P.mastery(df, "knowledge_tracing", params=prm)
    # the same fixed parameters on each prefix: the first prefix at 0.95 is the date
    ps = [P.mastery(df.iloc[:k], "knowledge_tracing", params=prm)["mastery"].iloc[0]
          for k in range(1, 7)]
    first = next(i for i, p in enumerate(ps) if p >= 0.95)
    assert all(p >= 0.95 for p in ps[first:]) and first > 1
    assert bool(m["mastered"].iloc[0]) and m["mastered_date"].iloc[0] == day(first)


def test_a_custom_method_without_a_running_form_is_run_on_every_prefix():
    @P.register_method("second_best_test")
    def second_best(p):
        # the mean of the two best scores (one score: itself)
        return np.array([np.sort(g)[-2:].mean() for g in np.split(p.score, p.starts[1:])])
    ok, d = when(ev([4, 1, 2, 3]), "second_best_test")
    # 4 | 4,1 -> 2.5 | 4,2 -> 3 (day 2) | 4,3 -> 3.5
    assert ok and d == day(2)


def test_a_registered_running_form_is_used():
    calls = []

    def run(p):
        calls.append(1)
        return p.score

    P.register_method("last_test", running=run)(lambda p: p.score[p.last])
    ok, d = when(ev([4, 1, 3]), "last_test")
    assert ok and d == day(2) and calls


# -------------------------------------------------------- plain per-pair reference

def ref_level(x, method, weight=0.65, n=3):
    x = np.asarray(x, float)
    k = len(x)
    if method == "most_recent":
        return x[-1]
    if method == "highest":
        return x.max()
    if method == "mean":
        return x.mean()
    if method == "mode":
        vals, counts = np.unique(x, return_counts=True)
        best = counts.max()
        return next(y for y in x[::-1] if counts[vals == y][0] == best)
    if method == "decaying_average":
        v = x[0]
        for y in x[1:]:
            v = weight * y + (1 - weight) * v
        return v
    if method == "weighted_average":
        return x[0] if k == 1 else weight * x[-1] + (1 - weight) * x[:-1].mean()
    if method == "power_law":
        if k < 3:
            return x.mean()
        b, la = np.polyfit(np.log(np.arange(1, k + 1)), np.log(x), 1)
        return min(max(np.exp(la) * k ** b, 1.0), 4.0)
    raise AssertionError(method)


def ref_since(df, method, line=3.0, **kw):
    """Per pair: walk the pair's days in order, mastered on a day when the method on the
    scores through that day says so; the date is the start of the last run."""
    out = {}
    df = df.reset_index(drop=True).assign(_row=lambda d: np.arange(len(d)))
    for (s, t), g in df.groupby(["student_id", "target_id"]):
        g = g.sort_values(["date", "_row"])
        since = None
        for d in sorted(g["date"].unique()):
            x = g.loc[g["date"] <= d, "score"].to_numpy(float)
            if method == "n_times":
                ok = (x >= line - 1e-6).sum() >= kw.get("n", 3)
            else:
                ok = ref_level(x, method, **kw) >= line - 1e-6
            since = (since or d) if ok else None
        out[(s, t)] = since
    return out


scores = st.sampled_from([1.0, 2.0, 2.5, 3.0, 3.5, 4.0])


@st.composite
def tables(draw):
    n = draw(st.integers(1, 40))
    rows = draw(st.lists(st.tuples(st.sampled_from(["a", "b", "c"]),
                                   st.sampled_from(["t1", "t2"]),
                                   st.integers(0, 12), scores),
                         min_size=n, max_size=n))
    df = pd.DataFrame(rows, columns=["student_id", "target_id", "day", "score"])
    df["date"] = pd.Timestamp("2025-09-01") + pd.to_timedelta(df["day"], unit="D")
    return df.drop(columns="day")


SETTINGS = settings(max_examples=60, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(tables(), st.sampled_from(["most_recent", "highest", "mean", "mode",
                                  "decaying_average", "weighted_average", "n_times",
                                  "power_law"]),
       st.sampled_from([0.5, 0.65, 0.75]), st.integers(1, 3), st.sampled_from([2.5, 3.0]))
def test_mastered_date_matches_a_plain_per_pair_reference(df, method, weight, n, line):
    kw = {"weight": weight} if "average" in method else {"n": n} if method == "n_times" else {}
    m = P.mastery(df, method, mastery_line=line, **kw)
    ref = ref_since(df, method, line=line, **kw)
    got = dict(zip(zip(m["student_id"].astype(str), m["target_id"].astype(str)),
                   m["mastered_date"]))
    assert got.keys() == ref.keys()
    for key, want in ref.items():
        if want is None:
            assert pd.isna(got[key]), key
        else:
            assert got[key] == pd.Timestamp(want), key
    assert (m["mastered_date"].notna() == m["mastered"]).all()


@SETTINGS
@given(st.lists(scores, min_size=2, max_size=60), st.sampled_from([0.35, 0.65, 0.9]))
def test_decaying_average_crossing_day_on_long_runs(xs, w):
    df = ev(xs)
    m = P.mastery(df, "decaying_average", weight=w)
    want = ref_since(df, "decaying_average", weight=w)[("s", "t")]
    got = m["mastered_date"].iloc[0]
    assert (pd.isna(got) and want is None) or got == pd.Timestamp(want)


# ------------------------------------------------------------------ newly mastered

def test_newly_mastered_is_mastered_now_and_not_before():
    before = P.mastery(pd.concat([ev([4], student="a"), ev([2], student="b"),
                                  ev([4], student="c")]), "most_recent")
    now = P.mastery(pd.concat([ev([4, 4], student="a"), ev([2, 4], student="b"),
                               ev([4, 1], student="c"), ev([4], student="d")]),
                    "most_recent")
    new = P.newly_mastered(now, before)
    assert sorted(new["student_id"].astype(str)) == ["b", "d"]
    assert sorted(P.newly_mastered(now)["student_id"].astype(str)) == ["a", "b", "d"]


def test_mastered_then_dropped_then_back_within_a_cycle_is_not_new():
    cycles = pd.DataFrame({"cycle_id": [1, 2], "start": [day(0), day(10)],
                           "end": [day(9), day(19)], "school_year": ["y", "y"]})
    df = ev([4, 1, 4], days=[5, 12, 15])
    g = P.growth(df, cycles, 1, 2, method="most_recent").iloc[0]
    assert g["mastered_change"] == 0 and g["newly_mastered"] == 0
    now = P.mastery(df, "most_recent")
    before = P.mastery(df[df["date"] <= day(9)], "most_recent")
    assert now["mastered_date"].iloc[0] == day(15)           # since the last crossing
    p = P.pace(now, cycles, as_of=day(19), before=before)
    assert p["mastered_cycle"].iloc[0] == 0


# ------------------------------------------------- every consumer on the sample district

@pytest.fixture(scope="module")
def district(ds):
    return ds


@pytest.mark.slow
def test_consumers_agree_on_who_newly_mastered_what(district):
    """Growth, pace, who-needs-us-next, the binder and the principal dashboard, every
    classroom at every cycle: the same students newly mastered the same number of
    targets per subject, and the binder lists the very targets."""
    from coachkit import binder, talk
    from coachkit.widgets import data as D
    ds = district
    rooms = sorted(ds.classrooms["classroom_id"])
    cycles = sorted(ds.cycles["cycle_id"].astype(int))
    seen_new = 0
    for c in cycles:
        dash = D.district(str(DATA), c, "decaying_average").students
        dash = dash.set_index(["student_id", "subject"])["growth"]
        for i, r in enumerate(rooms):
            v = talk.classroom_view(ds, r, c, history=False)
            pace = v.pace.set_index(["student_id", "subject"])["mastered_cycle"]
            seen_new += int(pace.sum())
            if v.growth is not None:
                grow = v.growth.set_index(["student_id", "subject"])["newly_mastered"]
                pd.testing.assert_series_equal(grow.reindex(pace.index).fillna(0)
                                               .astype(int), pace.astype(int),
                                               check_names=False, obj=f"{r} cycle {c}")
            if c > 1:
                np.testing.assert_array_equal(dash.reindex(pace.index).to_numpy(),
                                              pace.to_numpy(), err_msg=f"{r} cycle {c}")
            stuck = talk.who_is_stuck(v).set_index(["student_id", "subject"])
            np.testing.assert_array_equal(stuck["mastered_cycle"].to_numpy(),
                                          pace.reindex(stuck.index).fillna(0).to_numpy())
            # the binder of one student per classroom and cycle (a different one each time)
            sid = v.students["student_id"].iloc[(c + i) % len(v.students)]
            page = binder.student_summary(ds, sid, c)
            subj = v.targets.set_index(v.targets["target_id"].astype(str))["subject"]
            got = page["new"]["target_id"].astype(str).map(subj).value_counts()
            for s in v.subjects:
                want = pace.get((str(sid), s), 0)
                assert got.get(s, 0) == want, (r, c, sid, s)
    assert seen_new > 100                 # the check saw real mastery, not empty tables


fractional = st.floats(1.0, 4.0, allow_nan=False).map(lambda v: float(np.float32(v)))


@SETTINGS
@given(tables(), st.sampled_from(["best_fit", "power_law"]), st.sampled_from([2.5, 3.0]),
       st.booleans(), st.integers(2, 7))
def test_vectorized_running_fits_equal_the_method_run_on_every_prefix(df, method, line,
                                                                      frac, chunk):
    """best_fit's and power_law's running forms (running sums a block of pairs at a time;
    best_fit sums the power law's squared error only where the three fits disagree on
    mastered) date mastery exactly as running the method itself on every prefix."""
    import coachkit.progress.prepare as prep_mod
    from coachkit.progress.methods import METHODS
    if frac:
        rng = np.random.default_rng(len(df))
        df = df.assign(score=np.float32(rng.uniform(1, 4, len(df))).astype(float))
    want = P.mastery(df, METHODS[method].func, mastery_line=line)   # no running form
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(prep_mod, "CHUNK", chunk)
        got = P.mastery(df, method, mastery_line=line)
    pd.testing.assert_series_equal(got["mastered_date"], want["mastered_date"])
    pd.testing.assert_series_equal(got["mastery"], want["mastery"], check_exact=False,
                                   rtol=1e-12)


@pytest.mark.parametrize("method", ["best_fit", "power_law"])
@pytest.mark.parametrize("frac", [False, True])
def test_running_fits_on_many_random_sequences(method, frac):
    """The same on 400 pairs of 1-14 scores, where the fits often disagree."""
    import coachkit.progress.prepare as prep_mod
    from coachkit.progress.methods import METHODS
    rng = np.random.default_rng(7 + frac)
    k = rng.integers(1, 15, 400)
    pair = np.repeat(np.arange(400), k)
    score = (rng.uniform(1, 4, len(pair)) if frac
             else rng.choice([1.0, 2.0, 2.5, 3.0, 3.5, 4.0], len(pair)))
    trend = (np.arange(len(pair)) - np.repeat(np.cumsum(k) - k, k)) * rng.uniform(-.3, .3, 400)[pair]
    df = pd.DataFrame({"student_id": pair // 4, "target_id": pair % 4,
                       "date": pd.Timestamp("2025-09-01")
                       + pd.to_timedelta(rng.integers(0, 30, len(pair)), unit="D"),
                       "score": np.float32(np.clip(score + trend, 1, 4)).astype(float)})
    want = P.mastery(df, METHODS[method].func)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(prep_mod, "CHUNK", 97)
        got = P.mastery(df, method)
    assert want["mastered"].sum() > 20 and (~want["mastered"]).sum() > 20
    pd.testing.assert_series_equal(got["mastered_date"], want["mastered_date"])
