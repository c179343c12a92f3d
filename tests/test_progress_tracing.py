"""Bayesian Knowledge Tracing: parameter recovery, monotonicity, a per-pair reference."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import coachkit.progress as P

TRUE = {"t0": (0.3, 0.2, 0.15, 0.10), "t1": (0.5, 0.1, 0.25, 0.05), "t2": (0.2, 0.3, 0.10, 0.20)}
TOLERANCE = 0.05      # stated tolerance: every parameter within ±0.05 of the truth


def simulate(params: dict, n_students: int, n_obs, seed=0) -> pd.DataFrame:
    """BKT generative model; correct -> score 4, incorrect -> score 2. n_obs may vary."""
    rng = np.random.default_rng(seed)
    out = []
    for target, (prior, learn, guess, slip) in params.items():
        known = rng.random(n_students) < prior
        lengths = np.full(n_students, n_obs) if np.isscalar(n_obs) else \
            rng.integers(n_obs[0], n_obs[1] + 1, n_students)
        for t in range(int(lengths.max())):
            ok = np.where(known, rng.random(n_students) > slip, rng.random(n_students) < guess)
            live = lengths > t
            out.append(pd.DataFrame({
                "student_id": np.arange(n_students)[live], "target_id": target,
                "date": pd.Timestamp("2025-09-01") + pd.Timedelta(days=t),
                "score": np.where(ok, 4.0, 2.0)[live]}))
            known = known | (rng.random(n_students) < learn)
    return pd.concat(out, ignore_index=True)


def test_recovers_known_parameters():
    ev = simulate(TRUE, 3000, (4, 12), seed=1)
    fit = P.fit_knowledge_tracing(ev)
    fit.index = fit["target_id"].astype(str)
    for target, truth in TRUE.items():
        got = fit.loc[target, ["prior", "learn", "guess", "slip"]].to_numpy(float)
        assert np.abs(got - np.array(truth)).max() < TOLERANCE, (target, got, truth)
    assert fit["converged"].all()
    assert (fit["n_students"] == 3000).all()


def reference_p_mastered(obs, prior, learn, guess, slip):
    """Corbett & Anderson, one score at a time."""
    p = prior
    for o in obs:
        post = p * (1 - slip) / (p * (1 - slip) + (1 - p) * guess) if o else \
            p * slip / (p * slip + (1 - p) * (1 - guess))
        p = post + (1 - post) * learn
    return p


def table(seqs, target="t0"):
    rows = []
    for i, obs in enumerate(seqs):
        for j, o in enumerate(obs):
            rows.append((f"s{i:03d}", target, pd.Timestamp("2025-09-01") + pd.Timedelta(days=j),
                         4.0 if o else 1.5))
    return pd.DataFrame(rows, columns=["student_id", "target_id", "date", "score"])


PARAMS = pd.DataFrame({"target_id": ["t0"], "prior": [0.3], "learn": [0.2],
                       "guess": [0.15], "slip": [0.1]})


@settings(max_examples=30, deadline=None)
@given(st.lists(st.lists(st.booleans(), min_size=1, max_size=50), min_size=1, max_size=12))
def test_p_mastered_matches_per_pair_reference(seqs):
    m = P.mastery(table(seqs), "knowledge_tracing", params=PARAMS)
    for i, obs in enumerate(seqs):
        got = m.loc[m["student_id"] == f"s{i:03d}", "mastery"].iloc[0]
        assert got == pytest.approx(reference_p_mastered(obs, 0.3, 0.2, 0.15, 0.1), rel=1e-9)


def test_p_mastered_rises_with_correct_answers():
    seqs = [[False] * 2 + [True] * j for j in range(6)]
    m = P.mastery(table(seqs), "knowledge_tracing", params=PARAMS)
    p = m.sort_values("student_id")["mastery"].to_numpy()
    assert (np.diff(p) > 0).all()
    # hand-worked first step: prior .3, correct: post = .3·.9 / (.3·.9 + .7·.15) = .27/.375
    # = .72; p = .72 + .28·.2 = .776
    one = P.mastery(table([[True]]), "knowledge_tracing", params=PARAMS)
    assert one["mastery"].iloc[0] == pytest.approx(0.776)
    # mastered at the 0.95 threshold only after enough correct answers
    assert not m["mastered"].iloc[0] and m["mastered"].iloc[-1]
    assert (m["stage"].iloc[-1]) == "i-show"


def test_fitted_p_mastered_rises_with_correct_answers_on_simulated_data():
    ev = simulate({"t0": TRUE["t0"]}, 2000, 8, seed=3)
    m = P.mastery(ev, "knowledge_tracing")
    n_correct = (ev.assign(c=ev["score"] >= 3).groupby("student_id")["c"].sum())
    last_ok = ev.sort_values("date").groupby("student_id")["score"].last() >= 3
    df = pd.DataFrame({"p": m.set_index(m["student_id"].astype(int))["mastery"],
                       "n": n_correct, "last": last_ok})
    means = df[df["last"]].groupby("n")["p"].mean()
    assert means.is_monotonic_increasing


def test_checks_and_bounds():
    ev = table([[True, False, True]])
    with pytest.raises(ValueError, match="mastery_threshold"):
        P.mastery(ev, "knowledge_tracing", mastery_threshold=2)
    with pytest.raises(ValueError, match="params has no row for target"):
        P.mastery(ev, "knowledge_tracing", params=PARAMS.assign(target_id="zz"))
    with pytest.raises(ValueError, match="init takes"):
        P.fit_knowledge_tracing(ev, init={"forget": 0.1})
    f = P.fit_knowledge_tracing(simulate({"t0": (0.5, 0.1, 0.45, 0.45)}, 300, 5, seed=4),
                                max_guess=0.3, max_slip=0.3)
    assert f["guess"].iloc[0] <= 0.3 and f["slip"].iloc[0] <= 0.3
    assert len(P.fit_knowledge_tracing(ev.iloc[:0])) == 0


# ------------------------------------------- numerically stable forward pass (issue 18.7)

def log_space_loglik(obs, prior, learn, guess, slip):
    """An independent exact forward pass in log space (logsumexp), one sequence."""
    from scipy.special import logsumexp
    la = np.log([1 - prior, prior])                       # (unknown, known)
    logT = np.log(np.array([[1 - learn, learn], [1e-300, 1.0]]))
    logT[1, 0] = -np.inf                                  # no forgetting
    for t, o in enumerate(obs):
        emit = np.log([guess, 1 - slip]) if o else np.log([1 - guess, slip])
        if t:
            la = logsumexp(la[:, None] + logT, axis=0)
        la = la + emit
    return float(logsumexp(la))


def test_log_likelihood_matches_an_exact_log_space_forward_pass_on_500_opportunities():
    truth = {"long": (0.2, 0.02, 0.2, 0.1)}
    ev = simulate(truth, 60, 500, seed=3)
    fit = P.fit_knowledge_tracing(ev).iloc[0]
    prm = [float(fit[k]) for k in ("prior", "learn", "guess", "slip")]
    want = 0.0
    for _, g in ev.sort_values("date", kind="stable").groupby("student_id"):
        want += log_space_loglik((g["score"] >= 3).to_numpy(), *prm)
    assert abs(float(fit["log_likelihood"]) - want) <= 1e-6 * max(1.0, abs(want) / 1e3)
    assert abs(float(fit["log_likelihood"]) - want) / abs(want) < 1e-9


@settings(max_examples=25, deadline=None)
@given(st.lists(st.booleans(), min_size=400, max_size=500),
       st.floats(0.01, 0.9), st.floats(0.001, 0.3), st.floats(0.01, 0.45), st.floats(0.01, 0.45))
def test_forward_pass_matches_log_space_on_long_sequences(obs, prior, learn, guess, slip):
    from coachkit.progress.tracing import sequence_loglik
    got = sequence_loglik(np.array(obs), prior=prior, learn=learn, guess=guess, slip=slip)
    assert got == pytest.approx(log_space_loglik(obs, prior, learn, guess, slip), abs=1e-6)
