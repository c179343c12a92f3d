"""``mastery`` and ``compare_methods``: evidence in, one row per (student, target) out."""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..partitioning import CONTAINS, dask_aware, partition_by_student, partition_key
from ..schema import MASTERY_LINE, SCALE_MAX, SCALE_MIN, STAGES
from .methods import EPS, METHODS, NAT, get_method, nth_hit_date, run_method
from .prepare import COUNTED, Prepared, prepare
from .since import mastered_since
from .tracing import fit_knowledge_tracing

STAGE_DTYPE = pd.CategoricalDtype(list(STAGES), ordered=True)
MASTERY_COLUMNS = ["student_id", "target_id", "mastery", "n_evidence", "last_date",
                   "mastered", "stage", "mastered_date"]


# ------------------------------------------------- custom mastery methods on Dask workers
class _ShippedMethod:
    """A registered (non built-in) mastery method carried to the workers by value: a
    vectorized callable the pandas ``mastery`` accepts, running the method as registered
    (per-pair methods keep their per-pair loop, a running form goes along)."""

    def __init__(self, method):
        self.method = method
        self.__name__ = method.name
        self.running = method.running

    def __call__(self, pairs, **params):
        return run_method(self.method, pairs, params)


def ship_method(arguments: dict) -> dict:
    """``prepare`` hook of ``mastery`` on Dask: methods registered in this process (a
    notebook cell's ``@register_method``) do not exist in the workers' processes; send
    them along. knowledge_tracing pools all students to fit: without ``params=`` it is
    first fitted on the cluster (``fit_knowledge_tracing`` on Dask: the E-step per
    partition, the expected counts summed here), on the evidence partitioned by student
    once, and the mastery then runs per partition on that same partitioning."""
    m = arguments.get("method")
    if m == "knowledge_tracing" and arguments.get("params") is None:
        ev = arguments["evidence"]
        pkey = partition_key(ev)
        if pkey != "student_id" and pkey not in CONTAINS["student_id"]:
            ev = partition_by_student(ev).persist()    # read by the fit, then the mastery
        fit = {k: arguments[k] for k in ("max_iter", "tol", "init", "max_guess", "max_slip")
               if k in arguments}
        table = fit_knowledge_tracing(ev, mastery_line=arguments.get("mastery_line", MASTERY_LINE),
                                      kinds=arguments.get("kinds", COUNTED),
                                      scale=arguments.get("scale", (SCALE_MIN, SCALE_MAX)),
                                      **fit)
        arguments = dict(arguments, evidence=ev, params=table)
    if isinstance(m, str) and m in METHODS and not METHODS[m].builtin:
        arguments = dict(arguments, method=_ShippedMethod(METHODS[m]))
    return arguments


@dask_aware("student_id", prepare=ship_method)   # Dask evidence: per student partition
def mastery(evidence: pd.DataFrame, method="decaying_average", *,
            mastery_line: float = MASTERY_LINE, kinds=COUNTED, scale=(SCALE_MIN, SCALE_MAX), **params) -> pd.DataFrame:
    """Mastery of every (student, target) pair in the evidence, by one method.

    Parameters
    ----------
    evidence : the evidence table (student_id, target_id, date, score; kind when ``kinds``
        is given). Scores are ordered by date, then by input order for same-day rows.
    method : a registered method name (see ``available_methods()``) or a vectorized
        function ``f(pairs, **params)``.
    mastery_line : the level that counts as mastered (3 = Proficient).
    kinds : evidence kinds that count, e.g. ``["summative", "retake"]``; None = all.
        Default: the district policy's default (summative, retake, observation; formative
        practice and self-assessment are shown but do not count) when the evidence has a
        kind column, else all (see ``coachkit.policy``). A pair whose evidence is all of
        other kinds stays in the table as ``i-learn`` with
        ``n_evidence`` 0 and no level.
    scale : the proficiency scale, (1, 4) by default; scores outside it are an error.
    **params : the method's parameters (``weight=0.75``, ``n=2`` …).

    Returns
    -------
    One row per pair, sorted by student then target (category order): student_id,
    target_id (category), mastery (float; for knowledge_tracing the probability the target
    is mastered), n_evidence, last_date (of the counted evidence), mastered (bool),
    stage (i-learn / i-practice / i-show), mastered_date (the day since which the pair has
    stayed mastered: the method's level on the evidence through that day is at or above
    the line, through the evidence day before it is not, and it has not dropped below
    since; for n_times the day of the n-th qualifying score, for knowledge_tracing the
    day P(mastered) reached the threshold; NaT when not mastered, see
    docs/progress.md), plus any columns the method adds (``fit`` for best_fit).
    """
    m = get_method(method)
    prep = prepare(evidence, mastery_line=mastery_line, kinds=kinds, scale=scale)
    res = run_method(m, prep.pairs, params)
    if "mastered_date" not in res:
        res["mastered_date"] = mastered_since(m, prep.pairs, params, res)
    res.pop("running", None)
    return assemble(prep, res)


def _spread(prep: Prepared, values, fill, dtype=None):
    """Per counted pair -> per output pair."""
    n_all = len(prep.student_codes)
    if isinstance(values, pd.Categorical):
        codes = np.full(n_all, -1, dtype=values.codes.dtype)
        codes[prep.counted] = values.codes
        return pd.Categorical.from_codes(codes, dtype=values.dtype)
    values = np.asarray(values)
    if len(prep.counted) == n_all:               # every pair counted: nothing to spread
        return values.astype(dtype or values.dtype, copy=False)
    out = np.full(n_all, fill, dtype=dtype or values.dtype)
    out[prep.counted] = values
    return out


def _frame_base(prep: Prepared) -> dict:
    return {
        "student_id": pd.Categorical.from_codes(prep.student_codes, categories=prep.students),
        "target_id": pd.Categorical.from_codes(prep.target_codes, categories=prep.targets),
    }


def _dates(ns: np.ndarray) -> np.ndarray:
    return ns.view("datetime64[ns]")


def assemble(prep: Prepared, res: dict) -> pd.DataFrame:
    p = prep.pairs
    line = p.mastery_line
    level = res["mastery"]
    mastered = res.get("mastered")
    if mastered is None:
        mastered = level >= line - EPS
    mastered = np.asarray(mastered, dtype=bool)
    mdate = res.get("mastered_date")
    if mdate is None:
        mdate = nth_hit_date(p, 1) if p.n_pairs else np.zeros(0, np.int64)
        # mastered without a score at the line: the last date
        mdate = np.where(mdate == NAT, p.last_date, mdate)
    mdate = np.where(mastered, mdate, NAT)
    n = _spread(prep, p.counts, 0, np.int32)
    mastered_all = _spread(prep, mastered, False, bool)
    stage_codes = np.where(n == 0, 0, np.where(mastered_all, 2, 1)).astype(np.int8)
    cols = _frame_base(prep) | {
        "mastery": _spread(prep, level, np.nan, float),
        "n_evidence": n,
        "last_date": _dates(_spread(prep, p.last_date, NAT, np.int64)),
        "mastered": mastered_all,
        "stage": pd.Categorical.from_codes(stage_codes, dtype=STAGE_DTYPE),
        "mastered_date": _dates(_spread(prep, mdate, NAT, np.int64)),
    }
    for k, v in res.items():
        if k not in cols and k not in ("mastered", "mastered_date"):
            cols[k] = _spread(prep, v, np.nan if np.asarray(v).dtype.kind == "f" else None,
                              None if np.asarray(v).dtype.kind == "f" else object) \
                if not isinstance(v, pd.Categorical) else _spread(prep, v, None)
    return pd.DataFrame(cols)


def compare_methods(evidence: pd.DataFrame, methods=None, *,
                    mastery_line: float = MASTERY_LINE, kinds=COUNTED, min_evidence: int = 3, scale=(SCALE_MIN, SCALE_MAX),
                    params: dict | None = None) -> pd.DataFrame:
    """Every method's level side by side, one row per (student, target).

    Columns: student_id, target_id, n_evidence, last_date, one column per method (its
    level; knowledge_tracing gives a probability), ``mastered_by`` (how many methods call
    the pair mastered), ``disagree`` (some methods say mastered and others not) and
    ``low_evidence`` (fewer than ``min_evidence`` counted scores). ``params`` gives
    per-method parameters, e.g. ``{"n_times": {"n": 2}}``. The evidence is checked and
    sorted once for all methods.
    """
    if methods is None:
        methods = list(DEFAULT_COMPARE)
    if isinstance(methods, str):
        methods = [methods]
    if not methods:
        raise ValueError("methods must name at least one mastery method")
    if isinstance(min_evidence, bool) or not isinstance(min_evidence, (int, np.integer)) \
            or min_evidence < 0:
        raise ValueError(f"min_evidence must be a whole number >= 0; got {min_evidence!r}")
    params = dict(params or {})
    ms = [get_method(m) for m in methods]
    stray = [k for k in params if k not in [m.name for m in ms]]
    if stray:
        raise ValueError(f"params names method(s) not compared: {', '.join(stray)}; "
                         f"compared: {', '.join(m.name for m in ms)}")
    prep = prepare(evidence, mastery_line=mastery_line, kinds=kinds, scale=scale)
    p = prep.pairs
    n = _spread(prep, p.counts, 0, np.int32)
    cols = _frame_base(prep) | {
        "n_evidence": n,
        "last_date": _dates(_spread(prep, p.last_date, NAT, np.int64)),
    }
    votes = np.zeros(len(n), dtype=np.int16)
    for m in ms:
        res = run_method(m, p, params.get(m.name, {}))
        level = res["mastery"]
        mastered = res.get("mastered")
        if mastered is None:
            mastered = level >= p.mastery_line - EPS
        cols[m.name] = _spread(prep, level, np.nan, float)
        votes += _spread(prep, np.asarray(mastered, bool), False, bool)
    cols["mastered_by"] = votes
    cols["disagree"] = (votes > 0) & (votes < len(ms))
    cols["low_evidence"] = n < min_evidence
    return pd.DataFrame(cols)


DEFAULT_COMPARE = ("most_recent", "highest", "mean", "mode", "decaying_average",
                   "weighted_average", "n_times", "power_law", "best_fit",
                   "knowledge_tracing")
