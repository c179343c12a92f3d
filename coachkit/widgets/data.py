"""Per-kernel caches behind the dashboards: the dataset is loaded once, district-wide
tables are computed once per (cycle, method), and a classroom's tables once per
(classroom, cycle, method). Every cache is a ``coachkit.caching.cached`` lru_cache, so
the batch runner's reset (``coachkit.caching.clear()``) empties them.

Keys are plain values (the data folder as a resolved path string, ids, ints), never
DataFrames. Cached tables are shared: treat them as read-only.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

import coachkit
from .. import grouping, progress, talk
from ..caching import cached
from ..dataset import Dataset

SUBJECTS = talk.SUBJECTS
SUBGROUPS = (("ell", {True: "English learners", False: "students not learning English"}),
             ("iep", {True: "students with IEPs", False: "students without IEPs"}))


_MEMORY: dict[str, Dataset] = {}


def resolve(data=None) -> str:
    """The cache key of a dataset: the resolved folder of ``data`` (else $COACHKIT_DATA,
    else the sample district). A Dataset already in memory is registered under
    ``memory:<id>`` so apps built from it share the same caches."""
    if isinstance(data, Dataset):
        key = f"memory:{id(data)}"
        _MEMORY[key] = data
        return key
    if data is None or str(data) == "":
        from ..sample import default_path
        data = default_path()
    return str(Path(data).expanduser().resolve())


@cached(2)
def load(path: str) -> Dataset:
    """The dataset in ``path`` (loaded once per kernel)."""
    if path in _MEMORY:
        return _MEMORY[path]
    return coachkit.load_dataset(path)


# ------------------------------------------------------------------ the district policy

@cached(16)
def mastery_args(path: str, method: str | None = None) -> dict:
    """Mastery's arguments for the dataset in ``path``: its district policy
    (``coachkit.toml``, :func:`coachkit.talk.mastery_args`), ``method`` overriding the
    policy's method for an analyst's comparison. Read-only (shared)."""
    return talk.mastery_args(load(path), method)


def policy_method(path: str) -> str:
    """The mastery method the district policy sets for the dataset in ``path``."""
    return mastery_args(path)["method"]


def method_words(path: str, method: str | None = None) -> str:
    """The mastery method as a page states it: "Mastery: decaying average, as set in the
    district policy", or for an analyst's other choice, that it is not the policy's."""
    pol = policy_method(path)
    method = method or pol
    words = method.replace("_", " ")
    if method == pol:
        return f"Mastery: {words}, as set in the district policy"
    return (f"Mastery: {words}, chosen for this comparison (the district policy uses "
            f"{pol.replace('_', ' ')})")


# ------------------------------------------------------------------ classroom slices

@dataclass(frozen=True)
class RoomIndex:
    rooms: pd.Index            # classroom ids, in the order of `bounds`
    order: np.ndarray          # evidence row positions, grouped by classroom
    bounds: np.ndarray         # rooms[i]'s rows are order[bounds[i]:bounds[i+1]]

    def rows(self, classroom_id) -> np.ndarray:
        i = self.rooms.get_loc(classroom_id)
        return self.order[self.bounds[i]:self.bounds[i + 1]]


@cached(2)
def room_index(path: str) -> RoomIndex:
    """Evidence rows grouped by classroom, so a classroom's evidence is a slice, not a
    scan of the district's evidence (one argsort per kernel)."""
    ds = load(path)
    ev, st = ds.evidence, ds.students
    sid = ev["student_id"]
    if isinstance(sid.dtype, pd.CategoricalDtype):
        codes, cats = sid.cat.codes.to_numpy(), pd.Index(sid.cat.categories.astype(str))
    else:
        codes, cats = pd.factorize(sid.astype(str))
        cats = pd.Index(cats)
    room_of = pd.Series(st["classroom_id"].astype(str).to_numpy(),
                        index=st["student_id"].astype(str).to_numpy())
    room_of = room_of[~room_of.index.duplicated()].reindex(cats)
    rooms = pd.Index(sorted(st["classroom_id"].dropna().astype(str).unique()))
    rcode = rooms.get_indexer(room_of.to_numpy())                   # -1: unknown student
    ev_room = np.where(codes >= 0, rcode[np.maximum(codes, 0)], -1)
    order = np.argsort(ev_room, kind="stable")
    bounds = np.searchsorted(ev_room[order], np.arange(len(rooms) + 1))
    return RoomIndex(rooms, order, bounds)


def _trim(df: pd.DataFrame) -> pd.DataFrame:
    if len(df.columns) and isinstance(df["student_id"].dtype, pd.CategoricalDtype):
        df = df.assign(student_id=df["student_id"].cat.remove_unused_categories())
    return df


@cached(128)
def room(path: str, classroom_id: str) -> Dataset:
    """One classroom's slice of the dataset (its students and their evidence)."""
    ds = load(path)
    talk.pick_classroom(ds, classroom_id)          # a clear error for an unknown id
    idx = room_index(path)
    students = ds.students[ds.students["classroom_id"] == classroom_id]
    ev = ds.evidence.iloc[np.sort(idx.rows(classroom_id))]
    return ds.replace(students=students,
                      classrooms=ds.classrooms[ds.classrooms["classroom_id"] == classroom_id],
                      evidence=_trim(ev), diagnostics=ds.diagnostics.iloc[:0])


@cached(64)
def school(path: str, school_id: str) -> Dataset:
    """One school's slice (its classrooms, students and their evidence)."""
    ds = load(path)
    rooms = ds.classrooms[ds.classrooms["school_id"] == school_id]
    if not len(rooms):
        raise ValueError(f"unknown school {school_id!r}; e.g. "
                         f"{', '.join(ds.schools['school_id'].astype(str).head(5))}")
    idx = room_index(path)
    rows = [idx.rows(c) for c in rooms["classroom_id"] if c in idx.rooms]
    ev = ds.evidence.iloc[np.sort(np.concatenate(rows))] if rows else ds.evidence.iloc[:0]
    return ds.replace(students=ds.students[ds.students["school_id"] == school_id],
                      classrooms=rooms, evidence=_trim(ev),
                      diagnostics=ds.diagnostics.iloc[:0])


def cycle_end(ds: Dataset, cycle: int) -> pd.Timestamp:
    cyc = ds.cycles.set_index(ds.cycles["cycle_id"].astype(int))
    return cyc.loc[ds.check_cycle(cycle), "end"]


def year_fraction(ds: Dataset, cycle: int) -> float:
    """Share of the school year's days gone by the end of CYCLE: where a year plan that
    spreads the grade's continuum evenly over the year expects students to be."""
    c = ds.cycles.copy()
    c["cycle_id"] = c["cycle_id"].astype(int)
    cur = c[c["cycle_id"] == int(cycle)].iloc[0]
    year = c[c["school_year"].astype(str) == str(cur["school_year"])]
    start, end = year["start"].min(), year["end"].max()
    return float(min(1.0, max(0.0, ((cur["end"] - start).days + 1) / ((end - start).days + 1))))


# ------------------------------------------------------------------ one classroom

OVERRIDE_FIELDS = ("student_id", "target_id", "level", "author", "date", "reason",
                   "created_at")


def overrides_key(overrides: pd.DataFrame | None, student_ids=None) -> tuple:
    """The levels set by hand (``MeetingLog.level_overrides()``) as a cache key: a sorted
    tuple of plain values, only those of ``student_ids`` when given."""
    if overrides is None or not len(overrides):
        return ()
    ov = overrides
    if "removed_at" in ov.columns:
        ov = ov[ov["removed_at"].isna()]
    if student_ids is not None:
        ov = ov[ov["student_id"].astype(str).isin({str(s) for s in student_ids})]
    rows = []
    for r in ov.itertuples(index=False):
        reason = getattr(r, "reason", None)
        created = getattr(r, "created_at", None)
        rows.append((str(r.student_id), str(r.target_id), float(r.level), str(r.author),
                     pd.Timestamp(r.date).date().isoformat(),
                     None if reason is None or reason != reason else str(reason),
                     None if created is None or created != created else str(created)))
    return tuple(sorted(rows))


def overrides_frame(key: tuple) -> pd.DataFrame:
    """The table :func:`overrides_key` was made from (what ``apply_overrides`` reads)."""
    return pd.DataFrame(list(key), columns=list(OVERRIDE_FIELDS))


@cached(512)
def room_computed_mastery(path: str, classroom_id: str, cycle: int, method: str) -> pd.DataFrame:
    """Mastery of one classroom's evidence dated up to the end of CYCLE, as computed."""
    r = room(path, classroom_id)
    ev = r.evidence[(r.evidence["date"] <= cycle_end(r, cycle)).to_numpy()]
    return progress.mastery(ev, **mastery_args(path, method))


@cached(512)
def room_mastery(path: str, classroom_id: str, cycle: int, method: str,
                 overrides: tuple = ()) -> pd.DataFrame:
    """Mastery of one classroom at the end of CYCLE with the levels teachers set by hand
    on or before that day in force (``overrides``: :func:`overrides_key`)."""
    m = room_computed_mastery(path, classroom_id, cycle, method)
    if not overrides:
        return m
    r = room(path, classroom_id)
    return talk.with_overrides(m, overrides_frame(overrides), as_of=cycle_end(r, cycle),
                               mastery_line=mastery_args(path, method)["mastery_line"],
                               students=r.students["student_id"].astype(str))


@dataclass(frozen=True)
class Groups:
    groups: pd.DataFrame | None
    history: pd.DataFrame | None
    fluidity: pd.DataFrame | None
    stuck: pd.DataFrame | None
    error: str | None = None


@cached(512)
def room_frontier(path: str, classroom_id: str, cycle: int, method: str,
                  overrides: tuple = ()) -> pd.DataFrame:
    """Each student's next target on the grade's continuum at the end of CYCLE."""
    r = room(path, classroom_id)
    grade = int(r.classrooms["grade"].iloc[0])
    return progress.frontier(room_mastery(path, classroom_id, cycle, method, overrides),
                             r.targets[r.targets["grade"] == grade], r.students)


@cached(256)
def room_groups(path: str, classroom_id: str, cycle: int, method: str, subject: str,
                n_groups: int | None, min_size: int, max_size: int,
                overrides: tuple = ()) -> Groups:
    """Flexible groups for the sliders' bounds, and the groups the same bounds would have
    given at the end of every earlier cycle (talk.group_history, for fluidity and the
    lowest-group check). Mastery and frontier per cycle are cached, so moving a slider
    regroups only."""
    r = room(path, classroom_id)
    grade = int(r.classrooms["grade"].iloc[0])
    bounds = dict(n_groups=n_groups, min_size=min_size, max_size=max_size)
    try:
        g = talk.groups_for(room_frontier(path, classroom_id, cycle, method, overrides),
                            r.targets, subject,
                            mastery=room_mastery(path, classroom_id, cycle, method, overrides),
                            grade=grade, **bounds)
    except ValueError as e:
        return Groups(None, None, None, None, str(e))
    targets = r.targets[r.targets["grade"] == grade]
    hist = talk.group_history(r, cycle, targets, [subject], method=method,
                              mastery_at=lambda c: room_mastery(path, classroom_id, c, method,
                                                                overrides),
                              **bounds)[subject]
    if not len(hist):
        return Groups(g if len(g) else None, None, None, None)
    fl = grouping.fluidity(hist) if hist["cycle_id"].nunique() > 1 else None
    return Groups(g if len(g) else None, hist, fl, grouping.stuck_students(hist))


def tracking(students: pd.DataFrame, subject: str, res: Groups) -> pd.DataFrame:
    """talk.tracking_table for one subject with the sliders' groups."""
    return talk.tracking_table(students, {subject: res.fluidity}, {subject: res.stuck},
                               subjects=[subject])


# ------------------------------------------------------------------ district-wide

@cached(4)
def district_mastery(path: str, cycle: int, method: str) -> pd.DataFrame:
    """Mastery for every student and target with evidence up to the end of CYCLE: one
    vectorized pass over the district's evidence."""
    ds = load(path)
    ev = ds.evidence[(ds.evidence["date"] <= cycle_end(ds, cycle)).to_numpy()]
    return progress.mastery(ev, **mastery_args(path, method))


def _mastered_by_subject(m: pd.DataFrame, targets: pd.DataFrame) -> pd.Series:
    subj = pd.Series(targets["subject"].astype(str).to_numpy(),
                     index=targets["target_id"].astype(str).to_numpy())
    tid = m["target_id"]
    s = (subj.reindex(tid.cat.categories.astype(str)).to_numpy()[tid.cat.codes.to_numpy()]
         if isinstance(tid.dtype, pd.CategoricalDtype) else subj.reindex(tid.astype(str)).to_numpy())
    df = pd.DataFrame({"student_id": m["student_id"].astype(str).to_numpy(), "subject": s,
                       "mastered": m["mastered"].to_numpy(dtype=bool)})
    return df.groupby(["student_id", "subject"], sort=False)["mastered"].sum()


@dataclass(frozen=True)
class District:
    cycle: int
    method: str
    expected: float             # share of the year plan due by the end of this cycle
    students: pd.DataFrame      # one row per student and subject (see district())


@cached(4)
def district(path: str, cycle: int, method: str) -> District:
    """One row per student and subject for the whole district: school, grade, classroom,
    subgroups, targets of the grade mastered, share mastered, recent pace, on track, and
    growth (targets newly mastered since the end of the previous cycle). Everything the
    principal dashboard aggregates, computed once per kernel and (cycle, method)."""
    ds = load(path)
    cycle = int(cycle)
    m = district_mastery(path, cycle, method)
    pr = progress.projection(m, ds.targets, ds.students, ds.cycles,
                             as_of=cycle_end(ds, cycle))
    st = ds.students[["student_id", "school_id", "classroom_id", "ell", "iep",
                      "home_language"]].assign(student_id=lambda d: d["student_id"].astype(str))
    out = pr[["student_id", "subject", "grade", "targets_total", "targets_mastered",
              "pace", "on_track"]].merge(st, on="student_id", how="left")
    out["share_mastered"] = out["targets_mastered"] / out["targets_total"]
    if cycle > 1:
        new = progress.newly_mastered(m, district_mastery(path, cycle - 1, method))
        change = _mastered_by_subject(new, ds.targets).rename("growth").reset_index()
        out = out.merge(change, on=["student_id", "subject"], how="left")
        out["growth"] = out["growth"].fillna(0.0)
    else:
        out["growth"] = np.nan
    return District(cycle, method, year_fraction(ds, cycle), out)


@cached(2)
def survey_scores(path: str) -> pd.DataFrame | None:
    """Construct scores by year, school and respondent type (None without survey data)."""
    from .. import surveys
    ds = load(path)
    if not len(ds.survey_responses) or not len(ds.survey_items):
        return None
    return surveys.construct_scores(ds.survey_responses, ds.survey_items,
                                    by=("year", "school_id", "respondent"))


@cached(64)
def school_grouping(path: str, school_id: str, cycle: int, method: str) -> pd.DataFrame:
    """Per classroom and subject of a school: how much the flexible groups (default
    bounds 3 to 6) changed from the previous cycle and how many students sit in the
    lowest group for 3+ cycles in a row. The groups are the data talk's, by shared need
    (:func:`coachkit.talk.group_history` on each classroom, with the classroom's mastery
    per cycle from the same cache as the grade-level dashboard), so the counts agree with
    the data talk, the grade-level dashboard and the showcase."""
    s = school(path, school_id)
    frames = {subj: [] for subj in SUBJECTS}
    for cid in sorted(s.classrooms["classroom_id"].astype(str)):
        r = room(path, cid)
        if not len(r.students):
            continue
        grade = int(r.classrooms["grade"].iloc[0])
        targets = r.targets[r.targets["grade"] == grade]
        subjects = [x for x in SUBJECTS if x in set(targets["subject"].astype(str))]
        hist = talk.group_history(r, int(cycle), targets, subjects,
                                  mastery_at=lambda c, cid=cid: room_mastery(path, cid, c, method))
        for subj in subjects:
            if len(hist[subj]):
                frames[subj].append(hist[subj].assign(classroom_id=cid))
    rows = []
    for subj, parts in frames.items():        # fluidity and the lowest group: one pass each
        if not parts:
            continue
        h = pd.concat(parts, ignore_index=True)
        fl = grouping.fluidity(h, by="classroom_id") if h["cycle_id"].nunique() > 1 else None
        last = (fl.sort_values("to_cycle").groupby("classroom_id").tail(1).set_index("classroom_id")
                if fl is not None and len(fl) else pd.DataFrame(columns=["share_changed", "ari"]))
        stuck = grouping.stuck_students(h, by="classroom_id")
        n_stuck = (stuck[stuck["current"]].groupby("classroom_id").size() if len(stuck)
                   else pd.Series(dtype=int))
        for cid in sorted(h["classroom_id"].unique()):
            rows.append({"classroom_id": cid, "subject": subj,
                         "share_changed": last["share_changed"].get(cid, np.nan),
                         "ari": last["ari"].get(cid, np.nan),
                         "n_stuck": int(n_stuck.get(cid, 0))})
    out = pd.DataFrame(rows, columns=["classroom_id", "subject", "share_changed", "ari", "n_stuck"])
    grades = s.classrooms.set_index("classroom_id")["grade"]
    out.insert(1, "grade", out["classroom_id"].map(grades).astype("Int64"))
    return out.sort_values(["grade", "classroom_id", "subject"], ignore_index=True)
