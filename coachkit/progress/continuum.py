"""Progress on the continuum: stage, frontier, pace, projection, growth, attempts to
proficiency, and summaries by classroom, grade, school and subgroup.

Inputs are the canonical tables and the table ``mastery`` returns; outputs are tidy
tables. Everything is joins, sorts and built-in group aggregations: no Python loop per
student.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from .. import checks
from ..partitioning import dask_aware
from ..schema import MASTERY_LINE, SCALE_MAX, SCALE_MIN, STAGES
from .mastery import STAGE_DTYPE
from .mastery import mastery as mastery_of
from .methods import EPS, NAT
from .prepare import COUNTED, check_evidence, prepare, resolve_kinds

DAY = np.timedelta64(1, "D")
CYCLE_DAYS = 42


def _key(s: pd.Series) -> pd.Series:
    """Ids as plain strings so tables with category and str ids join."""
    return s.astype("str")


def _mastery_table(m) -> pd.DataFrame:
    return checks.frame(m, "mastery table", ["student_id", "target_id", "mastered"])


def _targets(targets) -> pd.DataFrame:
    t = checks.frame(targets, "targets", ["target_id", "subject", "grade", "sequence"])
    out = pd.DataFrame({"target_id": _key(t["target_id"]), "subject": _key(t["subject"]),
                        "grade": t["grade"].to_numpy(), "sequence": t["sequence"].to_numpy()})
    return out.sort_values(["subject", "grade", "sequence", "target_id"], kind="stable",
                           ignore_index=True)


def _students(students, extra=()) -> pd.DataFrame:
    s = checks.frame(students, "students", ["student_id", *extra])
    out = s[["student_id", *[c for c in extra if c != "student_id"]]].copy()
    out["student_id"] = _key(out["student_id"])
    return out.drop_duplicates("student_id")


# ----------------------------------------------------------------------------- stage

def stage(mastery: pd.DataFrame, targets: pd.DataFrame | None = None,
          students: pd.DataFrame | None = None) -> pd.DataFrame:
    """Stage per student and target: i-learn (no counted evidence), i-practice (evidence
    below the mastery line), i-show (mastered).

    With only the mastery table: its pairs. With ``targets`` and ``students``: every
    student against every target of their grade (targets without evidence are i-learn),
    plus any other targets the student has evidence on; columns student_id, target_id,
    subject, grade, sequence, stage, mastery, n_evidence.
    """
    checks.frame(mastery, "mastery table", ["student_id", "target_id", "stage"])
    if targets is None and students is None:
        return mastery[["student_id", "target_id", "stage"]].copy()
    if targets is None or students is None:
        raise ValueError("stage needs both targets and students to list targets without "
                         "evidence (or neither, to return the mastery table's stages)")
    t = _targets(targets)
    s = _students(students, ["grade"])
    grid = s.merge(t, on="grade", how="inner")[["student_id", "target_id"]]
    mm = pd.DataFrame({"student_id": _key(mastery["student_id"]), "target_id": _key(mastery["target_id"]),
                       "stage": mastery["stage"].astype(STAGE_DTYPE)})
    for c in ("mastery", "n_evidence"):
        if c in mastery.columns:
            mm[c] = mastery[c].to_numpy()
    out = grid.merge(mm, on=["student_id", "target_id"], how="outer")
    out = out.merge(t, on="target_id", how="left")
    out["stage"] = out["stage"].fillna(STAGES[0]).astype(STAGE_DTYPE)
    if "n_evidence" in out.columns:
        out["n_evidence"] = out["n_evidence"].fillna(0).astype(np.int32)
    cols = ["student_id", "target_id", "subject", "grade", "sequence", "stage",
            *[c for c in ("mastery", "n_evidence") if c in out.columns]]
    return out[cols].sort_values(["student_id", "subject", "grade", "sequence"],
                                 kind="stable", ignore_index=True)


# -------------------------------------------------------------------------- frontier

@dask_aware("student_id", aligned=("students",))
def frontier(mastery: pd.DataFrame, targets: pd.DataFrame, students: pd.DataFrame | None = None,
             *, include_complete: bool = True) -> pd.DataFrame:
    """Each student's next not-yet-mastered target per subject, in continuum order.

    The continuum of a subject runs through its grades in order, and by ``sequence``
    inside a grade. A student's walk starts at the student's grade (when ``students`` is
    given; every subject with targets at that grade) or else at the lowest grade the
    student has evidence on in that subject (every subject with evidence). The frontier
    is the first target from there on that is not mastered, so a student who has
    finished the grade moves on into the next grade's targets.

    A student who has mastered every target from the start to the end of the subject's
    continuum gets one row with ``complete`` True and target_id/sequence/grade empty
    (``include_complete=False`` drops those rows instead).

    Returns student_id, subject, target_id, sequence, grade, complete.
    """
    _mastery_table(mastery)
    t = _targets(targets)
    subj_codes, subjects = pd.factorize(t["subject"])
    subj_codes = subj_codes.astype(np.int64)
    size = np.bincount(subj_codes, minlength=len(subjects))
    first = np.concatenate([[0], np.cumsum(size)[:-1]])          # rank offset per subject
    t["rank"] = np.arange(len(t)) - first[subj_codes]
    t["subj"] = subj_codes
    mm = pd.DataFrame({"student_id": _key(mastery["student_id"]), "target_id": _key(mastery["target_id"]),
                       "mastered": mastery["mastered"].to_numpy(dtype=bool)})
    mm = mm.merge(t[["target_id", "subj", "rank", "grade"]], on="target_id", how="inner")
    if students is not None:
        s = _students(students, ["grade"])
        # start: first rank at or after the student's grade, in subjects with that grade
        sg = t.groupby(["subj", "grade"], sort=True)["rank"].min().reset_index()
        scope = s.merge(sg, on="grade", how="inner").rename(columns={"rank": "start"})
    else:
        lowest = mm.groupby(["student_id", "subj"], sort=False)["grade"].min().reset_index()
        sg = t.groupby(["subj", "grade"], sort=True)["rank"].min().reset_index()
        scope = lowest.merge(sg, on=["subj", "grade"], how="left").rename(
            columns={"rank": "start"})
    scope = scope[["student_id", "subj", "start"]].reset_index(drop=True)
    scope["scope"] = np.arange(len(scope))
    done = mm[mm["mastered"]].merge(scope, on=["student_id", "subj"], how="inner")
    done = done[done["rank"] >= done["start"]]
    sc = done["scope"].to_numpy(np.int64)
    rk = done["rank"].to_numpy(np.int64)
    order = np.lexsort((rk, sc))
    sc, rk = sc[order], rk[order]
    keep = np.ones(len(sc), dtype=bool)
    keep[1:] = (sc[1:] != sc[:-1]) | (rk[1:] != rk[:-1])          # one row per target
    sc, rk = sc[keep], rk[keep]
    start = scope["start"].to_numpy(np.int64)
    front = start.copy()
    if len(sc):
        gstart = np.concatenate([[0], np.flatnonzero(sc[1:] != sc[:-1]) + 1])
        counts = np.diff(np.append(gstart, len(sc)))
        pos = np.arange(len(sc)) - np.repeat(gstart, counts)
        gap = rk != np.repeat(start[sc[gstart]], counts) + pos
        big = np.iinfo(np.int64).max
        firstgap = np.minimum.reduceat(np.where(gap, pos, big), gstart)
        firstgap = np.where(firstgap == big, counts, firstgap)
        front[sc[gstart]] = start[sc[gstart]] + firstgap
    subj = scope["subj"].to_numpy(np.int64)
    complete = front >= size[subj]
    idx = np.where(complete, 0, first[subj] + np.minimum(front, size[subj] - 1))
    out = pd.DataFrame({
        "student_id": scope["student_id"].to_numpy(),
        "subject": subjects[subj],
        "target_id": t["target_id"].to_numpy()[idx],
        "sequence": t["sequence"].to_numpy()[idx],
        "grade": t["grade"].to_numpy()[idx],
        "complete": complete,
    })
    out["target_id"] = out["target_id"].where(~complete)
    out["sequence"] = pd.array(out["sequence"], dtype="Int16").copy()
    out["grade"] = pd.array(out["grade"], dtype="Int8")
    out.loc[complete, ["sequence", "grade"]] = pd.NA
    if not include_complete:
        out = out[~complete]
    return out.sort_values(["student_id", "subject"], kind="stable", ignore_index=True)


# ------------------------------------------------------------------------------ pace

def _cycles(cycles) -> pd.DataFrame:
    c = checks.frame(cycles, "cycles", ["cycle_id", "start", "end", "school_year"])
    return c.sort_values("start", kind="stable", ignore_index=True)


def _windows(m, cycles, as_of, year_start=None):
    """(as_of, year_start, year_end, cycle_id, cycle_start, cycle_end) as Timestamps."""
    if as_of is None:
        as_of = m["last_date"].max() if "last_date" in m.columns else pd.NaT
        if pd.isna(as_of):
            raise ValueError("as_of is needed: the mastery table has no dates")
    as_of = pd.Timestamp(as_of)
    if cycles is not None:
        c = _cycles(cycles)
        started = c[c["start"] <= as_of]
        if not len(started):
            raise ValueError(f"no cycle has started by as_of={as_of.date()}; cycles start "
                             f"{c['start'].min().date() if len(c) else 'never'}")
        cur = started.iloc[-1]
        year = c[c["school_year"].astype(str) == str(cur["school_year"])]
        ys = year["start"].min() if year_start is None else pd.Timestamp(year_start)
        return as_of, ys, year["end"].max(), cur["cycle_id"], cur["start"], \
            min(cur["end"], as_of)
    if year_start is None:
        dates = pd.concat([m[c] for c in ("mastered_date", "last_date") if c in m.columns])
        year_start = dates.min()
    cstart = max(pd.Timestamp(year_start), as_of - pd.Timedelta(days=CYCLE_DAYS - 1))
    return as_of, pd.Timestamp(year_start), pd.NaT, pd.NA, cstart, as_of


def _weeks(a, b) -> float:
    return max(((b - a) / pd.Timedelta(days=1) + 1) / 7.0, 1 / 7.0)


def newly_mastered(now: pd.DataFrame, before: pd.DataFrame | None = None) -> pd.DataFrame:
    """The pairs newly mastered in a cycle: mastered at its end and not at the end of the
    cycle before. The one definition growth, pace, the data talk, the binder, the
    dashboards and the showcase count by.

    ``now``: the mastery table on the evidence dated through the end of the cycle;
    ``before``: the same through the end of the previous cycle (None or an empty table:
    nothing was mastered before, e.g. the first cycle). Both from ``mastery`` with the same
    method, line and kinds. Returns the rows of ``now`` that are newly mastered, with all
    of its columns (``mastered_date`` says since when), in ``now``'s order.
    """
    return now[newly_mastered_mask(now, before)]


def newly_mastered_mask(now: pd.DataFrame, before: pd.DataFrame | None) -> np.ndarray:
    """``newly_mastered`` as a boolean per row of ``now``."""
    _mastery_table(now)
    ok = now["mastered"].to_numpy(dtype=bool)
    if before is None or not len(before):
        return ok
    _mastery_table(before)
    had = before[before["mastered"].to_numpy(dtype=bool)]
    done = pd.MultiIndex.from_arrays([_key(had["student_id"]), _key(had["target_id"])])
    pairs = pd.MultiIndex.from_arrays([_key(now["student_id"]), _key(now["target_id"])])
    return ok & ~pairs.isin(done)


def pace(mastery: pd.DataFrame, cycles: pd.DataFrame | None = None, *,
         targets: pd.DataFrame | None = None, as_of=None, year_start=None,
         before: pd.DataFrame | None = None) -> pd.DataFrame:
    """Targets mastered per week, over the school year so far and over the last cycle.

    The last cycle counts the targets ``newly_mastered(mastery, before)`` when ``before`` (the
    mastery table at the end of the previous cycle; an empty table at the first cycle) is
    given, which is what the data talk and the dashboards pass. Without it, a target
    counts in a window when its ``mastered_date`` (the day since which it has stayed
    mastered) falls in it; that is the same fact except for a target that was mastered at
    the end of the previous cycle, dropped below the line and came back within this one.
    The year counts targets mastered at ``as_of`` whose ``mastered_date`` is in the
    school year. ``as_of`` defaults to the latest evidence date. With ``cycles``: the year starts at the
    first cycle of the school year that contains ``as_of`` and the last cycle is the one
    under way at ``as_of`` (counted up to ``as_of``). Without cycles: the year starts at the
    earliest date in the table (or ``year_start``) and the last cycle is the 42 days
    ending at ``as_of``. Weeks count whole days, inclusive, / 7.

    Returns student_id, [subject when targets given], mastered_year, weeks_year,
    pace_year, cycle_id, mastered_cycle, weeks_cycle, pace_cycle.
    """
    checks.frame(mastery, "mastery table", ["student_id", "target_id", "mastered", "mastered_date"])
    as_of, ys, _, cid, cs, ce = _windows(mastery, cycles, as_of, year_start)
    md = mastery["mastered_date"]
    ok = mastery["mastered"].to_numpy(dtype=bool)
    if before is not None:
        in_cycle = newly_mastered_mask(mastery, before)
    else:
        in_cycle = ok & ((md >= cs) & (md <= ce)).to_numpy()
    df = pd.DataFrame({"student_id": _key(mastery["student_id"]),
                       "in_year": ok & ((md >= ys) & (md <= as_of)).to_numpy(),
                       "in_cycle": in_cycle})
    keys = ["student_id"]
    if targets is not None:
        t = _targets(targets)
        df["target_id"] = _key(mastery["target_id"])
        df = df.merge(t[["target_id", "subject"]], on="target_id", how="left")
        df["subject"] = df["subject"].fillna("(unknown target)")
        keys.append("subject")
    out = df.groupby(keys, sort=True)[["in_year", "in_cycle"]].sum().reset_index()
    wy, wc = _weeks(ys, as_of), _weeks(cs, ce)
    out = out.rename(columns={"in_year": "mastered_year", "in_cycle": "mastered_cycle"})
    out["weeks_year"] = wy
    out["pace_year"] = out["mastered_year"] / wy
    out["cycle_id"] = cid
    out["weeks_cycle"] = wc
    out["pace_cycle"] = out["mastered_cycle"] / wc
    return out[[*keys, "mastered_year", "weeks_year", "pace_year", "cycle_id",
                "mastered_cycle", "weeks_cycle", "pace_cycle"]]


def _poisson_band(k, weeks, level):
    """Exact (Garwood) interval for a rate: k events in ``weeks``."""
    a = (1 - level) / 2
    k = np.asarray(k, dtype=float)
    lo = np.where(k > 0, stats.chi2.ppf(a, 2 * k) / 2, 0.0) / weeks
    hi = stats.chi2.ppf(1 - a, 2 * k + 2) / 2 / weeks
    return lo, hi


def _add_weeks(as_of, remaining, rate):
    with np.errstate(divide="ignore", invalid="ignore"):
        days = np.where(remaining > 0, remaining / rate * 7.0, 0.0)
    days = np.where(np.isfinite(days) & (days < 36500), days, np.nan)
    out = pd.Series(as_of + pd.to_timedelta(np.round(days), unit="D"))
    return out.dt.normalize() if as_of == as_of.normalize() else out


def projection(mastery: pd.DataFrame, targets: pd.DataFrame, students: pd.DataFrame,
               cycles: pd.DataFrame | None = None, *, as_of=None, year_end=None,
               recent: str = "cycle", band: float = 0.8) -> pd.DataFrame:
    """When each student finishes the grade's continuum in each subject at the recent pace.

    remaining = targets of the student's grade in the subject not yet mastered;
    projected_date = as_of + remaining / pace weeks, with the pace of the last cycle
    (``recent="cycle"``) or of the year so far (``"year"``). The band: an exact Poisson
    interval (``band`` = 0.8 → 80 %) for the pace, from the count of targets mastered in
    that window, turned into an earliest and a latest date (latest empty when the low end
    of the pace is zero). on_track: the projected date is on or before the school year's
    end (from ``cycles`` or ``year_end``); a student with nothing remaining is on track;
    one with no pace and targets remaining is not.

    Returns student_id, subject, grade, targets_total, targets_mastered, remaining, pace,
    projected_date, projected_earliest, projected_latest, year_end, on_track.
    """
    if recent not in ("cycle", "year"):
        raise ValueError(f"recent must be 'cycle' or 'year'; got {recent!r}")
    if not isinstance(band, (int, float)) or not 0 < band < 1:
        raise ValueError(f"band must be a probability in (0, 1), e.g. 0.8; got {band!r}")
    t = _targets(targets)
    s = _students(students, ["grade"])
    as_of, _, yend, *_ = _windows(mastery, cycles, as_of)
    if year_end is not None:
        yend = pd.Timestamp(year_end)
    if pd.isna(yend):
        raise ValueError("projection needs the school year's end: pass cycles or year_end")
    grid = s.merge(t[["target_id", "subject", "grade"]], on="grade", how="inner")
    mm = pd.DataFrame({"student_id": _key(mastery["student_id"]), "target_id": _key(mastery["target_id"]),
                       "mastered": mastery["mastered"].to_numpy(dtype=bool)})
    grid = grid.merge(mm, on=["student_id", "target_id"], how="left")
    grid["mastered"] = grid["mastered"].fillna(False).astype(bool)
    out = grid.groupby(["student_id", "subject", "grade"], sort=True).agg(
        targets_total=("target_id", "size"), targets_mastered=("mastered", "sum")).reset_index()
    out["remaining"] = out["targets_total"] - out["targets_mastered"]
    p = pace(mastery, cycles, targets=targets, as_of=as_of)
    out = out.merge(p, on=["student_id", "subject"], how="left")
    count = out[f"mastered_{recent}"].fillna(0).to_numpy(float)
    weeks = float(p[f"weeks_{recent}"].iloc[0]) if len(p) else 1.0
    rate = count / weeks
    lo, hi = _poisson_band(count, weeks, band)
    rem = out["remaining"].to_numpy(float)
    out["pace"] = rate
    out["projected_date"] = _add_weeks(as_of, rem, rate).to_numpy()
    out["projected_earliest"] = _add_weeks(as_of, rem, hi).to_numpy()
    out["projected_latest"] = _add_weeks(as_of, rem, lo).to_numpy()
    out["year_end"] = yend
    out["on_track"] = (rem == 0) | (out["projected_date"] <= yend).to_numpy()
    return out[["student_id", "subject", "grade", "targets_total", "targets_mastered",
                "remaining", "pace", "projected_date", "projected_earliest",
                "projected_latest", "year_end", "on_track"]]


# ---------------------------------------------------------------------------- growth

def growth(evidence: pd.DataFrame, cycles: pd.DataFrame, from_cycle=None, to_cycle=None, *,
           method="decaying_average", mastery_line: float = MASTERY_LINE, kinds=COUNTED,
           targets: pd.DataFrame | None = None, scale=(SCALE_MIN, SCALE_MAX), adjust=None,
           **params) -> pd.DataFrame:
    """Change between two cycles in targets mastered and in mean level.

    ``adjust(mastery_table, as_of)``, when given, changes each of the two mastery tables
    before they are compared (e.g. the levels teachers set by hand in force on that day).

    Mastery is computed twice with the chosen method: from the evidence dated up to the
    end of ``from_cycle`` and up to the end of ``to_cycle`` (defaults: the last two cycles
    by start date). mean level = mean of the method's level over the student's pairs with
    counted evidence. mastered_change = mastered_to − mastered_from (net: a target that
    fell back below the line counts −1); newly_mastered = how many targets are
    ``newly_mastered`` (mastered at the end of to_cycle, not at the end of from_cycle).
    Returns student_id, [subject], from_cycle, to_cycle, mastered_from, mastered_to,
    mastered_change, newly_mastered, level_from, level_to, level_change. A student with no
    evidence by the end of from_cycle starts at 0 mastered and an empty level.
    """
    c = _cycles(cycles)
    if from_cycle is None or to_cycle is None:
        if len(c) < 2:
            raise ValueError("growth needs two cycles; the cycles table has "
                             f"{len(c)}")
        from_cycle = c["cycle_id"].iloc[-2] if from_cycle is None else from_cycle
        to_cycle = c["cycle_id"].iloc[-1] if to_cycle is None else to_cycle
    ends = {}
    for name, cid in (("from_cycle", from_cycle), ("to_cycle", to_cycle)):
        hit = c[c["cycle_id"] == cid]
        if not len(hit):
            raise ValueError(f"{name}={cid!r} is not in the cycles table; expected one of "
                             f"{', '.join(map(str, c['cycle_id']))}")
        ends[name] = hit["end"].iloc[0]
    kinds = resolve_kinds(kinds, evidence)
    check_evidence(evidence, kinds=kinds, scale=scale)
    keys = ["student_id"] + (["subject"] if targets is not None else [])
    t = _targets(targets) if targets is not None else None

    tables = {}

    def per_student(name):
        ev = evidence[(evidence["date"] <= ends[name]).to_numpy()]
        mt = mastery_of(ev, method, mastery_line=mastery_line, kinds=kinds, scale=scale, **params)
        mt = tables[name] = adjust(mt, ends[name]) if adjust is not None else mt
        df = pd.DataFrame({"student_id": _key(mt["student_id"]),
                           "target_id": _key(mt["target_id"]),
                           "mastered": mt["mastered"].to_numpy(),
                           "level": mt["mastery"].to_numpy()})
        if name == "to_cycle":
            df["new"] = newly_mastered_mask(mt, tables["from_cycle"])
        if t is not None:
            df = df.merge(t[["target_id", "subject"]], on="target_id", how="left")
            df["subject"] = df["subject"].fillna("(unknown target)")
        agg = dict(mastered=("mastered", "sum"), level=("level", "mean"))
        if name == "to_cycle":
            agg["newly_mastered"] = ("new", "sum")
        return df.groupby(keys, sort=True).agg(**agg)

    a, b = per_student("from_cycle"), per_student("to_cycle")
    new = b.pop("newly_mastered")
    out = a.add_suffix("_from").join(b.add_suffix("_to"), how="outer").join(new)
    out = out.reset_index()
    out["newly_mastered"] = out["newly_mastered"].fillna(0).astype(np.int64)
    out["mastered_from"] = out["mastered_from"].fillna(0).astype(np.int64)
    out["mastered_to"] = out["mastered_to"].fillna(0).astype(np.int64)
    out["mastered_change"] = out["mastered_to"] - out["mastered_from"]
    out["level_change"] = out["level_to"] - out["level_from"]
    out.insert(len(keys), "from_cycle", from_cycle)
    out.insert(len(keys) + 1, "to_cycle", to_cycle)
    return out[[*keys, "from_cycle", "to_cycle", "mastered_from", "mastered_to",
                "mastered_change", "newly_mastered", "level_from", "level_to",
                "level_change"]]


# ---------------------------------------------------------------- attempts to proficiency

def attempts_to_proficiency(evidence: pd.DataFrame, *, mastery_line: float = MASTERY_LINE,
                            kinds=COUNTED, per: str = "target",
                            scale=(SCALE_MIN, SCALE_MAX)) -> pd.DataFrame:
    """How many attempts students needed to first score at or above the mastery line.

    ``per="pair"``: student_id, target_id, n_evidence, reached (bool), attempts (the
    1-based position of the first score at the line, in date then input order; empty when
    not reached). ``per="target"``: target_id, n_students, n_reached, share_reached,
    first_try (reached on attempt 1), mean_attempts, median_attempts, max_attempts (over
    the students who reached it), attempts_not_reached (mean attempts so far of the rest).
    """
    if per not in ("target", "pair"):
        raise ValueError(f"per must be 'target' or 'pair'; got {per!r}")
    prep = prepare(evidence, mastery_line=mastery_line, kinds=kinds, scale=scale)
    p = prep.pairs
    hit = p.score >= p.mastery_line - EPS
    c = np.cumsum(hit)
    before = (c - hit)[p.starts] if p.n_pairs else np.zeros(0, np.int64)
    rows = np.flatnonzero(hit & (c - np.repeat(before, p.counts) == 1))
    att = np.full(p.n_pairs, np.nan)
    att[p.pair[rows]] = p.pos[rows] + 1.0
    n_all = len(prep.student_codes)
    attempts = np.full(n_all, np.nan)
    attempts[prep.counted] = att
    n = np.zeros(n_all, np.int32)
    n[prep.counted] = p.counts
    pairs = pd.DataFrame({
        "student_id": pd.Categorical.from_codes(prep.student_codes, categories=prep.students),
        "target_id": pd.Categorical.from_codes(prep.target_codes, categories=prep.targets),
        "n_evidence": n, "reached": ~np.isnan(attempts), "attempts": attempts,
    })
    if per == "pair":
        return pairs
    pairs = pairs[pairs["n_evidence"] > 0]
    pairs = pairs.assign(first_try=pairs["attempts"] == 1,
                         so_far=np.where(pairs["reached"], np.nan, pairs["n_evidence"]))
    g = pairs.groupby("target_id", observed=True, sort=True)
    out = g.agg(n_students=("student_id", "size"), n_reached=("reached", "sum"),
                first_try=("first_try", "sum"), mean_attempts=("attempts", "mean"),
                median_attempts=("attempts", "median"), max_attempts=("attempts", "max"),
                attempts_not_reached=("so_far", "mean")).reset_index()
    out.insert(3, "share_reached", out["n_reached"] / out["n_students"])
    return out


# ------------------------------------------------------------------------ summarize_by

SUBGROUPS = ("ell", "iep", "home_language")


def summarize_by(table: pd.DataFrame, by, students: pd.DataFrame, *,
                 values=None) -> pd.DataFrame:
    """Aggregate any per-student table of this module (mastery, stage, frontier, pace,
    projection, growth) by columns of the students table (classroom_id, grade,
    school_id, ell, iep, home_language) or of the table itself (subject, target_id …).

    For each group: n_students (distinct), n_rows, and for each value column: numbers →
    ``mean_<col>``; booleans → ``n_<col>`` (count true) and ``share_<col>``; a ``stage``
    column → ``n_i_learn``, ``n_i_practice``, ``n_i_show``. Groups with a missing ``by``
    value are kept (a student missing from the students table shows up, not vanishes).
    Small groups are not suppressed here; use coachkit.privacy.suppress before sharing.
    """
    checks.frame(table, "table", ["student_id"])
    by = [by] if isinstance(by, str) else list(by)
    if not by:
        raise ValueError("by must name at least one column, e.g. 'classroom_id' or "
                         "['grade', 'ell']")
    from_students = [b for b in by if b not in table.columns]
    s = _students(students, from_students)
    df = table.copy()
    df["student_id"] = _key(df["student_id"])
    if from_students:
        df = df.merge(s, on="student_id", how="left")
    skip = {"student_id", "target_id", *by}
    if values is None:
        values = [c for c in table.columns if c not in skip and (
            c == "stage" or pd.api.types.is_bool_dtype(table[c])
            or (pd.api.types.is_numeric_dtype(table[c])
                and not pd.api.types.is_datetime64_any_dtype(table[c])))
            and c not in ("sequence", "grade", "cycle_id", "from_cycle", "to_cycle")]
    else:
        values = [values] if isinstance(values, str) else list(values)
        checks.frame(table, "table", values)
    agg = {"n_students": ("student_id", "nunique"), "n_rows": ("student_id", "size")}
    for c in values:
        col = df[c]
        if c == "stage":
            for st in STAGES:
                name = "n_" + st.replace("-", "_")
                df[name] = (col.astype(str) == st).to_numpy()
                agg[name] = (name, "sum")
        elif pd.api.types.is_bool_dtype(col):
            df[c] = col.astype(float)
            agg[f"n_{c}"] = (c, "sum")
            agg[f"share_{c}"] = (c, "mean")
        else:
            df[c] = pd.to_numeric(col, errors="coerce").astype(float)
            agg[f"mean_{c}"] = (c, "mean")
    out = df.groupby(by, sort=True, dropna=False, observed=True).agg(**agg).reset_index()
    for c in out.columns:
        if c.startswith("n_"):
            out[c] = out[c].astype(np.int64)
    return out
