"""What a six-week data talk looks at for one classroom, computed once.

The data-talk protocol, the grade-level dashboard and the student binder all need the
same tables for a classroom at the end of a cycle; they live here so each notebook is a
few calls and the logic has tests.

    view = ck.talk.classroom_view(ds, "S101-3A", cycle=4)
    view.mastery, view.frontier, view.projection, view.groups["math"], view.stuck
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import pandas as pd

from . import grouping, progress
from .dataset import Dataset

SUBJECTS = ("math", "ela")


@dataclass
class ClassroomView:
    classroom: pd.Series
    cycle: pd.Series
    method: str
    students: pd.DataFrame
    targets: pd.DataFrame
    evidence: pd.DataFrame
    mastery: pd.DataFrame
    stages: pd.DataFrame
    frontier: pd.DataFrame
    pace: pd.DataFrame
    projection: pd.DataFrame
    growth: pd.DataFrame | None
    attempts: pd.DataFrame
    groups: dict = field(default_factory=dict)       # subject -> flexible groups
    history: dict = field(default_factory=dict)      # subject -> groups of every cycle so far
    fluidity: dict = field(default_factory=dict)
    stuck: dict = field(default_factory=dict)
    composition: dict = field(default_factory=dict)

    @property
    def subjects(self) -> list[str]:
        return [s for s in SUBJECTS if s in set(self.targets["subject"].astype(str))]

    def names(self) -> pd.Series:
        """student_id -> name, two students with the same name told apart."""
        return student_names(self.students)


def pick_classroom(ds: Dataset, classroom=None, school=None, grade=None) -> str:
    """The classroom asked for, or the first one matching school and grade."""
    rooms = ds.classrooms
    if classroom is not None:
        if classroom not in set(rooms["classroom_id"]):
            raise ValueError(f"unknown classroom {classroom!r}; e.g. "
                             f"{', '.join(rooms['classroom_id'].head(5))}")
        return classroom
    if school is not None:
        rooms = rooms[rooms["school_id"] == school]
    if grade is not None:
        rooms = rooms[rooms["grade"] == int(grade)]
    if not len(rooms):
        raise ValueError(f"no classroom for school={school!r}, grade={grade!r}")
    return rooms.sort_values("classroom_id")["classroom_id"].iloc[0]


def groups_for(frontier: pd.DataFrame, targets, subject: str, *, mastery: pd.DataFrame,
               grade=None, n_groups: int | None = None, min_size: int = 3,
               max_size: int = 6) -> pd.DataFrame:
    """Flexible groups by shared need for one subject: every student of the frontier is in
    one group; students who finished the grade (or are ahead) form extension groups on
    the next grade's targets. ``targets``: the targets table (with the next grade for
    extension); ``grade``: the classroom's grade (default: the lowest in ``targets``).
    Fewer students than ``min_size`` form no group (an empty table)."""
    f = frontier[frontier["subject"] == subject]
    if len(f) < min_size:
        return f.iloc[:0].assign(group=pd.Series(dtype="Int64"), focus_target_id=None,
                                 reason=None)
    return grouping.flexible_groups(f, n_groups=n_groups, min_size=min_size,
                                    max_size=max(max_size, min_size), subject=subject,
                                    targets=targets, method="need", mastery=mastery,
                                    grade=grade)


def next_period(cycles: pd.DataFrame, cycle: int) -> str:
    """What groups and commitments made at the end of CYCLE are for, in words: "cycle 5",
    or after the year's last cycle "the next school year (after the summer)"."""
    last = int(pd.to_numeric(cycles["cycle_id"]).max())
    return (f"cycle {int(cycle) + 1}" if int(cycle) < last
            else "the next school year (after the summer)")


def student_names(students: pd.DataFrame) -> pd.Series:
    """Each student's name as people read it, by student_id: "First Last", and where two
    students share a name, the end of the id after it ("Inés Montaño (…0423)") so every
    list, card and picker tells them apart."""
    ids = students["student_id"].astype(str).to_numpy()
    names = (students["first_name"].astype(str).str.strip() + " "
             + students["last_name"].astype(str).str.strip()).to_numpy()
    out = pd.Series(names, index=ids)
    dup = out.duplicated(keep=False).to_numpy()
    if dup.any():
        tail = pd.Series(ids).str[-4:].to_numpy()
        still = pd.Series(list(zip(names, tail))).duplicated(keep=False).to_numpy()
        suffix = [i if s else t for i, t, s in zip(ids, tail, still)]
        out[dup] = [f"{n} (…{x})" for n, x in zip(names[dup], pd.Series(suffix)[dup])]
    return out


def classroom_view(ds: Dataset, classroom_id: str, cycle: int, *,
                   method: str = "decaying_average", kinds=None, min_size: int = 3,
                   max_size: int = 6, n_groups: int | None = None,
                   history: bool = True) -> ClassroomView:
    """Every table the data talk shows for one classroom at the end of CYCLE."""
    room = ds.classroom(classroom_id)
    cyc = ds.cycles.set_index(ds.cycles["cycle_id"].astype(int))
    if int(cycle) not in cyc.index:
        raise ValueError(f"unknown cycle {cycle!r}; the data has cycles {list(cyc.index)}")
    now = room.through_cycle(cycle)
    students = room.students.reset_index(drop=True)
    grade = int(room.classrooms["grade"].iloc[0])
    targets = ds.targets[ds.targets["grade"] == grade]
    m = progress.mastery(now.evidence, method=method, kinds=kinds)
    as_of = cyc.loc[int(cycle), "end"]
    bounds = dict(min_size=min_size, max_size=max_size, n_groups=n_groups)
    front = progress.frontier(m, targets, students)
    view = ClassroomView(
        classroom=room.classrooms.iloc[0], cycle=cyc.loc[int(cycle)], method=method,
        students=students, targets=targets, evidence=now.evidence, mastery=m,
        stages=progress.stage(m, targets, students), frontier=front,
        pace=progress.pace(m, ds.cycles, targets=targets, as_of=as_of),
        projection=progress.projection(m, targets, students, ds.cycles, as_of=as_of),
        growth=(progress.growth(now.evidence, ds.cycles, int(cycle) - 1, int(cycle),
                                method=method, kinds=kinds, targets=targets)
                if int(cycle) > 1 else None),
        attempts=progress.attempts_to_proficiency(now.evidence, kinds=kinds),
    )
    view.groups = {s: groups_for(front, ds.targets, s, mastery=m, grade=grade, **bounds)
                   for s in view.subjects}
    if history:
        earlier = group_history(room, int(cycle) - 1, targets, view.subjects, method=method,
                                kinds=kinds, **bounds)
        for subject in view.subjects:
            now_g = view.groups[subject]
            h = pd.concat([earlier[subject], now_g[now_g["group"].notna()].assign(cycle_id=int(cycle))],
                          ignore_index=True)
            view.history[subject] = h
            view.fluidity[subject] = grouping.fluidity(h) if h["cycle_id"].nunique() > 1 else None
            view.stuck[subject] = grouping.stuck_students(h) if len(h) else h.iloc[:0]
    for subject, g in view.groups.items():
        if len(g) and g["group"].notna().any():
            view.composition[subject] = grouping.composition(g, students)
    return view


def group_history(room: Dataset, cycle: int, targets, subjects, *, method="decaying_average",
                  kinds=None, **bounds) -> dict:
    """The groups the data would have proposed at the end of each cycle up to CYCLE,
    per subject (mastery is computed once per cycle for all subjects). ``targets``: the
    grade's targets; the room's next grade gives the extension groups."""
    frames = {s: [] for s in subjects}
    grade = targets["grade"].min() if len(targets) else None
    # groups by need use the frontier only as the roster (every student of the grade, per
    # subject with targets there): build it once rather than walking the continuum again
    # in every cycle; the needs themselves come from that cycle's mastery
    pairs = targets[["subject", "grade"]].drop_duplicates()
    roster = (room.students[["student_id", "grade"]].merge(pairs, on="grade")
              [["student_id", "subject"]])
    for c in range(1, int(cycle) + 1):
        ev = room.through_cycle(c).evidence
        if not len(ev):
            continue
        m = progress.mastery(ev, method=method, kinds=kinds)
        front = roster
        for s in subjects:
            g = groups_for(front, room.targets, s, mastery=m, grade=grade, **bounds)
            if len(g) and g["group"].notna().any():
                frames[s].append(g.assign(cycle_id=c))
    cols = ["student_id", "group", "focus_target_id", "focus_sequence", "focus_position",
            "progress", "cycle_id"]
    return {s: pd.concat(f, ignore_index=True) if f else pd.DataFrame(columns=cols)
            for s, f in frames.items()}


def who_is_stuck(view: ClassroomView) -> pd.DataFrame:
    """Students who mastered nothing new this cycle while targets remain, or who are
    not on track to finish the grade's continuum: the team's first conversation."""
    p = view.pace[["student_id", "subject", "mastered_cycle"]]
    pr = view.projection[["student_id", "subject", "remaining", "on_track", "projected_date"]]
    t = pr.merge(p, on=["student_id", "subject"], how="left")
    t["mastered_cycle"] = t["mastered_cycle"].fillna(0).astype(int)
    flagged = t[(t["remaining"] > 0) & ((t["mastered_cycle"] == 0) | ~t["on_track"])]
    names = view.names()
    out = flagged.assign(student=flagged["student_id"].astype(str).map(names))
    return out[["student", "student_id", "subject", "mastered_cycle", "remaining",
                "projected_date", "on_track"]].sort_values(["subject", "remaining"],
                                                           ascending=[True, False])


def targets_to_reteach(view: ClassroomView, *, min_students: int = 3) -> pd.DataFrame:
    """Targets many students have worked on but not yet shown, with retake counts."""
    st = view.stages
    worked = st[st["n_evidence"] > 0] if "n_evidence" in st else st
    agg = worked.groupby("target_id", observed=True).agg(
        working=("stage", "size"),
        not_yet=("stage", lambda s: int((s.astype(str) == "i-practice").sum())))
    agg = agg[agg["not_yet"] >= min_students].reset_index()
    agg = agg.merge(view.targets[["target_id", "subject", "sequence", "code", "statement"]],
                    on="target_id").merge(
        view.attempts[["target_id", "mean_attempts", "share_reached"]], on="target_id", how="left")
    agg["share_not_yet"] = agg["not_yet"] / agg["working"]
    return agg.sort_values(["share_not_yet", "not_yet"], ascending=False, ignore_index=True)[
        ["subject", "code", "statement", "working", "not_yet", "share_not_yet", "mean_attempts"]]


def grounding(view: ClassroomView) -> pd.DataFrame:
    """What data the team is looking at, in one small table."""
    room, cyc = view.classroom, view.cycle
    grade = int(room["grade"])
    ev = view.evidence
    return pd.DataFrame({"": [
        ("Classroom", f"{room['classroom_id']} ({room['teacher']})"),
        ("Grade", "K" if grade == 0 else str(grade)),
        ("Students", len(view.students)),
        ("Cycle", f"{int(cyc.name)}: {cyc['start']:%b %d} to {cyc['end']:%b %d, %Y}"),
        ("Evidence through this cycle", f"{len(ev):,} scores on {ev['target_id'].nunique()} targets"),
        ("Mastery method", view.method),
        ("Targets on the grade's continuum",
         ", ".join(f"{s}: {n}" for s, n in view.targets.groupby("subject", observed=True).size().items())),
    ]}).pipe(lambda d: pd.DataFrame(d[""].tolist(), columns=["what", "value"]))


def equity_view(view: ClassroomView, *, min_n: int = 10) -> pd.DataFrame:
    """The equity view of one classroom (see ``equity_table``)."""
    return equity_table(view.projection, view.students, min_n=min_n)


def equity_table(projection: pd.DataFrame, students: pd.DataFrame, *,
                 min_n: int = 10) -> pd.DataFrame:
    """Share of the grade's targets mastered and share on track, by subgroup, with counts.

    Groups under min_n show "<min_n" instead of their size and no figures: in one
    classroom a subgroup of three is three children, not a pattern. Within each family of
    groups (ELL / not ELL, IEP / not IEP, home languages) a second group is hidden too
    when only one is small, so the small one can't be recovered by subtracting from the
    class size (complementary suppression)."""
    pr = projection.merge(students[["student_id", "ell", "iep", "home_language"]],
                          on="student_id")
    pr["share_mastered"] = pr["targets_mastered"] / pr["targets_total"]
    families = []
    for col, label in (("ell", "English learners"), ("iep", "students with IEPs")):
        families.append([(label if value else f"not {label}", g) for value, g in pr.groupby(col)])
    families.append([(f"home language: {lang}", g)
                     for lang, g in pr.groupby("home_language", observed=True)])
    rows = []
    for family in families:
        stats = pd.DataFrame([{
            "group": name, "n": g["student_id"].nunique(),
            "share_mastered": g["share_mastered"].mean(), "share_on_track": g["on_track"].mean(),
        } for name, g in family])
        small = stats["n"] < min_n
        hidden = small.copy()
        if small.sum() == 1 and len(stats) > 1:     # one small group: hide its partner too
            hidden[stats["n"].where(~small).idxmin()] = True
        stats.loc[hidden, ["share_mastered", "share_on_track"]] = float("nan")
        stats["n_students"] = stats["n"].astype(str)
        stats.loc[small, "n_students"] = f"<{min_n}"
        stats.loc[hidden & ~small, "n_students"] = "hidden"
        stats["note"] = ""
        stats.loc[small, "note"] = f"fewer than {min_n} students: not shown"
        stats.loc[hidden & ~small, "note"] = "hidden so the small group can't be worked out"
        rows.append(stats.drop(columns="n"))
    return pd.concat(rows, ignore_index=True)[["group", "n_students", "share_mastered",
                                               "share_on_track", "note"]]


def tracking_check(view: ClassroomView) -> pd.DataFrame:
    """Per subject: how much groups changed last cycle and who sat in the lowest group
    three cycles or more in a row."""
    rows = []
    names = view.names()
    for subject in view.subjects:
        fl = view.fluidity.get(subject)
        stuck = view.stuck.get(subject)
        last = fl.iloc[-1] if fl is not None and len(fl) else None
        current = stuck[stuck["current"]] if stuck is not None and len(stuck) else stuck
        rows.append({
            "subject": subject,
            "changed group last cycle": f"{last['share_changed']:.0%}" if last is not None else "—",
            "agreement with last cycle (ARI)": round(float(last["ari"]), 2) if last is not None else None,
            "in the lowest group 3+ cycles in a row": len(current) if current is not None else 0,
            "who": ", ".join(current["student_id"].astype(str).map(names).fillna("?"))
                   if current is not None and len(current) else "",
        })
    return pd.DataFrame(rows)


def grade_views(ds: Dataset, school: str, grade: int, cycle: int, *,
                method: str = "decaying_average") -> list[ClassroomView]:
    rooms = ds.classrooms[(ds.classrooms["school_id"] == school) & (ds.classrooms["grade"] == int(grade))]
    if not len(rooms):
        raise ValueError(f"no classrooms in school {school!r}, grade {grade!r}")
    return [classroom_view(ds, cid, cycle, method=method)
            for cid in sorted(rooms["classroom_id"])]


def grade_summary(views: list[ClassroomView]) -> pd.DataFrame:
    """One row per classroom and subject: counts and shares, no student names."""
    rows = []
    for v in views:
        for subject in v.subjects:
            pr = v.projection[v.projection["subject"] == subject]
            fl = v.fluidity.get(subject)
            stuck = v.stuck.get(subject)
            g = v.groups.get(subject)
            grow = v.growth[v.growth["subject"] == subject] if v.growth is not None else None
            rows.append({
                "classroom": f"{v.classroom['classroom_id']} ({v.classroom['teacher']})",
                "subject": subject, "students": len(v.students),
                "share_mastered": (pr["targets_mastered"] / pr["targets_total"]).mean(),
                "share_on_track": pr["on_track"].mean(),
                "new_this_cycle": grow["mastered_change"].mean() if grow is not None and len(grow) else None,
                "groups": int(g["group"].nunique()) if g is not None and "group" in g else 0,
                "changed_group": float(fl["share_changed"].iloc[-1]) if fl is not None and len(fl) else None,
                "stuck_low_3_cycles": int(stuck["current"].sum()) if stuck is not None and len(stuck) else 0,
            })
    return pd.DataFrame(rows)


def grade_equity(views: list[ClassroomView], *, min_n: int = 10) -> pd.DataFrame:
    """The equity view across the grade's classrooms, groups under min_n blanked."""
    return equity_table(pd.concat([v.projection for v in views], ignore_index=True),
                        pd.concat([v.students for v in views], ignore_index=True), min_n=min_n)


def last_time(view: ClassroomView, log) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What the team committed to at the last meeting (and what is still open), and for
    the students those commitments named, how their frontier and mastery moved since.
    Returns (commitments, changes); both empty when there is no log or no earlier meeting."""
    from .store import what_changed
    cycle = int(view.cycle.name)
    if log is None:
        return pd.DataFrame(), pd.DataFrame()
    room = str(view.classroom["classroom_id"])
    c = log.last_commitments(classroom_id=room, before_cycle=cycle)
    if not len(c):
        return c, pd.DataFrame()
    named = log.commitment_students(classroom_id=room)
    named = named[named["commitment_id"].isin(c["commitment_id"])]
    if not len(named):
        return c, pd.DataFrame()
    since = pd.to_datetime(c["date"]).min()
    changes = what_changed(named, view.evidence, view.targets, since=since,
                           students=view.students, method=view.method)
    names = view.names()
    changes.insert(1, "student", changes["student_id"].astype(str).map(names))
    return c, changes
