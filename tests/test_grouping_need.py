"""Groups by shared need (coachkit.grouping.need, flexible_groups(method="need")) and
the data-talk views built on them: every student placed, every member needs the focus,
extension for finished students, gaps are not "lowest", exact objective, names, year end."""
import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import coachkit as ck
from coachkit import grouping, talk
from coachkit.grouping import need
from coachkit.grouping.need import READY_STEPS, needs, solve, step_cost

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "sample_data" / "district"


# ------------------------------------------------------------------ small hand-made data
def targets_table(n_grade=6, n_next=3):
    rows = [dict(target_id=f"A{i}", subject="math", grade=3, sequence=i, code=f"3.A.{i}",
                 statement=f"target {i}") for i in range(1, n_grade + 1)]
    rows += [dict(target_id=f"B{i}", subject="math", grade=4, sequence=i, code=f"4.B.{i}",
                  statement=f"next grade {i}") for i in range(1, n_next + 1)]
    return pd.DataFrame(rows)


def mastery_of(done: dict) -> pd.DataFrame:
    return pd.DataFrame([dict(student_id=s, target_id=t, mastered=True)
                         for s, ts in done.items() for t in ts],
                        columns=["student_id", "target_id", "mastered"])


def roster(ids):
    return pd.DataFrame({"student_id": list(ids), "subject": "math"})


def test_needs_separate_a_gap_from_where_the_student_is():
    t = targets_table()
    m = mastery_of({
        "near": ["A2", "A3", "A4", "A5", "A6"],          # one early gap, else finished
        "behind": ["A1"],                                # working on A2
        "done": ["A1", "A2", "A3", "A4", "A5", "A6"],
        "two_gaps": ["A1", "A4", "A5"],                  # A2, A3 a gap run; next step A6
    })
    nd = needs(m, t, ["near", "behind", "done", "two_gaps"], subject="math", grade=3)
    nd = nd.set_index("student_id")
    assert nd.loc["near", "gaps"] == ["A1"]
    assert nd.loc["near", "next_step"] == "B1"           # finished the grade but for the gap
    assert nd.loc["near", "progress"] == pytest.approx(5 / 6)
    assert not nd.loc["near", "finished"]
    assert nd.loc["behind", "next_step"] == "A2" and nd.loc["behind", "gaps"] == []
    assert nd.loc["done", "finished"] and nd.loc["done", "steps"][:3] == ["B1", "B2", "B3"]
    assert nd.loc["two_gaps", "gaps"] == ["A2", "A3"]
    assert nd.loc["two_gaps", "next_step"] == "A6"
    # every list ends with the shared extension step
    assert all(s[-1] == need.EXTENSION for s in nd["steps"])


def test_every_student_placed_and_every_member_needs_the_focus():
    t = targets_table(10, 3)
    rng = np.random.default_rng(3)
    done = {}
    for i in range(17):
        reach = int(rng.integers(0, 11))
        ts = [f"A{j}" for j in range(1, reach + 1) if rng.random() > 0.15]
        done[f"S{i:02d}"] = ts
    m = mastery_of(done)
    g = grouping.flexible_groups(roster(done), method="need", mastery=m, targets=t,
                                 min_size=3, max_size=5)
    assert sorted(g["student_id"]) == sorted(done)
    assert g["student_id"].is_unique
    assert g.groupby("group").size().between(3, 5).all()
    for r in g.itertuples(index=False):
        if isinstance(r.focus_target_id, str):
            assert r.focus_target_id not in done[r.student_id]     # still needed
    assert (g.groupby("group")["focus_target_id"].nunique(dropna=False) == 1).all()
    # the same students in any row order give the same groups
    again = grouping.flexible_groups(roster(done).sample(frac=1, random_state=1),
                                     method="need", mastery=m.sample(frac=1, random_state=2),
                                     targets=t, min_size=3, max_size=5)
    pd.testing.assert_frame_equal(g, again)


def test_finished_students_form_an_extension_group_on_the_next_grade():
    t = targets_table(4, 3)
    all4 = ["A1", "A2", "A3", "A4"]
    done = {"F1": all4, "F2": all4, "F3": all4, "W1": [], "W2": [], "W3": ["A1"]}
    g = grouping.flexible_groups(roster(done), method="need", mastery=mastery_of(done),
                                 targets=t, min_size=3, max_size=3)
    ext = g[g["student_id"].isin(["F1", "F2", "F3"])]
    assert ext["group"].nunique() == 1
    assert set(ext["kind"]) == {"extension"} and set(ext["focus_target_id"]) == {"B1"}
    assert "extension" in ext["reason"].iloc[0]
    assert set(g.loc[g["student_id"].str.startswith("W"), "kind"]) == {"next step"}
    # with no next grade in the targets, the extension step beyond the grade
    g2 = grouping.flexible_groups(roster(done), method="need", mastery=mastery_of(done),
                                  targets=t[t["grade"] == 3], min_size=3, max_size=3)
    e2 = g2[g2["student_id"].str.startswith("F")]
    assert e2["focus_target_id"].isna().all() and set(e2["kind"]) == {"extension"}
    assert "finished the grade" in e2["reason"].iloc[0]


def test_pins_kept_and_members_of_a_pinned_group_need_its_focus():
    t = targets_table(6, 3)
    done = {f"S{i}": [f"A{j}" for j in range(1, i % 6 + 1)] for i in range(9)}
    g = grouping.flexible_groups(roster(done), method="need", mastery=mastery_of(done),
                                 targets=t, min_size=3, max_size=3, pinned={"S0": 3},
                                 pinned_by="Ms. Lee")
    row = g.set_index("student_id").loc["S0"]
    assert row["group"] == 3 and row["changed_by"] == "Ms. Lee"
    for r in g.itertuples(index=False):
        if isinstance(r.focus_target_id, str):
            assert r.focus_target_id not in done[r.student_id]


def test_arguments_after_the_frontier_are_keyword_only():
    f = pd.DataFrame({"student_id": ["a", "b", "c"], "subject": "math",
                      "target_id": ["M1"] * 3, "sequence": [1, 1, 1]})
    with pytest.raises(TypeError):
        grouping.flexible_groups(f, 1)
    with pytest.raises(TypeError):
        grouping.peer_groups(f, 1)


# ------------------------------------------------------------------ exact objective
def brute_force(steps, k, lo, hi, window=READY_STEPS, pins=None):
    """Least (steps beyond the window, steps ahead) over every way to put the students
    in k groups within the bounds, each group with its best shared focus (pins: student
    index -> group number 1..k)."""
    n = len(steps)
    pins = pins or {}
    best = None
    for labels in itertools.product(range(k), repeat=n):
        if any(labels[i] != g - 1 for i, g in pins.items()):
            continue
        sizes = np.bincount(labels, minlength=k)
        if (sizes < lo).any() or (sizes > hi).any():
            continue
        total = (0, 0)
        for g in range(k):
            members = [i for i in range(n) if labels[i] == g]
            shared = set.intersection(*(set(steps[i]) for i in members))
            if not shared:
                total = None
                break
            costs = [tuple(map(sum, zip(*(step_cost(steps[i].index(t), window)
                                         for i in members)))) for t in shared]
            c = min(costs)
            total = (total[0] + c[0], total[1] + c[1])
        if total is not None and (best is None or total < best):
            best = total
    return best


@pytest.mark.parametrize("seed", range(12))
def test_solver_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(4, 8))
    k = int(rng.integers(1, 3 if n < 6 else 4))
    lo = int(rng.integers(1, n // k + 1))
    hi = int(rng.integers(max(lo, -(-n // k)), n + 1))
    steps = []
    for _ in range(n):
        start = int(rng.integers(0, 8))
        s = sorted(set(int(x) for x in rng.integers(start, 10, size=int(rng.integers(1, 5)))))
        steps.append(s + [99])                       # the shared extension step
    got = solve(steps, (k, k), lo, hi)
    want = brute_force(steps, k, lo, hi)
    assert got is not None and want is not None
    where, focus, ahead, counts = got
    beyond = sum(step_cost(int(a))[0] for a in ahead)
    assert (beyond, int(ahead.sum())) == want
    assert sum(counts.values()) == k
    for i in range(n):
        assert focus[i] in steps[i]


@pytest.mark.parametrize("seed", range(10))
def test_students_with_the_same_needs_solved_as_one_unit_match_brute_force(seed):
    # few distinct need profiles, many repeats: the solver counts identical students as
    # one unit; the optimum must still be the one over every student-by-student grouping
    rng = np.random.default_rng(100 + seed)
    profiles = []
    for _ in range(int(rng.integers(1, 4))):
        start = int(rng.integers(0, 6))
        s = sorted(set(int(x) for x in rng.integers(start, 9, size=int(rng.integers(1, 6)))))
        profiles.append(s + [99])
    n = int(rng.integers(5, 9))
    steps = [list(profiles[int(rng.integers(len(profiles)))]) for _ in range(n)]
    k = int(rng.integers(1, 3))
    lo = int(rng.integers(1, n // k + 1))
    hi = int(rng.integers(max(lo, -(-n // k)), n + 1))
    pins = {}
    if seed % 2 and k > 1:
        pins = {int(i): int(rng.integers(1, k + 1)) for i in rng.choice(n, 2, replace=False)}
    got = solve(steps, (k, k), lo, hi, pins)
    want = brute_force(steps, k, lo, hi, pins=pins)
    assert (got is None) == (want is None)
    if got is None:
        return
    where, focus, ahead, counts = got
    beyond = sum(step_cost(int(a))[0] for a in ahead)
    assert (beyond, int(ahead.sum())) == want
    assert sum(counts.values()) + len(set(pins.values())) == k
    for i in range(n):
        assert focus[i] in steps[i] and ahead[i] == steps[i].index(focus[i])
        if i in pins:
            assert where[i] == pins[i]
    for i, g in pins.items():                        # a pinned group shares one focus
        assert len({int(focus[j]) for j in range(n) if where[j] == g}) == 1
    sizes = [sum(1 for j in range(n) if where[j] == g) for g in set(pins.values())]
    assert all(lo <= s <= hi for s in sizes)
    assert solve(steps, (k, k), lo, hi, pins)[1].tolist() == focus.tolist()   # deterministic


# ------------------------------------------------------------------ the sample district
@pytest.fixture(scope="module")
def view_1a(ds):
    return talk.classroom_view(ds, "S101-1A", 6)


def test_sample_every_student_grouped_and_needs_the_focus(view_1a):
    v = view_1a
    mastered = set(zip(v.mastery.loc[v.mastery["mastered"], "student_id"].astype(str),
                       v.mastery.loc[v.mastery["mastered"], "target_id"].astype(str)))
    for subject, g in v.groups.items():
        assert sorted(g["student_id"]) == sorted(v.students["student_id"].astype(str))
        assert g.groupby("group").size().between(3, 6).all()
        for r in g.itertuples(index=False):
            assert (r.student_id, r.focus_target_id) not in mastered


def test_finished_students_in_4a_ela_are_in_extension_groups(ds):
    v = talk.classroom_view(ds, "S101-4A", 6, history=False)
    g = v.groups["ela"]
    finished = set(v.frontier.loc[(v.frontier["subject"] == "ela") & v.frontier["complete"],
                                  "student_id"].astype(str))
    assert len(finished) >= 10
    assert finished <= set(g["student_id"])
    ext = g[g["student_id"].isin(finished)]
    assert set(ext["kind"]) == {"extension"}
    grade5 = set(ds.targets.loc[ds.targets["grade"] == 5, "target_id"])
    assert set(ext["focus_target_id"]) <= grade5


def test_students_far_along_are_never_named_lowest(view_1a):
    v = view_1a
    check = talk.tracking_check(v)
    names = v.names()
    pr = v.projection.assign(share=v.projection["targets_mastered"]
                             / v.projection["targets_total"])
    for row in check.itertuples(index=False):
        p = pr[pr["subject"] == row.subject].set_index(pr.loc[pr["subject"] == row.subject,
                                                             "student_id"].astype(str))
        median = p["share"].median()
        named = [s for s in row.who.split(", ") if s]
        ids = [sid for sid, nm in names.items() if nm in named]
        assert len(ids) == len(named)
        for sid in ids:
            assert p.loc[sid, "share"] <= median
        # 28 and 27 of 30 mastered: not the students behind
        far = p.index[p["share"] >= 27 / 30]
        assert not set(far) & set(ids)


def test_stuck_students_skip_members_above_the_median():
    h = pd.DataFrame({
        "cycle_id": np.repeat([1, 2, 3], 6),
        "student_id": ["a", "b", "c", "d", "e", "f"] * 3,
        "group": [1, 1, 1, 2, 2, 2] * 3,
        "focus_position": [0, 0, 0, 5, 5, 5] * 3,
        # c sits in the low group for a gap but is far along
        "progress": [0.1, 0.2, 0.95, 0.5, 0.6, 0.7] * 3,
    })
    s = grouping.stuck_students(h)
    assert sorted(s["student_id"]) == ["a", "b"]
    # without progress the old rule (the group) still applies
    assert sorted(grouping.stuck_students(h.drop(columns="progress"))["student_id"]) == \
        ["a", "b", "c"]


def test_same_name_students_are_told_apart(ds, view_1a):
    names = view_1a.names()
    ines = [n for n in names if n.startswith("Inés Montaño")]
    assert len(ines) == 2 and len(set(ines)) == 2
    assert all("(…" in n for n in ines)
    assert names.is_unique
    # unique names stay plain
    assert all("(…" not in n for n in names if not n.startswith("Inés Montaño"))
    fig = ck.charts.group_cards(view_1a.groups["math"], view_1a.students, label="name")
    text = " ".join(a.text for a in fig.layout.annotations).replace("<br>", " ")
    for n in ines:
        assert n in text


def test_cards_show_composition_and_gaps(view_1a):
    g = view_1a.groups["math"]
    comp = grouping.composition(g, view_1a.students)
    fig = ck.charts.group_cards(g, view_1a.students, label="name", composition=comp)
    text = " ".join(a.text for a in fig.layout.annotations).replace("<br>", " ")
    assert "English learner" in text
    assert "MA01-" not in text                 # targets by code, never by internal id
    assert "Also re-teach" in text
    assert "extension" in text


def test_last_cycle_points_to_the_next_school_year(ds, tmp_path):
    from coachkit.widgets import meeting
    assert meeting.due_options(6, 6) == [("next school year", "next school year")]
    assert meeting.due_options(6, 4) == [("cycle 5", 5), ("cycle 6", 6)]
    assert "next school year" in talk.next_period(ds.cycles, 6)
    assert talk.next_period(ds.cycles, 3) == "cycle 4"
    assert meeting.due_words(None) == "next school year"     # no cycle 7 (tests/test_year_end)
    assert meeting.due_words(5) == "cycle 5"
    app = ck.widgets.grade_meeting_app(DATA, classroom="S101-1A", cycle=6,
                                       db=f"sqlite:///{tmp_path / 'log.db'}")
    labels = [label for label, _ in app.record["due"].options]
    assert labels == ["next school year"]
    assert "cycle 7" not in app.record["adopt_label"].value
    assert "next school year" in app.record["adopt_label"].value
    # the picker is by student id, with names people can tell apart
    opts = app.record["students"].options
    assert len({label for label, _ in opts}) == len(opts)
    assert {sid for _, sid in opts} == \
        set(ds.classroom("S101-1A").students["student_id"].astype(str))


def test_move_student_between_need_groups_keeps_the_record():
    t = targets_table(6, 3)
    done = {f"S{i}": [f"A{j}" for j in range(1, i % 6 + 1)] for i in range(9)}
    g = grouping.flexible_groups(roster(done), method="need", mastery=mastery_of(done),
                                 targets=t, min_size=3, max_size=3)
    first = g.set_index("student_id").loc["S0"]
    to = int(g.loc[g["group"] != first["group"], "group"].iloc[0])
    moved = grouping.move_student(g, "S0", to, changed_by="Ms. Lee", targets=t)
    row = moved.set_index("student_id").loc["S0"]
    assert row["group"] == to and row["changed_by"] == "Ms. Lee"
    dest = moved[moved["group"] == to]
    assert dest["focus_target_id"].nunique(dropna=False) == 1
    assert "placed by the teacher" in row["reason"]
    assert sorted(moved["student_id"]) == sorted(g["student_id"])


def test_cards_flag_a_concentrated_subgroup():
    from coachkit.charts.groups import composition_notes
    g = pd.DataFrame({"student_id": [f"S{i}" for i in range(12)],
                      "group": [1] * 4 + [2] * 4 + [3] * 4})
    students = pd.DataFrame({"student_id": g["student_id"],
                             "ell": [True] * 4 + [False] * 8,      # all in group 1
                             "iep": [i % 4 == 0 for i in range(12)],
                             "home_language": "English"})
    notes = composition_notes(grouping.composition(g, students))
    assert notes[1].startswith("4 English learners") and "⚑" in notes[1]
    assert "English learners" in notes[1].split("⚑")[1]
    assert "⚑" not in notes[2] and "0 English learners" in notes[2]


def test_flow_chart_shows_extension_groups_like_any_other(view_1a):
    fig = ck.charts.group_flow(view_1a.history["math"])
    labels = list(fig.data[0].node.label)
    assert any(label.endswith("(ext.)") for label in labels)
    assert "extension group" in " ".join(a.text for a in fig.layout.annotations)
    n_nodes = view_1a.history["math"].groupby(["cycle_id", "group"]).ngroups
    assert len(labels) == n_nodes


def test_group_history_equals_groups_from_each_cycles_frontier(ds):
    # the history takes the roster once instead of a frontier per cycle: the groups must
    # be those groups_for proposes from that cycle's own frontier
    room = ds.classroom("S101-2B")
    grade = int(room.classrooms["grade"].iloc[0])
    targets = ds.targets[ds.targets["grade"] == grade]
    hist = talk.group_history(room, 3, targets, ["math", "ela"])
    for c in (1, 3):
        m = ck.progress.mastery(room.through_cycle(c).evidence, method="decaying_average")
        front = ck.progress.frontier(m, targets, room.students)
        for s in ("math", "ela"):
            want = talk.groups_for(front, room.targets, s, mastery=m, grade=grade)
            got = hist[s][hist[s]["cycle_id"] == c].drop(columns="cycle_id")
            pd.testing.assert_frame_equal(got.reset_index(drop=True),
                                          want.reset_index(drop=True))
