"""Mastery methods and their registry.

A method turns the dated scores of one (student, target) pair into a level. Every method
here works on all pairs at once (see :mod:`coachkit.progress.prepare`): it receives a
:class:`~coachkit.progress.prepare.Pairs` and returns one value per pair, or a dict with
``"mastery"`` and optionally ``"mastered"`` (bool), ``"mastered_date"`` (int64 ns) and
extra columns. Notation below: a pair's scores in order s_0 … s_{k-1}, s_{k-1} the most
recent; ``line`` the mastery line.
"""
from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from . import prepare as prepare_module
from .prepare import Pairs, small_int_dtype

EPS = 1e-6            # float32 scores: 2.6 is stored as 2.5999999; compare with a tolerance
NAT = np.iinfo(np.int64).min


@dataclass(frozen=True)
class Method:
    name: str
    func: Callable
    per_pair: bool = False
    builtin: bool = False
    running: Callable | None = None    # level or flag on the evidence through each row

    @property
    def params(self) -> dict:
        sig = inspect.signature(self.func)
        skip = 1
        return {k: v.default for k, v in list(sig.parameters.items())[skip:]
                if v.kind in (v.KEYWORD_ONLY, v.POSITIONAL_OR_KEYWORD)}

    @property
    def doc(self) -> str:
        return inspect.getdoc(self.func) or ""


METHODS: dict[str, Method] = {}


def register_method(name: str, *, per_pair: bool = False, replace: bool = False,
                    running: Callable | None = None, _builtin: bool = False):
    """Register a mastery method under ``name``; it then works by name everywhere
    (``mastery``, ``compare_methods``, ``growth``, protocols and dashboards).

    Vectorized (default): ``func(pairs, **params)`` gets a ``Pairs`` (scores sorted by
    pair, date, input order; ``pairs.starts``/``pairs.counts`` delimit each pair) and
    returns one level per pair, or a dict with ``"mastery"`` and optional ``"mastered"``,
    ``"mastered_date"`` and extra columns.

    ``per_pair=True``: ``func(scores, **params)`` gets one pair's scores (oldest first)
    and returns a number. Handy for trying an idea; it runs a Python loop over pairs, so
    write the vectorized form before using it on a district.

    ``running``: optional ``running(pairs, **params)`` giving, per row, the level (or the
    mastered flag) on the pair's evidence up to and including that row, vectorized; it
    dates when each pair was mastered (``mastered_date``). Without it the method is run
    on every prefix of every pair that ends on a day: exact, but slow on long sequences.

    Built-in names can only be replaced with ``replace=True``; a custom name registered
    again (re-running a notebook cell) replaces the earlier one.
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"method name must be an identifier such as 'my_method'; "
                         f"got {name!r}")

    def deco(func):
        old = METHODS.get(name)
        if old is not None and old.builtin and not replace:
            raise ValueError(f"{name!r} is a built-in mastery method; pass replace=True "
                             "to replace it, or choose another name")
        METHODS[name] = Method(name, func, per_pair=per_pair, builtin=_builtin,
                               running=running)
        return func
    return deco


def get_method(method) -> Method:
    if callable(method) and not isinstance(method, str):
        return Method(getattr(method, "__name__", "custom"), method,
                      running=getattr(method, "running", None))
    if method not in METHODS:
        raise ValueError(f"unknown mastery method {method!r}; expected one of "
                         f"{', '.join(sorted(METHODS))} (or register one with "
                         "coachkit.progress.register_method)")
    return METHODS[method]


def available_methods() -> pd.DataFrame:
    """The registered methods: name, parameters with defaults, first line of the doc."""
    return pd.DataFrame([{"method": m.name, "params": m.params, "builtin": m.builtin,
                          "summary": m.doc.split("\n")[0]} for m in METHODS.values()])


def run_method(m: Method, pairs: Pairs, params: dict) -> dict:
    """Run a method and normalise its answer to a dict of per-pair arrays."""
    allowed = m.params
    takes_any = any(p.kind == p.VAR_KEYWORD
                    for p in inspect.signature(m.func).parameters.values())
    unknown = [k for k in params if k not in allowed]
    if unknown and not takes_any:
        raise ValueError(f"method {m.name!r} takes parameter(s) "
                         f"{', '.join(allowed) or 'none'}; got {', '.join(unknown)}")
    if pairs.n_pairs == 0:
        # no counted evidence (e.g. only formative scores): still ask the method, so the
        # table has the columns it adds (best_fit's fit); not every method takes empty input
        try:
            out = {} if m.per_pair else m.func(pairs, **params)
        except Exception:
            out = {}
        res = {k: v[:0] for k, v in (out.items() if isinstance(out, dict) else [])
               if k != "mastery"}
        return {"mastery": np.zeros(0), **res}
    if m.per_pair:
        groups = np.split(pairs.score, pairs.starts[1:])
        out = np.array([float(m.func(g, **params)) for g in groups], dtype=float)
    else:
        out = m.func(pairs, **params)
    res = dict(out) if isinstance(out, dict) else {"mastery": out}
    if "mastery" not in res:
        raise ValueError(f"method {m.name!r} returned a dict without 'mastery'")
    for k, v in res.items():
        if k == "running":                       # per row: the flag through each row
            if len(v) != len(pairs.score):
                raise ValueError(f"method {m.name!r} returned {len(v)} running flags; "
                                 f"expected one per score ({len(pairs.score)})")
        elif len(v) != pairs.n_pairs:
            raise ValueError(f"method {m.name!r} returned {len(v)} values for {k!r}; "
                             f"expected one per pair ({pairs.n_pairs})")
    res["mastery"] = np.asarray(res["mastery"], dtype=float)
    return res


def nth_hit_date(p: Pairs, n: int = 1, hits: np.ndarray | None = None) -> np.ndarray:
    """Per pair, the date (int64 ns) of the n-th score at or above the mastery line (NaT
    when there are fewer). ``hits``: the per-pair count of such scores, when known."""
    if n != 1:
        # the rows at the line, in order; pair p's own start after the hits of the pairs
        # before it, so its n-th is at index (hits before p) + n - 1
        hit = p.score >= p.mastery_line - EPS
        rows = np.flatnonzero(hit)
        if hits is None:
            hits = p.sum(hit.view(np.int8).astype(np.int64))
        before = np.cumsum(hits) - hits
        has = hits >= n
        out = np.full(p.n_pairs, NAT, dtype=np.int64)
        out[has] = p.dates_of(rows[before[has] + (n - 1)])
        return out
    # Rows are in date order inside each pair, so the first score at the line is on the
    # pair's earliest date among its scores at the line: a per-pair minimum of the date
    # rank over those rows (len(date_values) = none), no row positions needed.
    # miss * none + rank >= none marks rows below the line (arithmetic on the small rank
    # dtype is several times faster than np.where); the rank dtype holds 2 * none.
    none = len(p.date_values)
    miss = (p.score < p.mastery_line - EPS).view(np.int8).astype(p.date_rank.dtype)
    miss *= none
    miss += p.date_rank
    first = np.minimum.reduceat(miss, p.starts) if p.n_pairs else miss[:0]
    out = np.full(p.n_pairs, NAT, dtype=np.int64)
    got = first < none
    out[got] = p.date_values[first[got]]
    return out


def nth_hit_date_general(p: Pairs, n: int = 1) -> np.ndarray:
    """``nth_hit_date`` the plain way, with a running count of hits per row (the tests
    check ``nth_hit_date`` against it)."""
    hit = p.score >= p.mastery_line - EPS
    out = np.full(p.n_pairs, NAT, dtype=np.int64)
    c = np.cumsum(hit)
    before = (c - hit)[p.starts]                # hits before each pair starts
    rows = np.flatnonzero(hit & (c - np.repeat(before, p.counts) == n))
    out[p.pair[rows]] = p.dates_of(rows)
    return out


def factorize_scores(score: np.ndarray):
    """Codes and distinct values of float64 scores (hashing the bits is ~10x faster than
    hashing floats; scores are never NaN here)."""
    codes, uniq = pd.factorize(np.ascontiguousarray(score, dtype=np.float64).view(np.int64))
    return codes.astype(np.int64), uniq.view(np.float64)


def _check_weight(weight):
    if isinstance(weight, bool) or not isinstance(weight, (int, float, np.number)) \
            or not 0 < weight <= 1:
        raise ValueError(f"weight must be a number in (0, 1] (Canvas uses 0.65, Schoology "
                         f"0.75); got {weight!r}")
    return float(weight)


def _sorted_within_pairs(p: Pairs, descending=True) -> np.ndarray:
    """Row order that keeps pairs in place and sorts each pair's scores (ties: later
    rows first)."""
    codes, uniq = factorize_scores(p.score)
    dt = small_int_dtype(len(uniq))
    rank = np.empty(len(uniq), dtype=dt)
    rank[np.argsort(-uniq if descending else uniq, kind="stable")] = np.arange(len(uniq))
    vrank = rank[codes]
    del codes
    n = len(p.score)
    rb, vb = int(n - 1).bit_length() or 1, int(len(uniq) - 1).bit_length() or 1
    pb = int(p.n_pairs - 1).bit_length() or 1
    if rb + vb + pb <= prepare_module.KEY_BITS:
        # key = pair | score rank | (n - 1 - row), built a block of rows at a time
        key = np.repeat(np.arange(p.n_pairs, dtype=np.int64) << (vb + rb), p.counts)
        step = prepare_module.CHUNK
        for i in range(0, n, step):
            j = min(i + step, n)
            k = key[i:j]
            k |= np.left_shift(vrank[i:j], rb, dtype=np.int64)
            k |= np.arange(n - 1 - i, n - 1 - j, -1, dtype=np.int64)
        key.sort()
        key &= (1 << rb) - 1
        return np.subtract(n - 1, key, out=key)
    rowkey = (n - 1) - np.arange(n)             # later rows first among equal scores
    return np.lexsort((rowkey, vrank, p.pair))


# --------------------------------------------------------------------------- built-ins

def _builtin(name, running=None):
    return register_method(name, replace=True, _builtin=True, running=running)


# ------------------------------------------------- row passes shared by the fits below

#: rows per block of the fits' passes (small: a dozen temporaries per block stay in cache)
FIT_BLOCK = 1 << 16


def blocks(p: Pairs, rows: int | None = None):
    """Blocks of whole pairs, about ``rows`` rows each (default ``FIT_BLOCK``, at most
    ``CHUNK``): (first pair, end pair, first row, end row). Work done a block at a time
    keeps every temporary small (an 80 MB array per temporary at 10 million rows
    otherwise) and running sums short."""
    n = len(p.score)
    if not p.n_pairs:
        return
    step = max(1, min(rows or FIT_BLOCK, prepare_module.CHUNK))
    cuts = np.unique(np.searchsorted(p.starts, np.arange(0, n, step), side="left"))
    cuts = np.append(cuts[cuts < p.n_pairs], p.n_pairs)
    if cuts[0] != 0:
        cuts = np.r_[0, cuts]
    for a, b in zip(cuts[:-1], cuts[1:]):
        yield int(a), int(b), int(p.starts[a]), int(p.starts[b]) if b < p.n_pairs else n


def log_tables(kmax: int):
    """log t for t = 1 .. kmax, and its running sums of log t and log² t (a pair of k
    attempts has Σ log t = cum[k − 1]: sums over positions only need no row pass)."""
    lt = np.log(np.arange(1, max(kmax, 1) + 1, dtype=float))
    return lt, np.cumsum(lt), np.cumsum(lt * lt)


def check_positive(p: Pairs):
    if p.scale[0] > 0:                          # checked against the scale already
        return
    if (p.score <= 0).any():
        raise ValueError("power_law needs positive scores (it fits log(score)); "
                         f"found a minimum of {p.score.min():g}")


def short_mean(score, starts, counts):
    """Mean of pairs of one or two scores (as a sum over the pair would give it)."""
    nxt = np.minimum(starts + 1, len(score) - 1)
    return np.where(counts == 1, score[starts], (score[starts] + score[nxt]) / 2)


def power_from_sums(k, sx, sxx, sy, sxy):
    """log a and b of the least-squares fit log s = log a + b·log t from the sums."""
    den = k * sxx - sx * sx
    with np.errstate(invalid="ignore", divide="ignore"):
        b = np.where(den > 0, (k * sxy - sx * sy) / np.where(den > 0, den, 1), 0.0)
    return (sy - b * sx) / k, b


def linear_from_sums(k, st, stt, ss, sts):
    """c, d of the least-squares line s = c + d·t, and Sxy·k = k·Σts − Σt·Σs."""
    kxy = k * sts - st * ss
    den = k * stt - st * st
    with np.errstate(invalid="ignore", divide="ignore"):
        d = np.where(den > 0, kxy / np.where(den > 0, den, 1), 0.0)
    return (ss - d * st) / k, d, kxy


@_builtin("most_recent")
def most_recent(p: Pairs):
    """The most recent score: m = s_{k-1} (by date, then input order)."""
    return p.score[p.last]


@_builtin("highest")
def highest(p: Pairs):
    """The highest score ever: m = max_i s_i (mastered since the first score at the
    line)."""
    return {"mastery": np.maximum.reduceat(p.score, p.starts),
            "mastered_date": nth_hit_date(p, 1)}


@_builtin("mean")
def mean(p: Pairs):
    """The average of all scores: m = (s_0 + … + s_{k-1}) / k."""
    return p.sum(p.score) / p.counts


@_builtin("mode")
def mode(p: Pairs):
    """The most frequent score; among equally frequent scores, the one given most
    recently."""
    codes, uniq = factorize_scores(p.score)
    nv = max(len(uniq), 1)
    n = len(p.score)
    comb = np.repeat(np.arange(0, p.n_pairs * nv, nv), p.counts)
    comb += codes                                # (pair, score) cell of each row
    del codes
    if p.n_pairs * nv <= 2 * n:                  # few distinct scores: a dense table
        # each row carries (how often its score occurs in its pair, row number); the
        # pair's largest such key is the latest row of its most frequent score
        count = np.bincount(comb, minlength=p.n_pairs * nv)
        key = count[comb]
        del count, comb
        key *= n + 1
        key += np.arange(n)
        best = np.maximum.reduceat(key, p.starts)
        return p.score[best % (n + 1)]
    rb = int(n - 1).bit_length() or 1
    if (int(comb.max()).bit_length() or 1) + rb <= 63:
        key = (comb << rb) | np.arange(n)
        key.sort()
        rows, comb_s = key & ((1 << rb) - 1), key >> rb
    else:
        rows = np.lexsort((np.arange(n), comb))
        comb_s = comb[rows]
    gstart = np.concatenate([[0], np.flatnonzero(comb_s[1:] != comb_s[:-1]) + 1])
    gend = np.append(gstart[1:], n)
    count = gend - gstart
    lastrow = rows[gend - 1]                    # rows ascend inside a group: last = latest
    gpair = comb_s[gstart] // nv
    rank = count * (n + 1) + lastrow
    pstart = np.concatenate([[0], np.flatnonzero(gpair[1:] != gpair[:-1]) + 1])
    best = np.maximum.reduceat(rank, pstart)
    win = rank == np.repeat(best, np.diff(np.append(pstart, len(gpair))))
    return p.score[lastrow[win]]


@_builtin("decaying_average")
def decaying_average(p: Pairs, weight: float = 0.65):
    """Rolling update m_0 = s_0, m_j = w·s_j + (1−w)·m_{j−1}; in closed form
    m = (1−w)^{k−1}·s_0 + Σ_{i=1}^{k−1} w·(1−w)^{k−1−i}·s_i. Default w = 0.65 (Canvas);
    Schoology uses 0.75. Canvas's check: 1, 2, 3, 4, 5 at w = 0.65 → 4.47."""
    w = _check_weight(weight)
    decay = np.power(1.0 - w, np.arange(p.counts.max(), dtype=float))
    coef = (decay * w)[p.from_end_small]         # (1−w)^{k−1−i}·w, looked up by row
    coef[p.starts] = decay[p.counts - 1]         # the first score has no factor w
    coef *= p.score
    return p.sum(coef)


@_builtin("weighted_average")
def weighted_average(p: Pairs, weight: float = 0.65):
    """Canvas's older method: m = w·s_{k−1} + (1−w)·mean(s_0 … s_{k−2}); a single score
    is its own level. 1, 2, 3, 4, 5 at w = 0.65 → 0.65·5 + 0.35·2.5 = 4.125."""
    w = _check_weight(weight)
    last = p.score[p.last]
    k = p.counts
    earlier = (p.sum(p.score) - last) / np.maximum(k - 1, 1)
    return np.where(k > 1, w * last + (1 - w) * earlier, last)


#: n_times counts score values in a table (pairs x distinct values) when it has at most
#: 4 cells per row plus this many; else it sorts the block (the tests set it negative)
TABLE_SLACK = 1024


@_builtin("n_times")
def n_times(p: Pairs, n: int = 3):
    """Mastered once n scores reach the mastery line; the level is the average of the n
    best scores (of all scores when there are fewer than n)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be a whole number >= 1; got {n!r}")
    level = np.empty(p.n_pairs)
    hits = np.empty(p.n_pairs, np.int64)
    line = p.mastery_line - EPS
    for a, b, r0, r1 in blocks(p, prepare_module.CHUNK):   # whole pairs a block at a time
        sc, cnt = p.score[r0:r1], p.counts[a:b]
        st = p.starts[a:b] - r0
        codes, uniq = factorize_scores(sc)
        nv, npairs = len(uniq), b - a
        if npairs * nv <= 4 * len(sc) + TABLE_SLACK:
            # few distinct scores: count each value per pair (one bincount, no sort);
            # walking the values from the highest, take up to n of them
            desc = np.argsort(-uniq, kind="stable")
            rank = np.empty(nv, np.int64)
            rank[desc] = np.arange(nv)
            comb = np.repeat(np.arange(0, npairs * nv, nv, dtype=np.int64), cnt)
            comb += rank[codes]
            table = np.bincount(comb, minlength=npairs * nv).reshape(npairs, nv)
            above = np.cumsum(table, axis=1)
            above -= table                       # scores ranked above each value
            take = np.clip(n - above, 0, table)
            level[a:b] = (take * uniq[desc]).sum(axis=1)
            hits[a:b] = table[:, uniq[desc] >= line].sum(axis=1)
        else:                                    # many distinct scores: sort the block
            pair = np.repeat(np.arange(npairs), cnt)
            order = np.lexsort((-sc, pair))
            pos = np.arange(len(sc)) - np.repeat(st, cnt)
            level[a:b] = np.add.reduceat(np.where(pos < n, sc[order], 0.0), st)
            hits[a:b] = np.add.reduceat((sc >= line).astype(np.int64), st)
    level /= np.minimum(p.counts, n)
    return {"mastery": level, "mastered": hits >= n,
            "mastered_date": nth_hit_date(p, n, hits=hits)}


def _power_block(blk: "_Block", z, lt, clt, clt2):
    """log a, b of each pair of a block (sums over t from tables, Σ log s and
    Σ log t·log s in one complex reduceat)."""
    np.log(blk.score, out=z.real)
    np.multiply(lt[blk.pos], z.real, out=z.imag)
    t = np.add.reduceat(z, blk.starts)
    c = blk.counts - 1
    return power_from_sums(blk.counts.astype(float), clt[c], clt2[c], t.real, t.imag)


def _by_blocks(p: Pairs, work, n_out: int):
    """Run ``work(block, complex buffer, log tables) -> tuple of per-pair arrays`` on
    every block of whole pairs; the results put together (``n_out`` arrays)."""
    out = [np.empty(p.n_pairs) for _ in range(n_out)]
    tables = log_tables(int(p.counts.max()) if p.n_pairs else 1)
    buf = np.empty(2 * FIT_BLOCK, np.complex128)
    for a, b, r0, r1 in blocks(p):
        if r1 - r0 > len(buf):
            buf = np.empty(r1 - r0, np.complex128)
        for o, v in zip(out, work(_Block(p, a, b, r0, r1), buf[: r1 - r0], *tables)):
            o[a:b] = v
    return out


def _power_fit(p: Pairs):
    """Least squares of log s = log a + b·log t, t = 1..k, per pair (closed form)."""
    check_positive(p)
    return _by_blocks(p, _power_block, 2)


def _running_flags(p: Pairs, level_of_block):
    """Per row, the mastered flag on the pair's evidence through that row, computed a
    block of whole pairs at a time by ``level_of_block(block)`` (levels per row)."""
    out = np.empty(len(p.score), dtype=bool)
    line = p.mastery_line - EPS
    for a, b, r0, r1 in blocks(p):
        blk = _Block(p, a, b, r0, r1)
        out[r0:r1] = level_of_block(blk) >= line
    return out


class _Block:
    """The rows of a block of whole pairs with running (within pair) sums at hand."""

    def __init__(self, p: Pairs, a, b, r0, r1):
        self.score = p.score[r0:r1]
        self.starts = p.starts[a:b] - r0
        self.counts = p.counts[a:b]
        self.pos = p.pos_small[r0:r1]
        self.date_rank = p.date_rank[r0:r1]
        self.scale, self.line = p.scale, p.mastery_line
        self.k = self.pos + 1.0                   # attempts through each row

    def running(self, z):
        """Sums within each pair through each row (block-local: short sums)."""
        c = np.cumsum(z)
        c -= np.repeat((c - z)[self.starts], self.counts)
        return c

    def running_mean(self, run_s):
        return run_s / self.k

    def day_end(self):
        end = np.ones(len(self.score), dtype=bool)
        if len(end) > 1:
            np.not_equal(self.date_rank[1:], self.date_rank[:-1], out=end[:-1])
        end[self.starts + self.counts - 1] = True
        return end


def _power_running_block(blk: _Block):
    lt, clt, clt2 = log_tables(int(blk.counts.max()))
    s, pos = blk.score, blk.pos
    z = np.empty(len(s), np.complex128)
    np.log(s, out=z.real)
    np.multiply(lt[pos], z.real, out=z.imag)
    c = blk.running(z)
    out = s.copy()                               # one score: itself
    one = np.flatnonzero(pos == 1)               # two: their mean
    out[one] = (s[one - 1] + s[one]) / 2
    rows = np.flatnonzero(pos >= 2)
    pr = pos[rows]
    loga, b = power_from_sums(blk.k[rows], clt[pr], clt2[pr], c.real[rows], c.imag[rows])
    out[rows] = np.clip(np.exp(loga + b * lt[pr]), *blk.scale)
    return out


def _power_law_running(p: Pairs):
    check_positive(p)
    return _running_flags(p, _power_running_block)


@_builtin("power_law", running=_power_law_running)
def power_law(p: Pairs):
    """Marzano's trend: fit s = a·t^b over attempts t = 1..k by least squares of
    log s = log a + b·log t; the level is a·k^b clipped to the scale. Fewer than 3 scores:
    the mean."""
    loga, b = _power_fit(p)
    k = p.counts.astype(float)
    val = np.clip(np.exp(loga + b * np.log(k)), *p.scale)
    short = p.counts < 3
    val[short] = short_mean(p.score, p.starts[short], p.counts[short])
    return val


FITS = ("mean", "linear", "power_law")


def _choose(sse_mean, sse_lin, sse_pow):
    """Index of the fit with the least squared error; within a relative 1e-9 of the
    least, the simpler fit (mean, then linear)."""
    sse = np.stack([sse_mean, sse_lin, sse_pow])
    low = sse.min(axis=0)
    tol = 1e-9 * (1.0 + low)
    return np.argmax(sse <= low + tol, axis=0)


def _mean_lin_sse(k, ss, sss, kxy, d):
    """Squared errors of the mean and of the line from running sums: Σ(s − m)² =
    Σs² − (Σs)²/k, and the line removes Sxy²/Sxx = d·Sxy of it; at or above 0."""
    sse_mean = np.maximum(sss - ss * ss / k, 0.0)
    return sse_mean, np.maximum(sse_mean - d * kxy / k, 0.0)


def _best_fit_running_block(blk: _Block):
    n = len(blk.score)
    lt, clt, clt2 = log_tables(int(blk.counts.max()))
    pos, k, s = blk.pos, blk.k, blk.score
    z = np.empty(n, np.complex128)
    z.real, z.imag = s, s * s
    c = blk.running(z)
    ss, sss = c.real.copy(), c.imag.copy()
    m = ss / k
    z.real = (pos + 1.0) * s
    np.log(s, out=z.imag)
    c = blk.running(z)
    sts, sy = c.real.copy(), c.imag.copy()
    z.real = lt[pos] * z.imag
    sxy = blk.running(z.real.copy())
    del z, c
    st, stt = k * (k + 1) / 2, k * (k + 1) * (2 * k + 1) / 6
    cc, d, kxy = linear_from_sums(k, st, stt, ss, sts)
    loga, b = power_from_sums(k, clt[pos], clt2[pos], sy, sxy)
    lo, hi = blk.scale
    vals = np.stack([np.clip(m, lo, hi), np.clip(cc + d * k, lo, hi),
                     np.clip(np.exp(loga + b * lt[pos]), lo, hi)])
    line = blk.line - EPS
    flags = vals >= line
    out = vals[0].copy()                          # fewer than 3 scores: the mean
    # where the three fits agree on mastered, the winner does not matter; elsewhere the
    # power law's squared error is summed over the prefix (the line's and the mean's
    # come from the running sums)
    open_ = (pos >= 2) & ~((flags[0] == flags[1]) & (flags[1] == flags[2]))
    open_ &= blk.day_end()
    agree = (pos >= 2) & ~open_
    out[agree] = vals[1][agree]                   # all three on the same side
    rows = np.flatnonzero(open_)
    if len(rows):
        length = pos[rows].astype(np.int64) + 1
        first = rows - pos[rows]
        cstart = np.zeros(len(rows), np.int64)
        np.cumsum(length[:-1], out=cstart[1:])
        src = np.repeat(first - cstart, length) + np.arange(int(length.sum()))
        owner = np.repeat(np.arange(len(rows)), length)
        r = s[src] - np.exp(loga[rows][owner] + b[rows][owner] * lt[pos[src]])
        sse_pow = np.add.reduceat(r * r, cstart)
        sse_mean, sse_lin = _mean_lin_sse(k[rows], ss[rows], sss[rows], kxy[rows], d[rows])
        which = _choose(sse_mean, sse_lin, sse_pow)
        out[rows] = vals[which, rows]
    return out


def _best_fit_running(p: Pairs):
    check_positive(p)
    return _running_flags(p, _best_fit_running_block)


def _best_fit_block(blk: "_Block", z, lt, clt, clt2):
    """Per pair of a block: level and chosen fit (0 mean, 1 linear, 2 power law)."""
    k = blk.counts.astype(float)
    s = blk.score
    z.real, z.imag = s, s * s
    t = np.add.reduceat(z, blk.starts)
    ss, sss = t.real.copy(), t.imag.copy()
    m = ss / k
    short = blk.counts < 3
    m[short] = short_mean(s, blk.starts[short], blk.counts[short])
    loga, b = _power_block(blk, z, lt, clt, clt2)
    np.multiply(blk.pos + 1.0, s, out=z.real)
    pred = np.repeat(b, blk.counts) * lt[blk.pos]
    pred += np.repeat(loga, blk.counts)
    np.exp(pred, out=pred)
    np.subtract(s, pred, out=z.imag)
    z.imag *= z.imag
    t = np.add.reduceat(z, blk.starts)
    sts, sse_pow = t.real, t.imag
    st, stt = k * (k + 1) / 2, k * (k + 1) * (2 * k + 1) / 6
    c, d, kxy = linear_from_sums(k, st, stt, ss, sts)
    sse_mean, sse_lin = _mean_lin_sse(k, ss, sss, kxy, d)
    which = np.where(short, 0, _choose(sse_mean, sse_lin, sse_pow))
    vals = np.stack([m, c + d * k, np.exp(loga + b * np.log(k))])
    level = np.clip(vals[which, np.arange(len(k))], *blk.scale)
    return level, which


@_builtin("best_fit", running=_best_fit_running)
def best_fit(p: Pairs):
    """As Empower does after Marzano: fit the mean, a linear trend s = c + d·t and the
    power law s = a·t^b; keep the fit with the least squared error Σ(s_t − fit_t)² (ties
    go to the simpler fit: mean, then linear) and report its value at t = k, clipped to
    the scale. Fewer than 3 scores: the mean. Adds a column ``fit``."""
    check_positive(p)
    level, which = _by_blocks(p, _best_fit_block, 2)
    fit = pd.Categorical.from_codes(which.astype(np.int8), categories=list(FITS))
    return {"mastery": level, "fit": fit}
