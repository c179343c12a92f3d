"""What a six-week data talk looks at for one classroom, computed once.

The data-talk protocol, the grade-level dashboard and the student binder all need the
same tables for a classroom at the end of a cycle; they live here so each notebook is a
few calls and the logic has tests.

    view = ck.talk.classroom_view(ds, "S101-3A", cycle=4)
    view.mastery, view.frontier, view.projection, view.groups["math"], view.stuck
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import caching, grouping, policy, privacy, progress, store
from .grouping.need import shared_targets
from .schema import grade_label
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
    before: pd.DataFrame | None = None               # mastery at the end of the cycle before

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


def mastery_args(ds: Dataset, method=None, *, kinds=progress.COUNTED) -> dict:
    """Method, line, kinds and parameters for a dataset: its district policy
    (``coachkit.toml`` in its folder), with ``method``/``kinds`` overriding it for one
    run (the policy's parameters go with the policy's method only)."""
    pol = policy.for_dataset(ds)
    args = pol.mastery_args()
    if method is not None and method != pol.method:
        args = {"method": method, "mastery_line": pol.mastery_line, "kinds": args["kinds"]}
    if not isinstance(kinds, type(progress.COUNTED)):
        args["kinds"] = kinds
    return args


def with_overrides(m: pd.DataFrame, overrides: pd.DataFrame | None, *, as_of,
                   mastery_line: float, students=None) -> pd.DataFrame:
    """The mastery table with the levels teachers set by hand on or before AS_OF in force
    (``MeetingLog.level_overrides()``); the computed table when there are none."""
    if overrides is None or not len(overrides):
        return m
    ov = overrides[pd.to_datetime(overrides["date"]) <= pd.Timestamp(as_of)]
    if not len(ov):
        return m
    return store.apply_overrides(m, ov, mastery_line=mastery_line, students=students)


def classroom_view(ds: Dataset, classroom_id: str, cycle: int, *,
                   method: str | None = None, kinds=progress.COUNTED, min_size: int = 3,
                   max_size: int = 6, n_groups: int | None = None,
                   history: bool = True, overrides: pd.DataFrame | None = None) -> ClassroomView:
    """Every table the data talk shows for one classroom at the end of CYCLE. Method,
    mastery line, counted kinds and parameters come from the district policy
    (``coachkit.policy``); ``method`` and ``kinds`` override it. ``overrides``: the
    levels teachers set by hand (``MeetingLog.level_overrides()``); every table of the
    view (stages, frontier, pace, growth, groups, history) uses them."""
    with shared_targets():       # the targets' continuum is derived once, not per grouping
        return _classroom_view(ds, classroom_id, cycle, method=method, kinds=kinds,
                               min_size=min_size, max_size=max_size, n_groups=n_groups,
                               history=history, overrides=overrides)


def _classroom_view(ds, classroom_id, cycle, *, method, kinds, min_size, max_size, n_groups,
                    history, overrides) -> ClassroomView:
    args = mastery_args(ds, method, kinds=kinds)
    method, kinds = args["method"], args["kinds"]
    room = ds.classroom(classroom_id)
    cyc = ds.cycles.set_index(ds.cycles["cycle_id"].astype(int))
    cycle = ds.check_cycle(cycle)
    now = room.through_cycle(cycle)
    students = room.students.reset_index(drop=True)
    grade = int(room.classrooms["grade"].iloc[0])
    targets = ds.targets[ds.targets["grade"] == grade]
    line = args["mastery_line"]

    def adjust(table, as_of):
        return with_overrides(table, overrides, as_of=as_of, mastery_line=line,
                              students=students)

    def mastery_at(c):
        ev = room.through_cycle(c).evidence
        return adjust(progress.mastery(ev, **args), cyc.loc[c, "end"]) if len(ev) else None
    m = adjust(progress.mastery(now.evidence, **args), cyc.loc[int(cycle), "end"])
    # mastery at the end of the cycle before: "newly mastered" is one fact everywhere
    before = (mastery_at(int(cycle) - 1) if int(cycle) - 1 in cyc.index else None)
    before = m.iloc[:0] if before is None else before
    as_of = cyc.loc[int(cycle), "end"]
    bounds = dict(min_size=min_size, max_size=max_size, n_groups=n_groups)
    front = progress.frontier(m, targets, students)
    view = ClassroomView(
        classroom=room.classrooms.iloc[0], cycle=cyc.loc[int(cycle)], method=method,
        students=students, targets=targets, evidence=now.evidence, mastery=m,
        stages=progress.stage(m, targets, students), frontier=front,
        pace=progress.pace(m, ds.cycles, targets=targets, as_of=as_of, before=before),
        projection=progress.projection(m, targets, students, ds.cycles, as_of=as_of),
        growth=(progress.growth(now.evidence, ds.cycles, int(cycle) - 1, int(cycle),
                                targets=targets, adjust=adjust if overrides is not None else None,
                                **args)
                if int(cycle) > 1 else None),
        attempts=progress.attempts_to_proficiency(now.evidence, kinds=kinds,
                                                  mastery_line=args["mastery_line"]),
    )
    view.before = before if int(cycle) - 1 in cyc.index else None
    view.groups = {s: groups_for(front, ds.targets, s, mastery=m, grade=grade, **bounds)
                   for s in view.subjects}
    if history:
        earlier = group_history(room, int(cycle) - 1, targets, view.subjects, mastery=args,
                                mastery_at=mastery_at if overrides is not None else None,
                                **bounds)
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
                  kinds=progress.COUNTED, mastery: dict | None = None, mastery_at=None,
                  **bounds) -> dict:
    """The groups the data would have proposed at the end of each cycle up to CYCLE,
    per subject (mastery is computed once per cycle for all subjects; ``mastery_at(c)``,
    when given, supplies it instead, e.g. from a cache). ``targets``: the grade's targets;
    the room's next grade gives the extension groups. A cycle in which the bounds cannot
    be met (too few students back then) is grouped with the default bounds instead.
    ``mastery``: all of mastery's arguments at once (``mastery_args``), instead of
    ``method`` and ``kinds``."""
    with shared_targets():       # the targets' continuum is derived once, not per cycle
        return _group_history(room, cycle, targets, subjects, method=method, kinds=kinds,
                              mastery=mastery, mastery_at=mastery_at, **bounds)


def _group_history(room, cycle, targets, subjects, *, method, kinds, mastery, mastery_at,
                   **bounds) -> dict:
    args = mastery if mastery is not None else {"method": method, "kinds": kinds}

    def mastery_of(c):
        ev = room.through_cycle(c).evidence
        return progress.mastery(ev, **args) if len(ev) else None
    mastery_at = mastery_at or mastery_of
    fallback = dict(min_size=min(bounds.get("min_size", 3), 3),
                    max_size=bounds.get("max_size", 6))
    frames = {s: [] for s in subjects}
    grade = targets["grade"].min() if len(targets) else None
    # groups by need use the frontier only as the roster (every student of the grade, per
    # subject with targets there): build it once rather than walking the continuum again
    # in every cycle; the needs themselves come from that cycle's mastery
    pairs = targets[["subject", "grade"]].drop_duplicates()
    roster = (room.students[["student_id", "grade"]].merge(pairs, on="grade")
              [["student_id", "subject"]])
    for c in range(1, int(cycle) + 1):
        m = mastery_at(c)
        if m is None or not len(m):
            continue
        for s in subjects:
            try:
                g = groups_for(roster, room.targets, s, mastery=m, grade=grade, **bounds)
            except ValueError:
                g = groups_for(roster, room.targets, s, mastery=m, grade=grade, **fallback)
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
    cols = ["subject", "code", "statement", "working", "not_yet", "share_not_yet", "mean_attempts"]
    if not len(worked):                          # no student has evidence yet (or none enrolled)
        return pd.DataFrame(columns=cols)
    agg = worked.groupby("target_id", observed=True).agg(
        working=("stage", "size"),
        not_yet=("stage", lambda s: int((s.astype(str) == "i-practice").sum())))
    agg = agg[agg["not_yet"] >= min_students].reset_index()
    agg = agg.merge(view.targets[["target_id", "subject", "sequence", "code", "statement"]],
                    on="target_id").merge(
        view.attempts[["target_id", "mean_attempts", "share_reached"]], on="target_id", how="left")
    agg["share_not_yet"] = agg["not_yet"] / agg["working"]
    return agg.sort_values(["share_not_yet", "not_yet"], ascending=False, ignore_index=True)[cols]


def grounding(view: ClassroomView) -> pd.DataFrame:
    """What data the team is looking at, in one small table."""
    room, cyc = view.classroom, view.cycle
    grade = int(room["grade"])
    ev = view.evidence
    return pd.DataFrame({"": [
        ("Classroom", f"{room['classroom_id']} ({room['teacher']})"),
        ("Grade", grade_label(grade)),
        ("Students", len(view.students)),
        ("Cycle", f"{int(cyc.name)}: {cyc['start']:%b %d} to {cyc['end']:%b %d, %Y}"),
        ("Evidence through this cycle", f"{len(ev):,} scores on {ev['target_id'].nunique()} targets"),
        ("Mastery method", view.method.replace("_", " ")),
        ("Targets on the grade's continuum",
         ", ".join(f"{s}: {n}" for s, n in view.targets.groupby("subject", observed=True).size().items())),
    ]}).pipe(lambda d: pd.DataFrame(d[""].tolist(), columns=["what", "value"]))


def equity_view(view: ClassroomView, *, min_n: int | None = None) -> pd.DataFrame:
    """The equity view of one classroom (see ``equity_table``)."""
    return equity_table(view.projection, view.students, min_n=min_n)


EQUITY_LABELS = {"ell": {True: "English learners", False: "not English learners"},
                 "iep": {True: "students with IEPs", False: "not students with IEPs"}}


def group_label(family: str, group, labels=None) -> str:
    """A group as a page names it: "English learners", "home language: Spanish"."""
    labels = EQUITY_LABELS if labels is None else labels
    if family in labels and group in labels[family]:
        return labels[family][group]
    return f"{family.replace('_', ' ')}: {group}"


def equity_figures(rows: pd.DataFrame, groups: pd.DataFrame, *, labels=None) -> pd.DataFrame:
    """Share of the targets mastered and share on track for each group of one page.

    ``rows``: one row per student (and subject) with ``targets_mastered``,
    ``targets_total``, ``on_track`` and the family columns; ``groups``: that page's rows
    of a :func:`coachkit.privacy.suppress_groups` table. A hidden group gets no figures
    and "hidden" for its count: the one rule in :mod:`coachkit.privacy` decides."""
    share = rows["targets_mastered"] / rows["targets_total"]
    out = []
    for g in groups.itertuples(index=False):
        col = rows[g.family].astype(object)
        members = col.where(col.notna(), privacy.UNKNOWN) == g.group
        out.append({"family": g.family, "group": group_label(g.family, g.group, labels),
                    "n_students": g.n_shown, "hidden": bool(g.hidden),
                    "share_mastered": float("nan") if g.hidden else share[members].mean(),
                    "share_on_track": float("nan") if g.hidden
                    else rows.loc[members, "on_track"].astype(float).mean()})
    return pd.DataFrame(out, columns=["family", "group", "n_students", "hidden",
                                      "share_mastered", "share_on_track"])


def hidden_note(min_n: int) -> str:
    """The one note every hidden group gets (the same for a small group and its partner,
    so the note can't tell which is which)."""
    return f"hidden: fewer than {min_n} students here, or needed to protect a group that is"


def equity_table(projection: pd.DataFrame, students: pd.DataFrame, *,
                 min_n: int | None = None, groups: pd.DataFrame | None = None) -> pd.DataFrame:
    """Share of the grade's targets mastered and share on track, by subgroup, with counts.

    Suppression is the one rule of :func:`coachkit.privacy.suppress_groups` (families:
    English learners / not, IEP / not, home languages): a group under the district's
    minimum n, and enough of its siblings that subtraction can't recover it, show
    "hidden" and no figures. ``min_n`` can only be stricter than the district policy
    (:func:`coachkit.privacy.minimum_n`). ``groups``: the page's rows of a suppression
    table made for a wider set of pages (see :func:`grade_equity`); by default the
    students here are suppressed on their own."""
    min_n = privacy.minimum_n(min_n)
    cols = ["student_id", *privacy.STUDENT_FAMILIES]
    pr = projection.drop(columns=[c for c in cols[1:] if c in projection.columns]) \
        .merge(students[cols], on="student_id")
    if not len(pr):                              # no students: no groups to show
        return pd.DataFrame(columns=["group", "n_students", "share_mastered",
                                     "share_on_track", "note"])
    if groups is None:
        people = students[students["student_id"].isin(pr["student_id"])]
        groups = privacy.suppress_groups(people.drop_duplicates("student_id"),
                                         families=privacy.STUDENT_FAMILIES, min_n=min_n)
    out = equity_figures(pr, groups)
    out["note"] = np.where(out["hidden"], hidden_note(min_n), "")
    return out[["group", "n_students", "share_mastered", "share_on_track", "note"]]


def tracking_check(view: ClassroomView) -> pd.DataFrame:
    """Per subject: how much groups changed last cycle and who sat in the lowest group
    three cycles or more in a row."""
    return tracking_table(view.students, view.fluidity, view.stuck, subjects=view.subjects)


def tracking_table(students: pd.DataFrame, fluidity: dict, stuck: dict, *,
                   subjects=None) -> pd.DataFrame:
    """tracking_check on plain tables: FLUIDITY and STUCK map a subject to
    ``grouping.fluidity`` / ``grouping.stuck_students`` output (or None); STUDENTS
    gives the names."""
    rows = []
    names = pd.Series((students["first_name"] + " " + students["last_name"]).to_numpy(),
                      index=students["student_id"].astype(str))
    for subject in subjects if subjects is not None else list(dict.fromkeys([*fluidity, *stuck])):
        fl = fluidity.get(subject)
        st = stuck.get(subject)
        last = fl.iloc[-1] if fl is not None and len(fl) else None
        current = st[st["current"]] if st is not None and len(st) else st
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
                method: str | None = None) -> list[ClassroomView]:
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


def grade_equity(views: list[ClassroomView], *, min_n: int | None = None,
                 students: pd.DataFrame | None = None) -> pd.DataFrame:
    """The equity view across the grade's classrooms.

    Pass the district's (or the school's) ``students`` so the grade is suppressed together
    with the school dashboard and the other grade overviews it is read beside
    (:func:`coachkit.privacy.student_groups`); without it the grade is suppressed alone."""
    groups = None
    if students is not None:
        room = views[0].classroom
        table = privacy.student_groups(students[students["school_id"] == room["school_id"]],
                                       min_n=privacy.minimum_n(min_n))
        groups = privacy.shown_groups(table, {"school_id": room["school_id"],
                                              "grade": int(room["grade"])},
                                      level=("school_id", "grade"))
    return equity_table(pd.concat([v.projection for v in views], ignore_index=True),
                        pd.concat([v.students for v in views], ignore_index=True),
                        min_n=min_n, groups=groups)


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


# --------------------------------------------------------------------------- the block
@dataclass
class GradeBlock:
    """The grade's targeted-time block at the end of a cycle (see ``grade_block``)."""
    cycle: int
    students: pd.DataFrame
    classrooms: pd.DataFrame         # the grade's classrooms (their teachers)
    rooms: pd.DataFrame              # the rooms table given or the default one
    assignment: pd.DataFrame         # grouping.assign_block output
    summary: pd.DataFrame            # grouping.block_rooms output
    history: pd.DataFrame            # the assignments of every cycle so far + cycle_id
    fluidity: pd.DataFrame
    stuck: pd.DataFrame


def grade_block(ds: Dataset, school: str, grade: int, cycle: int, *, rooms=None,
                subject=None, capacity=None, pins=None, method: str | None = None,
                stuck_cycles: int = 3, overrides: pd.DataFrame | None = None) -> GradeBlock:
    """The block the data proposes for a grade at the end of CYCLE, with the same rooms
    proposed at the end of each earlier cycle (each keeping the cycle before's rooms where
    that costs no need) for fluidity and the stuck-in-a-room check. Mastery by the
    district's policy (``mastery_args``); rooms, subject, capacity and pins as in
    ``grouping.assign_block`` (pins hold for this cycle only); ``overrides``: the levels
    teachers set by hand (``MeetingLog.level_overrides()``), in force at each cycle's end."""
    args = mastery_args(ds, method)
    cycle = ds.check_cycle(cycle)
    st = ds.students[(ds.students["school_id"] == school)
                     & (ds.students["grade"] == int(grade))].reset_index(drop=True)
    if not len(st):
        raise ValueError(f"no students in school {school!r}, grade {grade!r}")
    rooms_of_grade = ds.classrooms[(ds.classrooms["school_id"] == school)
                                   & (ds.classrooms["grade"] == int(grade))]
    if rooms is None:
        rooms = grouping.default_rooms(rooms_of_grade, st, subject=subject, capacity=capacity)
    ids = set(st["student_id"].astype(str))
    ev = ds.evidence[ds.evidence["student_id"].astype(str).isin(ids)]
    ends = ds.cycles.set_index(ds.cycles["cycle_id"].astype(int))["end"]
    frames, prev, a = [], None, None
    for c in range(1, cycle + 1):
        m = with_overrides(progress.mastery(ev[ev["date"] <= ends[c]], **args), overrides,
                           as_of=ends[c], mastery_line=args["mastery_line"],
                           students=st["student_id"].astype(str))   # ids: a table iterates columns
        a = grouping.assign_block(m, ds.targets, st, ds.cycles, cycle=c, rooms=rooms,
                                  pins=pins if c == cycle else None, previous=prev)
        frames.append(a.assign(cycle_id=c))
        prev = a
    history = pd.concat(frames, ignore_index=True)
    return GradeBlock(cycle=cycle, students=st, classrooms=rooms_of_grade, rooms=rooms,
                      assignment=a,
                      summary=grouping.block_rooms(a, rooms), history=history,
                      fluidity=grouping.block_fluidity(history),
                      stuck=grouping.block_stuck(history, cycles=stuck_cycles))


def _room_label(teacher, subject, focus) -> str:
    label = f"{teacher} · {grouping.block.subject_name(subject)}"
    return f"{label} · {focus}" if focus else label


def block_table(block: GradeBlock, *, names: bool = True) -> pd.DataFrame:
    """The block for people. With ``names``: one row per student, room by room
    (room, student, own classroom's teacher, why); the grade's teachers teach the block,
    so this copy is theirs. Without: one row per room (seats, students placed, placed by
    the team, targets behind in the room's subject) and no student named."""
    a = block.assignment
    if names:
        who = student_names(block.students)
        teacher_of = dict(zip(block.classrooms["classroom_id"].astype(str),
                              block.classrooms["teacher"].astype(str)))
        homes = a["classroom_id"].astype(str).map(teacher_of).fillna("")
        out = pd.DataFrame({
            "room": [_room_label(t, s, f) for t, s, f in zip(a["teacher"], a["subject"],
                                                             a["focus"])],
            "student": a["student_id"].astype(str).map(who).to_numpy(),
            "own class": homes.to_numpy(), "why": a["reason"].to_numpy(),
            "_order": a["room"].to_numpy(), "_need": -a["need"].to_numpy()})
        return (out.sort_values(["_order", "_need", "student"], kind="mergesort")
                .drop(columns=["_order", "_need"]).reset_index(drop=True))
    s = block.summary
    return pd.DataFrame({
        "room": [_room_label(t, x, f) for t, x, f in zip(s["teacher"], s["subject"],
                                                         s["focus"])],
        "seats": s["capacity"].to_numpy(), "students placed": s["placed"].to_numpy(),
        "placed by the team": s["pinned"].to_numpy(),
        "targets behind the grade's pace in the room's subject": [
            f"median {m:g} (from {lo} to {hi})" if p else "—"
            for m, lo, hi, p in zip(s["need_median"], s["need_low"], s["need_high"],
                                    s["placed"])]})


def block_lists(block: GradeBlock) -> list[tuple[str, pd.DataFrame]]:
    """Each room's list for the grade's teachers: (caption, table of student, own class,
    why), rooms in order, students by need (most first), then name."""
    people = block_table(block, names=True)
    order = block.assignment.sort_values(["room", "need"], ascending=[True, False],
                                         kind="mergesort")["room"]
    people = people.assign(_room=order.to_numpy())      # block_table's row order
    out = []
    for r in block.summary.itertuples(index=False):
        rows = people[people["_room"] == r.room].drop(columns=["room", "_room"])
        out.append((f"{_room_label(r.teacher, r.subject, r.focus)}: {int(r.placed)} of "
                    f"{int(r.capacity)} seats", rows.reset_index(drop=True)))
    return out


def block_changes(block: GradeBlock) -> pd.DataFrame:
    """How much the block moved cycle to cycle: share of students in another room and
    the adjusted Rand index, as for the flexible groups. No student named."""
    rows = [{"cycles": f"{int(r.from_cycle)} to {int(r.to_cycle)}",
             "changed room": f"{r.share_changed:.0%}",
             "agreement with the cycle before (ARI)": round(float(r.ari), 2)}
            for r in block.fluidity.itertuples(index=False)]
    return pd.DataFrame(rows, columns=["cycles", "changed room",
                                       "agreement with the cycle before (ARI)"])


def block_stayers(block: GradeBlock) -> pd.DataFrame:
    """The students who have stayed in one room three cycles (``stuck_cycles``) or more
    while their greatest need is now another subject, by name, with why."""
    who = student_names(block.students)
    st = block.stuck
    return pd.DataFrame({"student": st["student_id"].astype(str).map(who).to_numpy(),
                         "why": st["reason"].to_numpy()}, columns=["student", "why"])



def grade_equity_view(ds: Dataset, view: ClassroomView, *, min_n: int | None = None,
                      views: list[ClassroomView] | None = None) -> pd.DataFrame:
    """The grade's equity view for a classroom's data talk (issue 19 item 8): share of the
    grade's targets mastered and share on track by group for all classrooms of the grade
    together, and beside it the classroom's own figures where the minimum n allows.

    Both come from one suppression table (:func:`coachkit.privacy.classroom_groups`): the
    grade's rows are exactly the ones the grade overview and the school dashboard publish,
    and the classroom's rows are hidden wherever they, read beside the grade's, would let
    a reader narrow a hidden count. ``views``: the grade's classroom views if already
    computed (default: computed here, without group history)."""
    min_n = privacy.minimum_n(min_n)
    room = view.classroom
    school, grade, cid = room["school_id"], int(room["grade"]), str(room["classroom_id"])
    cols = ["student_id", *privacy.STUDENT_FAMILIES]

    def rows_of(vs):
        pr = pd.concat([v.projection for v in vs], ignore_index=True)
        st = pd.concat([v.students for v in vs], ignore_index=True).drop_duplicates("student_id")
        return with_families(pr, st)

    def with_families(pr, st):
        return pr.drop(columns=[c for c in cols[1:] if c in pr.columns]).merge(st[cols],
                                                                               on="student_id")
    school_students = ds.students[ds.students["school_id"] == school]
    table = suppression_table(school_students, min_n=min_n, grade=grade)
    g_groups = privacy.shown_groups(table, {"school_id": school, "grade": grade},
                                    level=("school_id", "grade"))
    c_groups = privacy.shown_groups(table, {"school_id": school, "grade": grade,
                                            "classroom_id": cid}, level=privacy.CLASSROOM_LEVEL)
    if views is None:       # the grade's projection alone: what the figures rest on
        st = ds.students[(ds.students["school_id"] == school)
                         & (ds.students["grade"] == grade)].reset_index(drop=True)
        grade_rows = with_families(grade_projection(ds, st, int(view.cycle.name),
                                                    method=view.method), st)
    else:
        grade_rows = rows_of(views)
    g = equity_figures(grade_rows, g_groups)
    # a group the classroom has nobody of (a home language) is not on its page: "—"
    c = g[["family", "group"]].merge(equity_figures(rows_of([view]), c_groups),
                                     on=["family", "group"], how="left")
    out = pd.DataFrame({
        "group": g["group"], "grade_students": g["n_students"],
        "grade_share_mastered": g["share_mastered"], "grade_share_on_track": g["share_on_track"],
        "class_students": c["n_students"].to_numpy(),
        "class_share_mastered": c["share_mastered"].to_numpy(),
        "class_share_on_track": c["share_on_track"].to_numpy(),
    })
    out["note"] = np.where(g["hidden"], hidden_note(min_n),
                           np.where(c["hidden"].fillna(False).astype(bool).to_numpy(),
                                    "this classroom: hidden (fewer than the minimum here, or "
                                    "it would give away another classroom's count)", ""))
    out.attrs = dict(table.attrs)
    return out


def suppression_table(school_students: pd.DataFrame, *, min_n: int, grade) -> pd.DataFrame:
    """``privacy.classroom_groups`` for a school's students and one grade: the same for
    every classroom of the grade. In the batch runner's workers (``caching.keeping()``)
    computed once per grade, keyed by the content of the students table, and handed out
    as a copy-on-write copy; elsewhere computed each time."""
    def compute():
        return privacy.classroom_groups(school_students, min_n=min_n, grade=grade)
    if not caching.keeping():
        return compute()
    key = ("suppression_table", _digest(school_students), int(min_n), grade)
    return caching.kept(key, compute, fingerprint=_digest).copy(deep=False)


def _digest(df: pd.DataFrame) -> tuple:
    """Shape, columns, types and a hash of every value: equal only for equal tables."""
    return (df.shape, tuple(map(str, df.columns)), tuple(map(str, df.dtypes)),
            int(pd.util.hash_pandas_object(df, index=True).sum()) if len(df) else 0)


def grade_projection(ds: Dataset, students: pd.DataFrame, cycle: int, *,
                     method: str | None = None) -> pd.DataFrame:
    """``progress.projection`` for STUDENTS (one grade) at the end of CYCLE, by the
    district's policy: what every classroom view of the grade holds, computed at once
    (mastery and pace are per student, so one pass over the grade gives the same rows)."""
    args = mastery_args(ds, method)
    end = ds.cycles.set_index(ds.cycles["cycle_id"].astype(int)).loc[ds.check_cycle(cycle), "end"]
    ids = set(students["student_id"].astype(str))
    ev = ds.evidence[(ds.evidence["date"] <= end).to_numpy()
                     & ds.evidence["student_id"].astype(str).isin(ids).to_numpy()]
    targets = ds.targets[ds.targets["grade"] == int(students["grade"].iloc[0])]
    return progress.projection(progress.mastery(ev, **args), targets, students, ds.cycles,
                               as_of=end)


GRADE_EQUITY_HEADINGS = {
    "grade_students": "students in the grade",
    "grade_share_mastered": "grade: share of targets mastered",
    "grade_share_on_track": "grade: share on track",
    "class_students": "students in this classroom",
    "class_share_mastered": "this classroom: share of targets mastered",
    "class_share_on_track": "this classroom: share on track",
}
