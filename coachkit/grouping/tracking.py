"""Checking for tracking across cycles: fluidity, stuck students, group composition.

A *history* is the groups of several cycles stacked, one row per student and cycle:
``cycle_id, student_id, group`` (+ ``focus_sequence`` from flexible_groups, + the by-key
such as ``classroom_id`` when several classrooms are stacked). Group numbers only mean
something inside one cycle of one classroom; nothing here compares labels across cycles.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment
from scipy.stats import hypergeom

from ..errors import CoachkitDataError
from .. import checks, privacy
from .metrics import ari_table

CYCLE = "cycle_id"


def _keys(df: pd.DataFrame, by, name: str) -> list[str]:
    keys = checks.columns_list(by)
    checks.frame(df, name, keys)
    for col, fix in (("classroom_id", "by='classroom_id'"),):
        if col not in keys and col in df.columns and df[col].nunique() > 1:
            raise ValueError(f"{name} holds {df[col].nunique()} classrooms; pass {fix} so each "
                             f"classroom is checked on its own")
    return keys


def _history(history, cycle, by, name="history") -> tuple[pd.DataFrame, list[str]]:
    if not isinstance(cycle, str):
        raise ValueError(f"cycle must be a column name; got {cycle!r}")
    keys = _keys(history, by, name)
    checks.frame(history, name, keys + [cycle, "student_id", "group"],
                 hint=f"Stack the groups of each cycle with a {cycle!r} column: "
                      f"pd.concat([g1.assign({cycle}=1), g2.assign({cycle}=2), ...]).")
    checks.no_nulls(history, name, keys + [cycle, "student_id", "group"])
    checks.unique(history, name, keys + [cycle, "student_id"],
                  hint="One group per student per cycle.")
    return history, keys


# --------------------------------------------------------------------------- fluidity
def _consecutive(h: pd.DataFrame, keys: list[str], cycle: str) -> pd.DataFrame:
    """(keys…, cycle, next_cycle) for consecutive cycles present in each block."""
    cyc = h[keys + [cycle]].drop_duplicates().sort_values(keys + [cycle], kind="mergesort")
    if keys:
        cyc["next_cycle"] = cyc.groupby(keys, sort=False, observed=True)[cycle].shift(-1)
    else:
        cyc["next_cycle"] = cyc[cycle].shift(-1)
    return cyc.dropna(subset=["next_cycle"])


def _pairs(h: pd.DataFrame, keys: list[str], cycle: str) -> pd.DataFrame:
    """One row per student present in two consecutive cycles: group_from, group_to."""
    cyc = _consecutive(h, keys, cycle)
    base = h[keys + [cycle, "student_id", "group"]]
    a = base.merge(cyc, on=keys + [cycle], how="inner")
    b = base.rename(columns={cycle: "next_cycle", "group": "group_to"})
    a["next_cycle"] = a["next_cycle"].astype(h[cycle].dtype)
    p = a.merge(b, on=keys + ["next_cycle", "student_id"], how="inner")
    return p.rename(columns={cycle: "from_cycle", "next_cycle": "to_cycle",
                             "group": "group_from"})


def fluidity(history: pd.DataFrame, *, cycle: str = CYCLE, by=None,
             per_student: bool = False) -> pd.DataFrame:
    """How much groups change between consecutive cycles.

    For each pair of consecutive cycles (of each block of ``by``, e.g. ``"classroom_id"``):
    ``n_students`` present in both, ``n_changed`` and ``share_changed`` — students who did not
    stay with their group, where each group of the earlier cycle is matched to the group of
    the later cycle it shares most students with (one-to-one, maximum total overlap; group
    labels are never compared directly) — and ``ari``, the adjusted Rand index between the
    two groupings (1 = identical groups, ~0 = unrelated). Columns:
    [by…], from_cycle, to_cycle, n_students, n_changed, share_changed, ari.

    ``per_student=True`` returns instead one row per student and pair:
    [by…], student_id, from_cycle, to_cycle, group_from, group_to, changed.
    """
    h, keys = _history(history, cycle, by)
    p = _pairs(h, keys, cycle)
    pk = keys + ["from_cycle", "to_cycle"]
    out_cols = pk + ["n_students", "n_changed", "share_changed", "ari"]
    if p.empty:
        if per_student:
            return pd.DataFrame(columns=keys + ["student_id", "from_cycle", "to_cycle",
                                                "group_from", "group_to", "changed"])
        return pd.DataFrame(columns=out_cols)
    p["pair"] = p.groupby(pk, sort=True, observed=True).ngroup()
    cont = p.groupby(["pair", "group_from", "group_to"], sort=True, observed=True).size() \
        .rename("n_ij").reset_index()
    # ARI from sums of squares, all pairs at once
    sq = lambda s: (s.astype(np.float64) ** 2)  # noqa: E731
    per = cont.groupby("pair", sort=True)
    n = per["n_ij"].sum().to_numpy(dtype=np.float64)
    sum_sq = cont.assign(q=sq(cont["n_ij"])).groupby("pair", sort=True)["q"].sum().to_numpy()
    row_sq = (cont.groupby(["pair", "group_from"], sort=True)["n_ij"].sum().pow(2)
              .groupby(level="pair").sum().to_numpy(dtype=np.float64))
    col_sq = (cont.groupby(["pair", "group_to"], sort=True)["n_ij"].sum().pow(2)
              .groupby(level="pair").sum().to_numpy(dtype=np.float64))
    ari = ari_table(n, sum_sq, row_sq, col_sq)
    # one-to-one matching of groups with the largest total overlap, pair by pair
    ri = cont.groupby("pair", sort=True)["group_from"].rank(method="dense").to_numpy(int) - 1
    ci = cont.groupby("pair", sort=True)["group_to"].rank(method="dense").to_numpy(int) - 1
    v = cont["n_ij"].to_numpy()
    pair = cont["pair"].to_numpy()
    starts = np.flatnonzero(np.r_[True, pair[1:] != pair[:-1]])
    ends = np.r_[starts[1:], len(pair)]
    kept = np.zeros(len(cont), dtype=bool)
    for s, e in zip(starts, ends):
        r, c, w = ri[s:e], ci[s:e], v[s:e]
        mat = np.zeros((r.max() + 1, c.max() + 1))
        mat[r, c] = w
        rr, cc = linear_sum_assignment(mat, maximize=True)
        cell = np.full(mat.shape, -1)
        cell[r, c] = np.arange(s, e)
        hit = cell[rr, cc]
        kept[hit[hit >= 0]] = True
    stay = np.bincount(pair[kept], weights=v[kept], minlength=len(n))
    if per_student:
        cont["stayed"] = kept
        q = p.merge(cont[["pair", "group_from", "group_to", "stayed"]],
                    on=["pair", "group_from", "group_to"], how="left")
        q["changed"] = ~q["stayed"].astype(bool)
        q = q.sort_values(keys + ["from_cycle", "student_id"], kind="mergesort",
                          ignore_index=True)
        return q[keys + ["student_id", "from_cycle", "to_cycle", "group_from", "group_to",
                         "changed"]]
    out = p.drop_duplicates("pair").sort_values("pair")[pk + ["pair"]].reset_index(drop=True)
    out["n_students"] = n.astype(np.int64)
    out["n_changed"] = (n - stay).astype(np.int64)
    out["share_changed"] = (n - stay) / n
    out["ari"] = ari
    return out[out_cols]


# --------------------------------------------------------------------------- stuck
def stuck_students(history: pd.DataFrame, *, cycles: int = 3, cycle: str = CYCLE,
                   by=None) -> pd.DataFrame:
    """Students in the lowest group for ``cycles`` or more cycles in a row: the students
    who are behind and stay grouped at the bottom.

    The lowest group of a cycle is the one with the smallest ``focus_position`` (or
    ``focus_sequence``; every group sharing it counts); without either, the smallest group
    number (flexible_groups numbers groups along the continuum). With a ``progress``
    column (share of the grade's targets mastered, from ``method="need"``) a member of the
    lowest group counts only when their progress is at or below the classroom's median
    that cycle: a student far along who sits in a low group for one gap is not "lowest".
    Cycles with a single group have no lowest group.
    "In a row" means consecutive among the cycles present for that classroom; a cycle in
    which the student is missing ends the run. Columns:
    [by…], student_id, first_cycle, last_cycle, n_cycles, current (the run reaches the
    latest cycle).
    """
    n_req = checks.positive_int(cycles, "cycles")
    h, keys = _history(history, cycle, by)
    cols = keys + [cycle, "student_id", "group"]
    level = next((c for c in ("focus_position", "focus_sequence") if c in h.columns), "group")
    d = h[cols + ([level] if level != "group" else [])].copy()
    checks.no_nulls(d, "history", [level])
    kc = keys + [cycle]
    low = d.groupby(kc, observed=True)[level].transform("min")
    n_groups = d.groupby(kc, observed=True)["group"].transform("nunique")
    d["lowest"] = (d[level] == low) & (n_groups > 1)
    if "progress" in h.columns:
        prog = pd.to_numeric(h["progress"], errors="coerce").to_numpy(dtype=float)
        median = pd.Series(prog, index=d.index).groupby([d[c] for c in kc],
                                                         observed=True).transform("median")
        d["lowest"] &= prog <= median.to_numpy() + 1e-12
    cyc = d[kc].drop_duplicates().sort_values(kc, kind="mergesort")
    cyc["rank"] = cyc.groupby(keys, observed=True).cumcount() if keys else np.arange(len(cyc))
    last = cyc.groupby(keys, observed=True)["rank"].transform("max") if keys \
        else pd.Series(len(cyc) - 1, index=cyc.index)
    cyc["last_rank"] = last
    d = d.merge(cyc, on=kc, how="left")
    d = d.sort_values(keys + ["student_id", "rank"], kind="mergesort", ignore_index=True)
    same = np.ones(len(d), dtype=bool)
    for c in keys + ["student_id"]:
        col = d[c].to_numpy()
        same[1:] &= col[1:] == col[:-1]
    same[0] = False
    rank = d["rank"].to_numpy()
    lowest = d["lowest"].to_numpy()
    cont = np.zeros(len(d), dtype=bool)
    cont[1:] = same[1:] & (rank[1:] == rank[:-1] + 1) & lowest[:-1]
    start = lowest & ~cont
    run = np.cumsum(start)
    d["run"] = np.where(lowest, run, 0)
    r = d[lowest]
    out_cols = keys + ["student_id", "first_cycle", "last_cycle", "n_cycles", "current"]
    if r.empty:
        return pd.DataFrame(columns=out_cols)
    agg = r.groupby("run", sort=True).agg(
        **{k: (k, "first") for k in keys + ["student_id"]},
        first_cycle=(cycle, "first"), last_cycle=(cycle, "last"),
        n_cycles=(cycle, "size"), last_rank=("rank", "last"), block_last=("last_rank", "first"))
    agg = agg[agg["n_cycles"] >= n_req]
    agg["current"] = agg["last_rank"] == agg["block_last"]
    agg["n_cycles"] = agg["n_cycles"].astype(np.int64)
    return agg[out_cols].sort_values(keys + ["student_id", "first_cycle"], kind="mergesort",
                                     ignore_index=True)


# --------------------------------------------------------------------------- composition
def composition(groups: pd.DataFrame, students: pd.DataFrame, *, by=None, min_n: int = 10,
                suppress: bool = False, flag_ratio: float = 2.0) -> pd.DataFrame:
    """Who is in each group, against the classroom: English learners, students with IEPs,
    and each home language.

    ``groups``: flexible_groups() output (or a history; then pass ``by=["classroom_id",
    "cycle_id"]`` or whatever identifies one classroom in one cycle). ``students``: the
    students table (student_id, ell, iep, home_language).

    One row per block, group and characteristic (``ell``, ``iep``, ``home_language: X`` for
    each language in the classroom): group_n, count, share, classroom_n, classroom_count,
    classroom_share, expected (group_n × classroom_share), ratio (share / classroom_share,
    the disproportion ratio), p_value (two-sided hypergeometric: how surprising this count
    is if the group had been drawn at random from the classroom), flag ("over" when
    ratio ≥ flag_ratio and the count exceeds expected by at least one student, "under" when
    ratio ≤ 1/flag_ratio and the count is at least one below expected, else ""), suppressed.

    For the teacher (``suppress=False``, the default) every count is shown. For anything
    shown beyond the teacher pass ``suppress=True``: rows of groups with fewer than
    ``min_n`` students (and of classrooms under ``min_n``) have count, share, expected,
    ratio, p_value and flag blanked and ``suppressed`` true.
    """
    min_n = checks.positive_int(min_n, "min_n")
    if not isinstance(flag_ratio, (int, float)) or flag_ratio <= 1:
        raise ValueError(f"flag_ratio must be a number above 1; got {flag_ratio!r}")
    keys = _keys(groups, by, "groups")
    if CYCLE not in keys and CYCLE in groups.columns and groups[CYCLE].nunique() > 1:
        raise ValueError(f"groups holds {groups[CYCLE].nunique()} cycles; pass by="
                         f"{keys + [CYCLE]!r} to check each cycle on its own")
    checks.frame(groups, "groups", keys + ["student_id", "group"])
    checks.no_nulls(groups, "groups", ["student_id", "group"])
    checks.unique(groups, "groups", keys + ["student_id"])
    checks.frame(students, "students", ["student_id", "ell", "iep", "home_language"])
    st = students[["student_id", "ell", "iep", "home_language"]]
    g = groups[keys + ["student_id", "group"]].merge(st, on="student_id", how="left",
                                                     indicator=True)
    missing = g.loc[g["_merge"] == "left_only", "student_id"]
    if len(missing):
        raise CoachkitDataError(
            f"groups: {len(missing)} student(s) are not in the students table, e.g. "
            f"{missing.iloc[:5].tolist()}; expected every grouped student there",
            table="students", column="student_id", found=missing.iloc[:5].tolist())
    checks.no_nulls(g, "students", ["ell", "iep"])
    lang = g["home_language"].astype("str").fillna("unknown")
    ind = pd.DataFrame({"ell": g["ell"].astype(bool).to_numpy(),
                        "iep": g["iep"].astype(bool).to_numpy()})
    dummies = pd.get_dummies(lang, prefix="home_language", prefix_sep=": ", dtype=bool)
    ind = pd.concat([ind, dummies.reset_index(drop=True)], axis=1)
    chars = list(ind.columns)
    base = g[keys + ["group"]].reset_index(drop=True)
    gk = keys + ["group"]
    wide = pd.concat([base, ind.astype(np.int64)], axis=1)
    grp = wide.groupby(gk, observed=True, sort=True)
    gc = grp[chars].sum()
    gn = grp.size().rename("group_n")
    long = gc.stack().rename("count").reset_index().rename(columns={f"level_{len(gk)}": "characteristic"})
    long.columns = gk + ["characteristic", "count"]
    long = long.merge(gn.reset_index(), on=gk)
    if keys:
        cc = wide.groupby(keys, observed=True)[chars].sum()
        cn = wide.groupby(keys, observed=True).size().rename("classroom_n")
        cl = cc.stack().reset_index()
        cl.columns = keys + ["characteristic", "classroom_count"]
        cl = cl.merge(cn.reset_index(), on=keys)
        long = long.merge(cl, on=keys + ["characteristic"])
    else:
        long["classroom_count"] = long["characteristic"].map(wide[chars].sum())
        long["classroom_n"] = len(wide)
    long = long[long["classroom_count"] > 0] if len(long) else long
    long = long[~(long["characteristic"].str.startswith("home_language") &
                  (long["classroom_count"] == 0))]
    long = long.reset_index(drop=True)
    long["share"] = long["count"] / long["group_n"]
    long["classroom_share"] = long["classroom_count"] / long["classroom_n"]
    long["expected"] = long["group_n"] * long["classroom_share"]
    long["ratio"] = long["share"] / long["classroom_share"]
    k_ = long["count"].to_numpy()
    M, K, N = (long["classroom_n"].to_numpy(), long["classroom_count"].to_numpy(),
               long["group_n"].to_numpy())
    lo_tail = hypergeom.cdf(k_, M, K, N)
    hi_tail = hypergeom.sf(k_ - 1, M, K, N)
    long["p_value"] = np.minimum(1.0, 2 * np.minimum(lo_tail, hi_tail))
    over = (long["ratio"] >= flag_ratio) & (long["count"] - long["expected"] >= 1 - 1e-9)
    under = (long["ratio"] <= 1 / flag_ratio) & (long["expected"] - long["count"] >= 1 - 1e-9)
    long["flag"] = np.where(over, "over", np.where(under, "under", ""))
    long["flag"] = long["flag"].astype("str")
    long["suppressed"] = False
    if suppress:
        # the one rule (coachkit.privacy): a group or classroom under min_n is not described
        small = (privacy.below_minimum(long["group_n"], min_n=min_n)
                 | privacy.below_minimum(long["classroom_n"], min_n=min_n))
        long["suppressed"] = small
        for c in ("count", "share", "expected", "ratio", "p_value"):
            long[c] = long[c].astype("float64").where(~small)
        long.loc[small, "flag"] = None
    cols = gk + ["characteristic", "group_n", "count", "share", "classroom_n",
                 "classroom_count", "classroom_share", "expected", "ratio", "p_value", "flag",
                 "suppressed"]
    order = {c: i for i, c in enumerate(chars)}
    long["_o"] = long["characteristic"].map(order)
    return long.sort_values(gk + ["_o"], kind="mergesort", ignore_index=True)[cols]
