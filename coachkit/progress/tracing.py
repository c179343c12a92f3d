"""Bayesian Knowledge Tracing (Corbett & Anderson 1995), fitted by EM per target.

Two hidden states per (student, target): not yet known / known. Parameters per target:
``prior`` P(known before the first score), ``learn`` P(unknown -> known between scores),
``guess`` P(correct | unknown), ``slip`` P(incorrect | known); no forgetting. A score at or
above the mastery line counts as correct.

Fitting is Baum-Welch (forward-backward EM), vectorized over every sequence of every
target at once: sequences are laid out position by position (the loop runs over
positions 1..longest, never over students or pairs). Identical sequences of a target
(same length, same correct/incorrect pattern, up to ``PATTERN_MAX`` long) are fitted once
with their count as weight, which makes a district-sized fit cheap.

Bounds, applied after every M-step: prior and learn in [0.001, 0.999]; guess and slip in
[0.001, 0.45] by default (``max_guess``, ``max_slip``), keeping both below 0.5 so the
"known" state stays the one that answers correctly (the usual guard against degenerate
BKT models, Baker, Corbett & Aleven 2008).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..partitioning import is_dask
from ..schema import MASTERY_LINE, SCALE_MAX, SCALE_MIN
from .methods import EPS, register_method
from .prepare import COUNTED, Pairs, prepare

PARAMS = ("prior", "learn", "guess", "slip")
INIT = {"prior": 0.3, "learn": 0.15, "guess": 0.2, "slip": 0.1}
PATTERN_MAX = 40
LOW = 1e-3


class Sequences:
    """Distinct (target, pattern) sequences, longest first, in one flat array."""

    def __init__(self, p: Pairs):
        obs = (p.score >= p.mastery_line - EPS)
        k = p.counts
        short = k <= PATTERN_MAX
        bits = np.where(p.pos < PATTERN_MAX, obs.astype(np.int64) << np.minimum(p.pos, 62), 0)
        code = np.where(short, (np.int64(1) << np.minimum(k, 62)) | p.sum(bits),
                        (np.int64(1) << (PATTERN_MAX + 1)) + np.arange(p.n_pairs))
        tb = int(max(p.n_targets - 1, 1)).bit_length()
        if tb + PATTERN_MAX + 2 <= 63:
            inv, _ = pd.factorize((p.target << (PATTERN_MAX + 2)) | code)
        else:                                    # too many targets to pack: no sharing
            inv = np.arange(p.n_pairs)
        inv = inv.astype(np.int64)
        nu = int(inv.max()) + 1 if len(inv) else 0
        _, rep = np.unique(inv, return_index=True)
        weight = np.bincount(inv, minlength=nu).astype(float)
        length = k[rep]
        order = np.argsort(-length, kind="stable")            # longest first
        self.rank_of_unique = np.empty(nu, dtype=np.int64)
        self.rank_of_unique[order] = np.arange(nu)
        self.pair_seq = self.rank_of_unique[inv]              # pair -> sequence
        rep, length = rep[order], length[order]
        cstart = np.concatenate([[0], np.cumsum(length)[:-1]]).astype(np.int64)
        src = np.repeat(p.starts[rep] - cstart, length) + np.arange(int(length.sum()))
        self._layout(obs[src], weight[order], length, p.target[rep])

    def subset(self, keep_target: np.ndarray) -> "Sequences":
        """The sequences of some targets only (to stop fitting converged targets)."""
        keep = keep_target[self.target]
        rows = np.repeat(keep, self.length)
        out = object.__new__(Sequences)
        out._layout(self.obs[self.seq_major][rows], self.weight[keep], self.length[keep],
                    self.target[keep])
        return out

    def _layout(self, obs, weight, length, target):
        """Rows are stored position-major: position t of every sequence that long, then
        t + 1, …; as sequences are longest first, the rows at position t are the slice
        ``off[t] : off[t] + active[t]``, so every step of the passes reads and writes
        contiguous slices (no gathers). ``obs`` comes sequence by sequence."""
        self.weight, self.length, self.target = weight, length, target
        nseq = len(length)
        total = int(length.sum())
        maxlen = int(length.max()) if nseq else 0
        # active[t]: sequences longer than t (a prefix, as they are longest first)
        self.active = np.searchsorted(-length, -np.arange(maxlen), side="left")
        self.off = np.zeros(maxlen + 1, np.int64)
        np.cumsum(self.active, out=self.off[1:])
        self.maxlen = maxlen
        cstart = np.zeros(nseq, np.int64)
        np.cumsum(length[:-1], out=cstart[1:])
        seq = np.repeat(np.arange(nseq), length)
        pos = np.arange(total) - np.repeat(cstart, length)
        # seq_major[j]: the stored row of the j-th row in sequence order
        self.seq_major = self.off[pos] + seq
        self.obs = np.empty(total, dtype=bool)
        self.obs[self.seq_major] = obs
        self.row_target = np.empty(total, np.int64)
        self.row_target[self.seq_major] = np.repeat(self.target, length)
        self.row_weight = np.empty(total)
        self.row_weight[self.seq_major] = np.repeat(self.weight, length)
        self.is_first = np.zeros(total, dtype=bool)
        self.is_first[: self.active[0] if maxlen else 0] = True

    def at(self, t: int, k: int | None = None) -> slice:
        """The stored rows at position t of the first ``k`` sequences (default: all that
        long)."""
        a = int(self.off[t])
        return slice(a, a + int(self.active[t] if k is None else k))

    def row_of(self, seq: np.ndarray, pos: np.ndarray) -> np.ndarray:
        return self.off[pos] + seq


def _forward(s: Sequences, prm: dict):
    """Filtered P(known | scores up to t) and P(unknown | …) per row, and the log of
    each row's factor P(o_t | o_1 … o_{t−1}) (the scaled forward pass: the two state
    probabilities are renormalised every step, so nothing underflows). The two states
    are carried separately, never as p and 1 − p: after many correct answers P(unknown)
    is far below the rounding of 1 − P(known), and a run of incorrect answers can grow
    it back by orders of magnitude, so its relative precision matters."""
    post = np.empty(len(s.obs))
    post0 = np.empty(len(s.obs))
    logc = np.empty(len(s.obs))
    pred1 = prm["prior"][s.target]
    pred0 = (1 - prm["prior"])[s.target]
    slip, guess, learn_all = prm["slip"][s.target], prm["guess"][s.target], prm["learn"][s.target]
    for t in range(s.maxlen):
        r = s.at(t)
        k = r.stop - r.start
        o = s.obs[r]
        sl, gu = slip[:k], guess[:k]
        l1 = np.where(o, 1 - sl, sl)
        l0 = np.where(o, gu, 1 - gu)
        n1 = pred1[:k] * l1
        n0 = pred0[:k] * l0
        den = n0 + n1
        p1, p0 = n1 / den, n0 / den
        post[r], post0[r], logc[r] = p1, p0, np.log(den)
        learn = learn_all[:k]
        pred1 = p1 + p0 * learn
        pred0 = p0 * (1 - learn)
    return post, logc, post0


def loglik(s: Sequences, prm: dict) -> np.ndarray:
    """Log-likelihood per target code of the sequences under ``prm``: the scaled forward
    pass, Σ_t log P(o_t | o_1 … o_{t−1}), each factor a probability in (0, 1], so no
    product underflows however long the sequence."""
    _, logc, _ = _forward(s, prm)
    return np.bincount(s.row_target, weights=s.row_weight * logc, minlength=len(prm["prior"]))


def sequence_loglik(obs, *, prior: float, learn: float, guess: float, slip: float) -> float:
    """Log-likelihood of one correct/incorrect sequence under given parameters."""
    obs = np.asarray(obs, dtype=bool)
    s = object.__new__(Sequences)
    s._layout(obs, np.ones(1), np.array([len(obs)], dtype=np.int64), np.zeros(1, np.int64))
    prm = {k: np.array([float(v)]) for k, v in zip(PARAMS, (prior, learn, guess, slip))}
    return float(loglik(s, prm)[0])


#: rows of the M-step's sums, per target code: numerator and denominator of each
#: parameter, then the log-likelihood (``expected_counts``)
COUNTS = ("prior_num", "prior_den", "learn_num", "learn_den", "guess_num", "guess_den",
          "slip_num", "slip_den", "loglik")


def expected_counts(s: Sequences, prm: dict, active: np.ndarray | None = None) -> np.ndarray:
    """The E-step: forward-backward over the sequences under ``prm``, summed per target
    code into the M-step's numerators and denominators (array ``len(COUNTS) x targets``,
    rows as in ``COUNTS``). Sums over disjoint sets of sequences add up: the counts of
    all the evidence are the sum of the counts of its parts (one Dask partition each,
    see ``fit_dask``). ``active``: targets still fitted; the sequences of the others are
    left out when that saves work (their counts are then 0)."""
    m = len(prm["prior"])
    if active is not None and len(s.obs):
        keep = active[s.target]
        if np.repeat(keep, s.length).sum() < 0.7 * len(s.obs):
            s = s.subset(active)
    out = np.zeros((len(COUNTS), m))
    if not len(s.obs):
        return out
    post, logc, post0 = _forward(s, prm)
    n = len(s.obs)
    b0, b1 = np.ones(n), np.ones(n)
    xi01 = np.zeros(n)                           # expected unknown -> known after row t
    from0 = np.zeros(n)                          # P(unknown at t) for rows with a next row
    learn_all, guess_all, slip_all = (prm[k][s.target] for k in ("learn", "guess", "slip"))
    for t in range(s.maxlen - 2, -1, -1):
        k = int(s.active[t + 1])
        r, nx = s.at(t, k), s.at(t + 1)          # rows at t whose sequence goes on, next
        o = s.obs[nx]
        T, G, S = learn_all[:k], guess_all[:k], slip_all[:k]
        e1 = np.where(o, 1 - S, S) * b1[nx]
        e0 = np.where(o, G, 1 - G) * b0[nx]
        nb0 = (1 - T) * e0 + T * e1
        nb1 = e1
        z = nb0 + nb1
        b0[r], b1[r] = nb0 / z, nb1 / z
        a0, a1 = post0[r], post[r]
        j00, j01, j11 = a0 * (1 - T) * e0, a0 * T * e1, a1 * e1
        jz = j00 + j01 + j11
        xi01[r] = j01 / jz
        from0[r] = (j00 + j01) / jz
    g1 = post * b1
    g0 = post0 * b0
    z = g1 + g0
    g1, g0 = g1 / z, g0 / z
    w, tg = s.row_weight, s.row_target

    def tot(x):
        return np.bincount(tg, weights=w * x, minlength=m)

    first = s.is_first.astype(float)
    for i, x in enumerate((g1 * first, first, xi01, from0, g0 * s.obs, g0, g1 * ~s.obs, g1,
                           logc)):
        out[i] = tot(x)
    return out


def m_step(counts: np.ndarray, prm: dict, bounds: dict) -> dict:
    """New parameters from summed expected counts (a target without information keeps
    its current value), within the bounds."""
    new = {}
    with np.errstate(invalid="ignore", divide="ignore"):
        for i, k in enumerate(PARAMS):
            v = counts[2 * i] / counts[2 * i + 1]
            new[k] = np.clip(np.where(np.isfinite(v), v, prm[k]), *bounds[k])
    return new


def run_em(estep, prm: dict, active: np.ndarray, bounds: dict, max_iter: int, tol: float):
    """EM iterations with ``estep(prm, active) -> counts`` (summed expected counts). Each
    target stops when no parameter moved more than ``tol`` in an iteration and keeps the
    parameters of that iteration; the others go on, up to ``max_iter``. Returns (params,
    iterations, converged) per target code."""
    iters = np.zeros(len(active), dtype=np.int64)
    active = active.copy()
    for it in range(1, max_iter + 1):
        new = m_step(estep(prm, active), prm, bounds)
        change = np.max([np.abs(new[k] - prm[k]) for k in PARAMS], axis=0)
        iters[active] = it
        prm = {k: np.where(active, new[k], prm[k]) for k in PARAMS}
        active &= ~(change < tol)
        if not active.any():
            break
    return prm, iters, ~active


def _bounds(max_guess, max_slip):
    for name, v in (("max_guess", max_guess), ("max_slip", max_slip)):
        if not isinstance(v, (int, float)) or not LOW < v < 1:
            raise ValueError(f"{name} must be a number between {LOW} and 1 (below 0.5 keeps "
                             f"the model identifiable); got {v!r}")
    return {"prior": (LOW, 1 - LOW), "learn": (LOW, 1 - LOW),
            "guess": (LOW, float(max_guess)), "slip": (LOW, float(max_slip))}


def start_params(n_targets: int, *, max_iter=100, init=None, max_guess=0.45, max_slip=0.45):
    """Checked arguments: (initial params per target code, bounds)."""
    init = {**INIT, **(init or {})}
    bad = [k for k in init if k not in PARAMS]
    if bad:
        raise ValueError(f"init takes {', '.join(PARAMS)}; got {', '.join(bad)}")
    if isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)) or max_iter < 1:
        raise ValueError(f"max_iter must be a whole number >= 1; got {max_iter!r}")
    bounds = _bounds(max_guess, max_slip)
    m = max(n_targets, 1)
    return {k: np.full(m, float(np.clip(init[k], *bounds[k]))) for k in PARAMS}, bounds


def fit_pairs(p: Pairs, *, max_iter=100, tol=1e-3, init=None, max_guess=0.45, max_slip=0.45):
    """EM-fit BKT per target on arranged evidence. Each target stops when no parameter
    moves more than ``tol`` in an iteration. Returns (params dict of arrays per target
    code, log-likelihood, iterations, converged, the sequences), per target code."""
    prm, bounds = start_params(p.n_targets, max_iter=max_iter, init=init,
                               max_guess=max_guess, max_slip=max_slip)
    s = Sequences(p)
    active = np.zeros(len(prm["prior"]), dtype=bool)
    active[np.unique(s.target)] = True
    work = [s]

    def estep(prm, active):
        w = work[0]
        if np.repeat(active[w.target], w.length).sum() < 0.7 * len(w.obs):
            work[0] = w = w.subset(active)       # stop carrying converged targets
        return expected_counts(w, prm)

    prm, iters, converged = run_em(estep, prm, active, bounds, max_iter, tol)
    # the likelihood of the parameters returned
    return prm, loglik(s, prm), iters, converged, s


def p_mastered(p: Pairs, prm: dict, seqs: Sequences | None = None, *, rows: bool = False):
    """P(known) after each pair's last score, including the chance to learn from it:
    P = post + (1 − post)·learn (Corbett & Anderson's p(L_n)). ``rows=True``: also the
    same after every row of every pair (in pair order), to date the crossing."""
    s = seqs or Sequences(p)
    post, _, post0 = _forward(s, prm)
    learn = prm["learn"][s.row_target]
    after = post + post0 * learn
    last = s.row_of(np.arange(len(s.length)), s.length - 1)
    final = after[last][s.pair_seq]
    if not rows:
        return final
    return final, after[s.row_of(s.pair_seq[p.pair], p.pos)]


def _params_from_table(p: Pairs, table: pd.DataFrame) -> dict:
    need = ["target_id", *PARAMS]
    if not isinstance(table, pd.DataFrame) or any(c not in table.columns for c in need):
        raise ValueError(f"params must be a DataFrame with columns {', '.join(need)} "
                         "(as fit_knowledge_tracing returns)")
    t = table.drop_duplicates("target_id").set_index(table["target_id"].astype(str))
    labels = pd.Index(p.target_labels.astype(str))
    used = labels[np.unique(p.target)]
    missing = used.difference(t.index)
    if len(missing):
        raise ValueError(f"params has no row for target(s) {', '.join(missing[:5])}"
                         f"{' …' if len(missing) > 5 else ''}")
    t = t.reindex(labels)
    return {k: t[k].to_numpy(dtype=float) for k in PARAMS}


@register_method("knowledge_tracing", replace=True, _builtin=True)
def knowledge_tracing(p: Pairs, mastery_threshold: float = 0.95, params=None,
                      max_iter: int = 100, tol: float = 1e-3, init=None,
                      max_guess: float = 0.45, max_slip: float = 0.45):
    """Bayesian Knowledge Tracing: per target, EM-fit prior, learn, guess, slip from all
    students' sequences (score >= mastery line = correct); the level is P(mastered) after
    the last score, p(L_n) = post + (1 − post)·learn, where post is P(known | scores).
    Mastered when P >= ``mastery_threshold`` (0.95, Corbett & Anderson). Pass
    ``params=`` (a table from ``fit_knowledge_tracing``) to skip fitting."""
    if not isinstance(mastery_threshold, (int, float)) or not 0 < mastery_threshold <= 1:
        raise ValueError(f"mastery_threshold must be a probability in (0, 1]; "
                         f"got {mastery_threshold!r}")
    if params is None:
        prm, _, _, _, seqs = fit_pairs(p, max_iter=max_iter, tol=tol, init=init,
                                       max_guess=max_guess, max_slip=max_slip)
    else:
        prm, seqs = _params_from_table(p, params), None
    pm, per_row = p_mastered(p, prm, seqs, rows=True)
    tol = mastery_threshold - 1e-12
    return {"mastery": pm, "mastered": pm >= tol, "running": per_row >= tol}


def fit_knowledge_tracing(evidence: pd.DataFrame, *, mastery_line: float = MASTERY_LINE,
                          kinds=COUNTED, scale=(SCALE_MIN, SCALE_MAX), max_iter: int = 100,
                          tol: float = 1e-3, init: dict | None = None,
                          max_guess: float = 0.45, max_slip: float = 0.45) -> pd.DataFrame:
    """BKT parameters per target, fitted by EM (see the module docstring).

    Returns target_id, prior, learn, guess, slip, n_students (sequences), n_evidence,
    log_likelihood, iterations, converged (each target stops when no parameter moves more
    than ``tol`` in an EM iteration and keeps that iteration's parameters; ``converged``
    False means ``max_iter`` was reached).

    A Dask DataFrame is fitted on the cluster (``fit_dask``): the E-step per partition,
    the expected counts summed on the client; the same table as the pandas fit.
    """
    if is_dask(evidence):
        return fit_dask(evidence, mastery_line, kinds, scale=scale, max_iter=max_iter,
                        tol=tol, init=init, max_guess=max_guess, max_slip=max_slip)
    prep = prepare(evidence, mastery_line=mastery_line, kinds=kinds, scale=scale)
    p = prep.pairs
    cols = ["target_id", *PARAMS, "n_students", "n_evidence", "log_likelihood",
            "iterations", "converged"]
    if p.n_pairs == 0:
        return pd.DataFrame({c: [] for c in cols})
    prm, ll, it, conv, _ = fit_pairs(p, max_iter=max_iter, tol=tol, init=init,
                                     max_guess=max_guess, max_slip=max_slip)
    used = np.unique(p.target)
    return pd.DataFrame({
        "target_id": pd.Categorical.from_codes(used, categories=prep.targets),
        **{k: prm[k][used] for k in PARAMS},
        "n_students": np.bincount(p.target, minlength=p.n_targets)[used],
        "n_evidence": np.bincount(p.target, weights=p.counts,
                                  minlength=p.n_targets)[used].astype(np.int64),
        "log_likelihood": ll[used], "iterations": it[used], "converged": conv[used],
    })


# ------------------------------------------------------------------- fitted on Dask
class _Part:
    """What a worker keeps of its partition for the whole fit: the distinct sequences
    (in the partition's own target codes) and the partition's target labels."""

    def __init__(self, seqs, labels, n_students, n_evidence):
        self.seqs, self.labels = seqs, labels
        self.n_students, self.n_evidence = n_students, n_evidence


def _part_prepare(part, mastery_line, kinds, scale):
    from ..partitioning import as_pandas_strings
    part = as_pandas_strings(part.reset_index(drop=True))
    prep = prepare(part, mastery_line=mastery_line, kinds=kinds, scale=scale)
    p = prep.pairs
    if p.n_pairs == 0:
        return None
    nt = len(prep.targets)
    return _Part(Sequences(p), pd.Index(prep.targets), np.bincount(p.target, minlength=nt),
                 np.bincount(p.target, weights=p.counts, minlength=nt))


def _part_info(part):
    if part is None:
        return None
    return part.labels, part.n_students, part.n_evidence


def _part_counts(part, prm, active):
    """The E-step of one partition, in its own target codes (``prm``, ``active`` given
    in those codes)."""
    return expected_counts(part.seqs, prm, active)


def _part_loglik(part, prm):
    return loglik(part.seqs, prm)


def _client():
    """The distributed client in use, if any."""
    try:
        from distributed import default_client
        return default_client()
    except (ImportError, ValueError):
        return None


def fit_dask(evidence, mastery_line: float = MASTERY_LINE, kinds=COUNTED, *,
             scale=(SCALE_MIN, SCALE_MAX), max_iter: int = 100, tol: float = 1e-3,
             init: dict | None = None, max_guess: float = 0.45,
             max_slip: float = 0.45) -> pd.DataFrame:
    """``fit_knowledge_tracing`` on a Dask DataFrame: the standard way to fit an HMM on a
    cluster. The evidence is partitioned by student (the one shuffle, skipped when it is
    already), each partition's distinct sequences stay on its worker for the whole fit,
    every EM iteration runs the E-step (forward-backward expected counts) per partition,
    sums the counts on the client and runs the M-step there; the same convergence rule
    as the pandas fit. Equal to the pandas fit up to the rounding of the sums' order."""
    import dask

    from ..partitioning import CONTAINS, partition_by_student, partition_key
    pkey = partition_key(evidence)
    if pkey != "student_id" and pkey not in CONTAINS["student_id"]:
        evidence = partition_by_student(evidence)
    client = _client()
    if client is not None:
        # a distributed cluster: each partition's sequences stay on its worker as a
        # future; every iteration submits one small task per partition (no graph to build)
        parts = client.compute([dask.delayed(_part_prepare)(d, mastery_line, kinds, scale)
                                for d in evidence.to_delayed()])

        def run_all(func, *per_part):
            return client.gather([client.submit(func, part, *args, pure=False)
                                  for part, *args in zip(parts, *per_part)])
    else:
        parts = list(dask.persist(*[dask.delayed(_part_prepare)(d, mastery_line, kinds, scale)
                                    for d in evidence.to_delayed()]))

        def run_all(func, *per_part):
            return dask.compute(*[dask.delayed(func)(part, *args)
                                  for part, *args in zip(parts, *per_part)])
    info = run_all(_part_info)
    keep = [(p, i) for p, i in zip(parts, info) if i is not None]
    cols = ["target_id", *PARAMS, "n_students", "n_evidence", "log_likelihood",
            "iterations", "converged"]
    if not keep:
        return pd.DataFrame({c: [] for c in cols})
    from dask.dataframe.utils import has_known_categories
    meta = evidence._meta["target_id"]
    if isinstance(meta.dtype, pd.CategoricalDtype) and has_known_categories(evidence["target_id"]):
        labels = pd.Index(meta.cat.categories)
    else:                                         # text ids: sorted, as pandas factorizes
        labels = keep[0][1][0]
        for _, (lab, _, _) in keep[1:]:
            labels = labels.union(lab)
        labels = labels.sort_values()
    idx = [labels.get_indexer(i[0]) for _, i in keep]
    n_students = np.zeros(len(labels), np.int64)
    n_evidence = np.zeros(len(labels))
    for ix, (_, (_, ns, ne)) in zip(idx, keep):
        n_students[ix] += ns
        n_evidence[ix] += ne
    prm, bounds = start_params(len(labels), max_iter=max_iter, init=init,
                               max_guess=max_guess, max_slip=max_slip)
    active = n_students > 0
    parts = [p for p, _ in keep]

    def estep(prm, active):
        got = run_all(_part_counts, [{k: v[ix] for k, v in prm.items()} for ix in idx],
                      [active[ix] for ix in idx])
        total = np.zeros((len(COUNTS), len(labels)))
        for c, ix in zip(got, idx):
            total[:, ix] += c
        return total

    prm, iters, converged = run_em(estep, prm, active, bounds, max_iter, tol)
    lls = run_all(_part_loglik, [{k: v[ix] for k, v in prm.items()} for ix in idx])
    ll = np.zeros(len(labels))
    for v, ix in zip(lls, idx):
        ll[ix] += v
    used = np.flatnonzero(active)
    return pd.DataFrame({
        "target_id": pd.Categorical.from_codes(used, categories=labels),
        **{k: prm[k][used] for k in PARAMS},
        "n_students": n_students[used], "n_evidence": n_evidence[used].astype(np.int64),
        "log_likelihood": ll[used], "iterations": iters[used], "converged": converged[used],
    })
