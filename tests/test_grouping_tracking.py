"""Checking for tracking: ARI against scikit-learn, fluidity, stuck students, composition,
and the group figures."""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from sklearn.metrics import adjusted_rand_score

from coachkit.charts.groups import group_cards, group_composition, group_flow
from coachkit.errors import CoachkitDataError
from coachkit.grouping import (adjusted_rand_index, composition, flexible_groups, fluidity,
                               stuck_students)


# --------------------------------------------------------------------------- ARI
@pytest.mark.parametrize("seed", range(40))
def test_ari_agrees_with_sklearn_on_random_labelings(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 300))
    a = rng.integers(0, int(rng.integers(1, 12)), n)
    b = a.copy() if seed % 5 == 0 else rng.integers(0, int(rng.integers(1, 12)), n)
    if seed % 7 == 0:                        # partly agreeing labelings
        b = np.where(rng.random(n) < 0.7, a, b)
    assert adjusted_rand_index(a, b) == pytest.approx(adjusted_rand_score(a, b), abs=1e-12)


@pytest.mark.parametrize("a,b", [([0, 0, 0], [1, 1, 1]), ([0, 1, 2], [5, 6, 7]),
                                 ([0, 0, 1, 1], [0, 1, 0, 1]), ([1], [1]), ([], []),
                                 (["x", "y", "x"], ["p", "p", "q"])])
def test_ari_edge_cases_match_sklearn(a, b):
    assert adjusted_rand_index(a, b) == pytest.approx(adjusted_rand_score(a, b))


def test_ari_large_n_has_no_overflow():
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 50, 200_000), rng.integers(0, 50, 200_000)
    assert adjusted_rand_index(a, b) == pytest.approx(adjusted_rand_score(a, b), abs=1e-10)
    assert adjusted_rand_index(pd.Series(a), a) == 1.0


def test_ari_checks_its_input():
    with pytest.raises(ValueError, match="same students"):
        adjusted_rand_index([1, 2], [1])
    with pytest.raises(ValueError, match="missing labels"):
        adjusted_rand_index([1, None], [1, 2])
    with pytest.raises(ValueError, match="one-dimensional"):
        adjusted_rand_index([[1, 2]], [[1, 2]])


# --------------------------------------------------------------------------- fluidity
def history(*cycles, focus=None, classroom=None):
    """cycles: dicts student -> group; focus: per cycle dict group -> focus_sequence."""
    rows = []
    for c, grouping in enumerate(cycles, start=1):
        for s, g in grouping.items():
            row = {"cycle_id": c, "student_id": s, "group": g}
            if focus is not None:
                row["focus_sequence"] = focus[c - 1][g]
            if classroom is not None:
                row["classroom_id"] = classroom
            rows.append(row)
    return pd.DataFrame(rows)


def test_relabelled_groups_are_not_a_change():
    a = {"s1": 1, "s2": 1, "s3": 2, "s4": 2, "s5": 3, "s6": 3}
    b = {"s1": 3, "s2": 3, "s3": 1, "s4": 1, "s5": 2, "s6": 2}     # same groups, new labels
    out = fluidity(history(a, b))
    assert out[["n_students", "n_changed"]].iloc[0].tolist() == [6, 0]
    assert out["ari"].iloc[0] == 1.0


def test_fluidity_counts_students_who_left_their_group():
    a = {"s1": 1, "s2": 1, "s3": 1, "s4": 2, "s5": 2, "s6": 2}
    b = {"s1": 1, "s2": 1, "s3": 2, "s4": 2, "s5": 2, "s6": 1}     # s3 and s6 swapped
    c = {"s1": 1, "s2": 2, "s3": 1, "s4": 2, "s5": 1, "s6": 2, "s7": 1}  # s7 is new
    out = fluidity(history(a, b, c))
    assert out["from_cycle"].tolist() == [1, 2] and out["to_cycle"].tolist() == [2, 3]
    assert out["n_changed"].tolist()[0] == 2
    assert out["share_changed"].iloc[0] == pytest.approx(2 / 6)
    assert out["n_students"].tolist() == [6, 6]
    lab = lambda d, ks: [d[k] for k in ks]  # noqa: E731
    ks = ["s1", "s2", "s3", "s4", "s5", "s6"]
    assert out["ari"].tolist() == pytest.approx(
        [adjusted_rand_score(lab(a, ks), lab(b, ks)), adjusted_rand_score(lab(b, ks), lab(c, ks))])
    per = fluidity(history(a, b, c), per_student=True)
    moved = per[(per["from_cycle"] == 1) & per["changed"]]["student_id"].tolist()
    assert sorted(moved) == ["s3", "s6"]


def test_fluidity_per_classroom_and_door_checks():
    a = {"s1": 1, "s2": 1, "s3": 2, "s4": 2}
    h = pd.concat([history(a, a, classroom="A"),
                   history({"t1": 1, "t2": 2}, {"t1": 1, "t2": 1}, classroom="B")])
    out = fluidity(h, by="classroom_id")
    assert out.set_index("classroom_id")["n_changed"].to_dict() == {"A": 0, "B": 1}
    with pytest.raises(ValueError, match="by='classroom_id'"):
        fluidity(h)
    with pytest.raises(CoachkitDataError, match="missing column"):
        fluidity(h.drop(columns="group"), by="classroom_id")
    with pytest.raises(CoachkitDataError, match="one row per"):
        fluidity(pd.concat([h, h]), by="classroom_id")


# --------------------------------------------------------------------------- stuck
def test_student_stuck_low_for_three_cycles_is_flagged():
    # Dana sits in the lowest group three cycles running; its label changes every cycle
    # (labels mean nothing across cycles): the focus_sequence tells which group is lowest.
    c1 = {"dana": 2, "eli": 2, "fay": 1, "gus": 1, "hal": 3, "ivy": 3}
    c2 = {"dana": 1, "eli": 3, "fay": 1, "gus": 2, "hal": 2, "ivy": 3}
    c3 = {"dana": 3, "eli": 1, "fay": 2, "gus": 3, "hal": 1, "ivy": 2}
    focus = [{1: 10, 2: 4, 3: 12}, {1: 6, 2: 9, 3: 14}, {1: 12, 2: 11, 3: 8}]
    out = stuck_students(history(c1, c2, c3, focus=focus))
    assert out["student_id"].tolist() == ["dana"]
    row = out.iloc[0]
    assert (row["first_cycle"], row["last_cycle"], row["n_cycles"], row["current"]) == (1, 3, 3, True)
    assert stuck_students(history(c1, c2, c3, focus=focus), cycles=4).empty


def test_fluid_grouping_is_not_flagged():
    # the lowest group's members change: a is low twice, then moves up; nobody 3 in a row
    lows = [{"a", "b", "c"}, {"a", "d", "e"}, {"b", "c", "d"}, {"a", "b", "f"}]
    cycles = [{s: 1 if s in low else 2 for s in "abcdef"} for low in lows]
    assert stuck_students(history(*cycles)).empty          # no focus: group 1 is lowest
    assert stuck_students(history(*cycles), cycles=2)["student_id"].tolist() == ["a", "b", "d"]
    flu = fluidity(history(*cycles))
    assert (flu["n_changed"] > 0).all() and (flu["ari"] < 1).all()


def test_fixed_groups_with_rotating_labels_show_in_fluidity():
    students = [f"s{i}" for i in range(9)]
    cycles = [{s: 1 + (i // 3 + c) % 3 for i, s in enumerate(students)} for c in range(6)]
    assert stuck_students(history(*cycles)).empty   # label 1 rotates between the groups
    flu = fluidity(history(*cycles))
    assert (flu["n_changed"] == 0).all() and (flu["ari"] == 1.0).all()


def test_runs_break_on_missing_cycles_and_single_group_cycles():
    low = {"ann": 1, "bo": 2, "cy": 2}
    one = {"ann": 1, "bo": 1, "cy": 1}
    out = stuck_students(history(low, low, one, low, low))
    assert out.empty                                # the one-group cycle has no lowest group
    gone = {"bo": 1, "cy": 2}
    assert stuck_students(history(low, low, gone, low, low)).empty
    out = stuck_students(history(low, low, low, low, gone), cycles=3)
    assert out[["student_id", "n_cycles", "current"]].values.tolist() == [["ann", 4, False]]


# --------------------------------------------------------------------------- composition
STUDENTS = pd.DataFrame({
    "student_id": [f"s{i}" for i in range(10)],
    "ell": [True, True, True, False, False, False, False, False, False, False],
    "iep": [False] * 9 + [True],
    "home_language": ["Spanish"] * 3 + ["English"] * 7})
GROUPS = pd.DataFrame({"student_id": [f"s{i}" for i in range(10)],
                       "group": [1, 1, 1, 1, 1, 2, 2, 2, 2, 2]})


def test_composition_counts_shares_ratio_and_flags():
    c = composition(GROUPS, STUDENTS).set_index(["group", "characteristic"])
    ell1 = c.loc[(1, "ell")]
    assert (ell1["count"], ell1["group_n"], ell1["classroom_count"], ell1["classroom_n"]) == (3, 5, 3, 10)
    assert ell1["share"] == pytest.approx(0.6) and ell1["classroom_share"] == pytest.approx(0.3)
    assert ell1["ratio"] == pytest.approx(2.0) and ell1["flag"] == "over"
    assert c.loc[(2, "ell"), "flag"] == "under" and c.loc[(2, "ell"), "ratio"] == 0
    assert c.loc[(2, "iep"), "count"] == 1 and c.loc[(2, "iep"), "flag"] == ""  # 1 of 5 vs 0.5
    assert set(c.index.get_level_values("characteristic")) == {
        "ell", "iep", "home_language: Spanish", "home_language: English"}
    assert c.loc[(1, "ell"), "p_value"] == pytest.approx(2 * (1 / 12))  # hypergeometric tail
    assert not c["suppressed"].any()


def test_composition_suppresses_small_groups_beyond_the_teacher():
    shown = composition(GROUPS, STUDENTS, suppress=True, min_n=5)
    assert not shown["suppressed"].any()
    hidden = composition(GROUPS, STUDENTS, suppress=True)          # min_n 10 by default
    assert hidden["suppressed"].all()
    assert hidden[["count", "share", "ratio", "p_value"]].isna().all().all()
    assert hidden["group_n"].notna().all()
    with pytest.raises(CoachkitDataError, match="not in the students table"):
        composition(GROUPS, STUDENTS.iloc[:5])
    with pytest.raises(ValueError, match="min_n"):
        composition(GROUPS, STUDENTS, min_n=0)
    h = pd.concat([GROUPS.assign(cycle_id=1), GROUPS.assign(cycle_id=2)])
    with pytest.raises(ValueError, match="cycle"):
        composition(h, STUDENTS)
    assert len(composition(h, STUDENTS, by="cycle_id")) == 2 * len(composition(GROUPS, STUDENTS))


# --------------------------------------------------------------------------- figures
def test_group_figures_build():
    f = pd.DataFrame({"student_id": [f"s{i}" for i in range(10)], "subject": "math",
                      "target_id": [f"T{i // 3}" for i in range(10)],
                      "sequence": [i // 3 for i in range(10)]})
    g = flexible_groups(f, n_groups=2)
    cards = group_cards(g)
    assert isinstance(cards, go.Figure) and len(cards.layout.annotations) == 2
    names = STUDENTS.assign(first_name="Ana", last_name=STUDENTS["student_id"])
    assert "Ana s0" in group_cards(g, names, label="name").layout.annotations[0].text
    h = pd.concat([g.assign(cycle_id=1), g.assign(cycle_id=2)])
    flow = group_flow(h)
    assert len(flow.data[0].node.label) == 4 and sum(flow.data[0].link.value) == 10
    assert flow.data[0].node.color[0] == "#d7301f"            # lowest group marked
    comp = group_composition(composition(g, STUDENTS))
    assert comp.data[0].z.shape[0] == 2
    hidden = group_composition(composition(g, STUDENTS, suppress=True))
    assert "suppressed" in hidden.data[0].text[0][0]
