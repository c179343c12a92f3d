"""The team sees the plans: the learning plans due this cycle for one classroom, whether
the retake happened and whether it reached proficient, with the student's goals beside.

    view = ck.talk.classroom_view(ds, "S101-3A", 6, overrides=log.level_overrides())
    due = ck.plans.for_view(view, log.plans(), goals=log.goals())
    ck.plans.table(due, targets=view.targets)        # the shared table style

A plan is **due this cycle** when its retake date falls in the cycle (first to last day),
or, with no retake date, when it was made during the cycle. **The retake happened** when
the student has evidence of kind ``retake`` on the plan's target dated on or after the
day the plan was made, up to the end of the cycle. **Reached proficient** is the mastery
table's ``mastered`` at the end of the cycle (the district's mastery rule: method, line,
counted kinds, and levels set by hand, as ``talk.classroom_view`` computes it). Only the
classroom's own students' plans and goals are kept.
"""
from __future__ import annotations

import pandas as pd

from . import tables
from .talk import ClassroomView, student_names

COLUMNS = ["student_id", "student", "target_id", "code", "statement", "actions", "support",
           "helpers", "plan_date", "retake_date", "retake_taken", "retake_on", "proficient",
           "goals"]
SHOWN = ["student", "target_id", "actions", "retake_date", "retake_taken", "retake_on",
         "proficient", "goals"]
HEADINGS = {"actions": "what the student will do", "retake_date": "retake date",
            "retake_taken": "retake happened", "retake_on": "retake on",
            "proficient": "reached proficient", "goals": "the student's goals now"}


def _in(df, student_ids) -> pd.DataFrame:
    if df is None or not len(df):
        return pd.DataFrame()
    return df[df["student_id"].astype(str).isin(student_ids)]


def current_goals(goals: pd.DataFrame | None, targets: pd.DataFrame, *, as_of) -> pd.Series:
    """student_id -> the student's goals not met by AS_OF (set on or before it), in the
    words shown: the goal's own words, the target's code, or both ("3.OA.A.1: …")."""
    if goals is None or not len(goals):
        return pd.Series(dtype=object)
    g = goals[pd.to_datetime(goals["date"]) <= pd.Timestamp(as_of)]
    met = pd.to_datetime(g["met_on"]) if "met_on" in g else pd.Series(pd.NaT, index=g.index)
    g = g[met.isna() | (met > pd.Timestamp(as_of))]
    codes = dict(zip(targets["target_id"].astype(str), targets["code"].astype(str)))

    def words(r):
        text = r.get("text")
        text = None if text is None or text != text or not str(text).strip() else str(text)
        tid = r.get("target_id")
        code = None if tid is None or tid != tid else codes.get(str(tid), str(tid))
        return ": ".join(x for x in (code, text) if x)
    if not len(g):
        return pd.Series(dtype=object)
    out = pd.Series([words(r) for r in g.to_dict("records")], index=g["student_id"].astype(str))
    return out.groupby(level=0).agg("; ".join)


def plans_due(plans: pd.DataFrame | None, *, students: pd.DataFrame, targets: pd.DataFrame,
              evidence: pd.DataFrame, mastery: pd.DataFrame, cycle: pd.Series,
              goals: pd.DataFrame | None = None) -> pd.DataFrame:
    """The plans of STUDENTS due in CYCLE (a row of the cycles table: start, end), one row
    per plan sorted by student and retake date, with the columns of ``COLUMNS``:
    ``retake_taken``/``retake_on`` (the first retake on the target on or after the plan's
    day, through the cycle's end), ``proficient`` (``mastered`` in MASTERY, the table at
    the end of the cycle) and ``goals`` (the student's goals not yet met)."""
    ids = set(students["student_id"].astype(str))
    start, end = pd.Timestamp(cycle["start"]), pd.Timestamp(cycle["end"])
    p = _in(plans, ids)
    if not len(p):
        return pd.DataFrame(columns=COLUMNS)
    p = p.assign(student_id=p["student_id"].astype(str), target_id=p["target_id"].astype(str),
                 plan_date=pd.to_datetime(p["date"]).dt.normalize(),
                 retake_date=pd.to_datetime(p["retake_date"]))
    due = p["retake_date"].between(start, end) | (
        p["retake_date"].isna() & p["plan_date"].between(start, end))
    p = p[due]
    if not len(p):
        return pd.DataFrame(columns=COLUMNS)
    ev = _in(evidence, ids)
    retakes = ev[(ev["kind"].astype(str) == "retake") & (pd.to_datetime(ev["date"]) <= end)] \
        if len(ev) else ev
    retakes = (retakes.assign(student_id=retakes["student_id"].astype(str),
                              target_id=retakes["target_id"].astype(str),
                              date=pd.to_datetime(retakes["date"]))[["student_id", "target_id", "date"]]
               if len(retakes) else pd.DataFrame(columns=["student_id", "target_id", "date"]))
    pairs = p[["student_id", "target_id", "plan_date"]].reset_index().merge(
        retakes, on=["student_id", "target_id"], how="left")
    pairs = pairs[pairs["date"] >= pairs["plan_date"]]
    first = pairs.groupby("index")["date"].min()
    p = p.assign(retake_on=first.reindex(p.index))
    p["retake_taken"] = p["retake_on"].notna()
    m = mastery.assign(student_id=mastery["student_id"].astype(str),
                       target_id=mastery["target_id"].astype(str))
    mastered = set(map(tuple, m.loc[m["mastered"].astype(bool), ["student_id", "target_id"]]
                       .to_numpy().tolist()))
    p["proficient"] = [(s, t) in mastered for s, t in zip(p["student_id"], p["target_id"])]
    names = student_names(students)
    p["student"] = p["student_id"].map(names)
    t = targets.drop_duplicates("target_id")
    tids = t["target_id"].astype(str)
    p["code"] = p["target_id"].map(dict(zip(tids, t["code"].astype(str)))).fillna(p["target_id"])
    p["statement"] = p["target_id"].map(dict(zip(tids, t["statement"].astype(str))))
    p["goals"] = p["student_id"].map(current_goals(_in(goals, ids), targets, as_of=end))
    for c in ("support", "helpers"):
        if c not in p:
            p[c] = None
    p = p.sort_values(["student", "retake_date", "plan_date"], na_position="last", kind="stable")
    return p[COLUMNS].reset_index(drop=True)


def for_view(view: ClassroomView, plans: pd.DataFrame | None, *, goals=None,
             targets: pd.DataFrame | None = None) -> pd.DataFrame:
    """``plans_due`` for a data talk's classroom view (its students, evidence, mastery at
    the end of its cycle: the district's rule and the levels set by hand). ``targets``:
    every target (default the grade's), for plans on another grade's targets."""
    return plans_due(plans, students=view.students,
                     targets=view.targets if targets is None else targets,
                     evidence=view.evidence, mastery=view.mastery, cycle=view.cycle, goals=goals)


def _options(due: pd.DataFrame, targets, options: dict) -> dict:
    if targets is None:                 # the words the plans table carries
        targets = due[["target_id", "code", "statement"]]
    return dict(options, targets=targets,
                headings={**HEADINGS, **options.get("headings", {})},
                na={"retake_date": "no date set", "retake_on": "not yet", "goals": "no goal yet",
                    **options.get("na", {})},
                empty=options.get("empty", "No learning plan is due this cycle for this classroom."))


def to_html(due: pd.DataFrame, *, targets: pd.DataFrame | None = None, **options) -> str:
    """The plans due as the shared table (``coachkit.tables``): student, target (code and
    statement), what the student will do, retake date, whether the retake happened and
    when, whether it reached proficient, and the student's goals. ``targets``: every
    target, for the statements (default: the words the table carries)."""
    return tables.to_html(due[SHOWN], **_options(due, targets, options))


def table(due: pd.DataFrame, *, targets: pd.DataFrame | None = None, **options) -> tables.Table:
    """The plans due as a notebook table (end a cell with it)."""
    return tables.table(due[SHOWN], **_options(due, targets, options))
