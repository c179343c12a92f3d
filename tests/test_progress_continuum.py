"""Stage, frontier, pace, projection, growth, attempts to proficiency, summarize_by."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import coachkit.progress as P
from coachkit.errors import CoachkitDataError

D = pd.Timestamp


@pytest.fixture
def targets():
    return pd.DataFrame({
        "target_id": ["m1", "m2", "m3", "m4", "e1", "e2"],
        "subject": ["math"] * 4 + ["ela"] * 2, "grade": np.array([3, 3, 3, 4, 3, 3], "int8"),
        "sequence": np.array([1, 2, 3, 1, 1, 2], "int16"), "unit": "u", "code": "c",
        "statement": "s"})


@pytest.fixture
def students():
    return pd.DataFrame({"student_id": ["a", "b", "c"], "grade": np.array([3, 3, 3], "int8"),
                         "classroom_id": ["r1", "r1", "r2"], "school_id": "s1",
                         "ell": [True, False, False], "iep": [False, False, True],
                         "home_language": ["es", "en", "en"]})


@pytest.fixture
def cycles():
    return pd.DataFrame({"cycle_id": np.array([1, 2, 3], "int16"),
                         "start": pd.to_datetime(["2025-08-04", "2025-09-15", "2025-10-27"]),
                         "end": pd.to_datetime(["2025-09-12", "2025-10-24", "2025-12-05"]),
                         "school_year": "2025-26"})


@pytest.fixture
def evidence():
    return pd.DataFrame({
        "student_id": ["a", "a", "a", "b", "b", "c", "c"],
        "target_id": ["m1", "m2", "m3", "m1", "e1", "m2", "m1"],
        "date": pd.to_datetime(["2025-09-02", "2025-09-10", "2025-10-01", "2025-09-03",
                                "2025-09-20", "2025-10-02", "2025-09-01"]),
        "score": np.array([3, 4, 3, 2, 3, 4, 1], "float32"), "kind": "summative"})


def test_stage_grid(evidence, targets, students):
    m = P.mastery(evidence, "most_recent")
    s = P.stage(m, targets, students)
    # 3 students x 5 grade-3 targets; m4 is grade 4 and nobody has evidence on it
    assert len(s) == 15
    got = {(r.student_id, r.target_id): r.stage for r in s.itertuples()}
    assert got[("a", "m1")] == "i-show" and got[("b", "m1")] == "i-practice"
    assert got[("b", "m2")] == "i-learn" and got[("c", "e2")] == "i-learn"
    assert list(P.stage(m).columns) == ["student_id", "target_id", "stage"]
    with pytest.raises(ValueError, match="both targets and students"):
        P.stage(m, targets)


def test_frontier(evidence, targets, students):
    m = P.mastery(evidence, "most_recent")
    f = P.frontier(m, targets)
    got = {(r.student_id, r.subject): r.target_id for r in f.itertuples()}
    # a mastered m1..m3 (all of grade 3 math) -> moves on to grade 4's m4
    # b: m1 not mastered -> m1; e1 mastered -> e2; c: m1 at 1 (m2 mastered, m1 not) -> m1
    assert got == {("a", "math"): "m4", ("b", "ela"): "e2", ("b", "math"): "m1",
                   ("c", "math"): "m1"}
    assert list(f.columns) == ["student_id", "subject", "target_id", "sequence", "grade",
                               "complete"]
    # with students: every subject of their grade, also where there is no evidence yet
    fs = P.frontier(m, targets, students)
    got = {(r.student_id, r.subject): r.target_id for r in fs.itertuples()}
    assert got[("a", "ela")] == "e1" and got[("c", "ela")] == "e1"


def test_frontier_complete_student(targets):
    ev = pd.DataFrame({"student_id": "z", "target_id": ["e1", "e2"],
                       "date": pd.to_datetime(["2025-09-01", "2025-09-02"]),
                       "score": np.float32(4.0)})
    f = P.frontier(P.mastery(ev, "mean"), targets)
    assert len(f) == 1 and f["complete"].iloc[0]
    assert pd.isna(f["target_id"].iloc[0]) and pd.isna(f["sequence"].iloc[0])
    assert len(P.frontier(P.mastery(ev, "mean"), targets, include_complete=False)) == 0


def test_pace_hand_worked(evidence, targets, cycles):
    m = P.mastery(evidence, "most_recent")
    p = P.pace(m, cycles)
    # as_of = latest evidence 2025-10-02, in cycle 2 (from 09-15). Year from 08-04:
    # 08-04..10-02 = 60 days = 8.571 weeks; cycle 09-15..10-02 = 18 days = 2.571 weeks
    a = p.set_index("student_id").loc["a"]
    assert a["mastered_year"] == 3 and a["weeks_year"] == pytest.approx(60 / 7)
    assert a["pace_year"] == pytest.approx(3 / (60 / 7))
    # a's mastered dates: 09-02, 09-10, 10-01 -> one in cycle 2
    assert a["mastered_cycle"] == 1 and a["pace_cycle"] == pytest.approx(1 / (18 / 7))
    assert a["cycle_id"] == 2
    ps = P.pace(m, cycles, targets=targets)
    assert set(ps["subject"]) == {"math", "ela"}
    # without cycles: year from the earliest date (09-01), last 42 days
    p2 = P.pace(m).set_index("student_id")
    assert p2.loc["a", "weeks_year"] == pytest.approx(32 / 7)


def test_projection(evidence, targets, students, cycles):
    m = P.mastery(evidence, "most_recent")
    pr = P.projection(m, targets, students, cycles)
    row = pr.set_index(["student_id", "subject"]).loc[("a", "math")]
    assert row["remaining"] == 0 and row["on_track"]
    c = pr.set_index(["student_id", "subject"]).loc[("c", "math")]
    # c: 1 of 3 mastered in cycle 2 (18 days = 2.571 weeks): pace .3889/week;
    # 2 remaining -> 2 / .3889 = 5.14 weeks = 36 days after 10-02 -> 11-07 <= 12-05
    assert c["remaining"] == 2 and c["pace"] == pytest.approx(7 / 18)
    assert c["projected_date"] == D("2025-11-07") and c["on_track"]
    assert c["projected_earliest"] <= c["projected_date"] <= c["projected_latest"]
    b = pr.set_index(["student_id", "subject"]).loc[("b", "math")]
    assert b["pace"] == 0 and pd.isna(b["projected_date"]) and not b["on_track"]
    with pytest.raises(ValueError, match="school year's end"):
        P.projection(m, targets, students)
    with pytest.raises(ValueError, match="band"):
        P.projection(m, targets, students, cycles, band=2)


def test_growth(evidence, cycles, targets):
    g = P.growth(evidence, cycles, 1, 2, method="most_recent").set_index("student_id")
    # a: by 09-12 m1 (3), m2 (4) mastered -> 2, mean 3.5; by 10-24 also m3 (3): 3, mean 3.333
    assert g.loc["a", "mastered_from"] == 2 and g.loc["a", "mastered_to"] == 3
    assert g.loc["a", "level_change"] == pytest.approx(10 / 3 - 3.5)
    # c: by 09-12 only m1 at 1 -> 0 mastered, level 1; later m2 at 4: 1 mastered, mean 2.5
    assert g.loc["c", "mastered_change"] == 1 and g.loc["c", "level_to"] == 2.5
    assert (g["from_cycle"] == 1).all() and (g["to_cycle"] == 2).all()
    gd = P.growth(evidence, cycles, targets=targets)      # default: cycles 2 -> 3
    assert set(gd.columns[:2]) == {"student_id", "subject"} and (gd["from_cycle"] == 2).all()
    with pytest.raises(ValueError, match="not in the cycles table"):
        P.growth(evidence, cycles, 7, 2)


def test_attempts_to_proficiency():
    ev = pd.DataFrame({
        "student_id": ["a", "a", "a", "b", "b", "c", "c"],
        "target_id": "t1",
        "date": pd.to_datetime(["2025-09-01", "2025-09-02", "2025-09-03", "2025-09-01",
                                "2025-09-01", "2025-09-01", "2025-09-02"]),
        "score": np.array([2, 2.5, 3, 1, 3.5, 2, 2], "float32")})
    pairs = P.attempts_to_proficiency(ev, per="pair").set_index("student_id")
    # a reached on attempt 3; b on attempt 2 (same day, input order); c not yet (2 tries)
    assert pairs.loc["a", "attempts"] == 3 and pairs.loc["b", "attempts"] == 2
    assert not pairs.loc["c", "reached"] and np.isnan(pairs.loc["c", "attempts"])
    t = P.attempts_to_proficiency(ev).iloc[0]
    assert (t["n_students"], t["n_reached"], t["first_try"]) == (3, 2, 0)
    assert t["share_reached"] == pytest.approx(2 / 3)
    assert t["mean_attempts"] == 2.5 and t["median_attempts"] == 2.5 and t["max_attempts"] == 3
    assert t["attempts_not_reached"] == 2
    with pytest.raises(ValueError, match="per must be"):
        P.attempts_to_proficiency(ev, per="student")


def test_summarize_by(evidence, students, cycles):
    m = P.mastery(evidence, "most_recent")
    s = P.summarize_by(m, "classroom_id", students).set_index("classroom_id")
    # r1 = a (3 pairs, all mastered) + b (m1 no, e1 yes): 5 rows, 4 mastered
    assert s.loc["r1", "n_students"] == 2 and s.loc["r1", "n_rows"] == 5
    assert s.loc["r1", "n_mastered"] == 4 and s.loc["r1", "share_mastered"] == 0.8
    assert s.loc["r1", "n_i_show"] == 4 and s.loc["r1", "n_i_practice"] == 1
    sub = P.summarize_by(P.pace(m, cycles), ["school_id", "ell"], students)
    assert sub["n_students"].sum() == 3 and "mean_pace_year" in sub.columns
    # a student missing from the students table stays visible under an empty group
    extra = pd.concat([m.astype({"student_id": str}),
                       m.iloc[:1].astype({"student_id": str}).assign(student_id="zz")])
    s2 = P.summarize_by(extra, "classroom_id", students)
    assert s2["classroom_id"].isna().sum() == 1
    with pytest.raises(CoachkitDataError, match="missing column.*'region'"):
        P.summarize_by(m, "region", students)
