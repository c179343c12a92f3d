"""Did it work? For the students a commitment named: mastery and frontier then and now.

A pure function (tables in, tidy table out) for the data-talk protocol's opening:

    named = log.commitment_students(classroom_id="C1", cycle=2)   # last meeting's
    changed = what_changed(named, ds.evidence, ds.targets, since=last_meeting_date)
"""
from __future__ import annotations

import pandas as pd

from ..errors import CoachkitDataError

COLUMNS = ["commitment_id", "student_id", "subject", "frontier_before", "frontier_now",
           "targets_moved", "target_id", "stage_before", "stage_now", "mastery_before",
           "mastery_now", "new_evidence"]


def what_changed(named: pd.DataFrame, evidence: pd.DataFrame, targets: pd.DataFrame, *,
                 since, until=None, students: pd.DataFrame | None = None,
                 method: str = "decaying_average", **params) -> pd.DataFrame:
    """One row per (commitment, named student, subject).

    named : ``MeetingLog.commitment_students()`` (commitment_id, student_id, target_id).
    since : the date the commitment was made (evidence before it is "before").
    until : the last date counted as "now" (default: all evidence).
    students : the students table (frontier walks start at each student's grade).
    method, params : the mastery method, as in :func:`coachkit.progress.mastery`.

    Returns commitment_id, student_id, subject, frontier_before, frontier_now,
    targets_moved (how many targets the frontier moved along the continuum; positive is
    progress), and for the commitment's own target: target_id, stage_before, stage_now,
    mastery_before, mastery_now; plus new_evidence (evidence rows on the subject between).
    When the commitment names a target only that target's subject is shown.
    """
    from .. import progress
    for col in ("commitment_id", "student_id"):
        if col not in named.columns:
            raise CoachkitDataError(f"what_changed: named has no column {col!r}; pass "
                                    f"MeetingLog.commitment_students()", column=col)
    since = pd.Timestamp(since)
    until = pd.Timestamp.max if until is None else pd.Timestamp(until)
    ids = set(named["student_id"].astype(str))
    ev = evidence[evidence["student_id"].astype(str).isin(ids)]
    ev = ev[pd.to_datetime(ev["date"]) <= until]
    before = ev[pd.to_datetime(ev["date"]) < since]

    t = targets.sort_values(["subject", "grade", "sequence"], kind="stable").copy()
    t["rank"] = t.groupby("subject", observed=True).cumcount()
    t["target_id"] = t["target_id"].astype(str)
    t["subject"] = t["subject"].astype(str)
    size = t.groupby("subject")["rank"].size()
    subject_of = t.set_index("target_id")["subject"]

    def state(e):
        m = progress.mastery(e, method=method, **params)
        f = progress.frontier(m, targets, students)
        f = f.assign(student_id=f["student_id"].astype(str), subject=f["subject"].astype(str),
                     target_id=f["target_id"].astype("object"))
        rank = f["target_id"].map(t.set_index("target_id")["rank"])
        f["rank"] = rank.fillna(f["subject"].map(size)).astype("int64")   # complete: past the end
        m = m.assign(student_id=m["student_id"].astype(str), target_id=m["target_id"].astype(str))
        return m, f[["student_id", "subject", "target_id", "rank"]]

    m0, f0 = state(before)
    m1, f1 = state(ev)
    f = f1.merge(f0, on=["student_id", "subject"], how="outer", suffixes=("_now", "_before"))
    n = named[["commitment_id", "student_id"]].assign(
        student_id=named["student_id"].astype(str),
        target_id=named["target_id"].astype("object") if "target_id" in named else None)
    out = n.merge(f, on="student_id", how="left")
    own = out["target_id"].map(subject_of)
    out = out[own.isna() | (own == out["subject"])]
    out["targets_moved"] = (out["rank_now"] - out["rank_before"]).astype("Int64")  # NA: no "before"
    out = out.rename(columns={"target_id_now": "frontier_now",
                              "target_id_before": "frontier_before"})
    for label, m in (("before", m0), ("now", m1)):
        mm = m[["student_id", "target_id", "mastery", "stage"]].rename(
            columns={"mastery": f"mastery_{label}", "stage": f"stage_{label}"})
        out = out.merge(mm, on=["student_id", "target_id"], how="left")
        out[f"stage_{label}"] = out[f"stage_{label}"].astype("object").where(
            out["target_id"].isna() | out[f"stage_{label}"].notna(), "i-learn")
    between = ev[pd.to_datetime(ev["date"]) >= since].assign(
        student_id=lambda d: d["student_id"].astype(str),
        subject=lambda d: d["target_id"].astype(str).map(subject_of))
    counts = between.groupby(["student_id", "subject"]).size().rename("new_evidence")
    out = out.merge(counts.reset_index(), on=["student_id", "subject"], how="left")
    out["new_evidence"] = out["new_evidence"].fillna(0).astype("int64")
    return out[COLUMNS].reset_index(drop=True)
