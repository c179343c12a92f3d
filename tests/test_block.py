"""The grade's targeted-time block: exact assignment (against brute force), capacities,
pins, infeasible input, determinism, reasons in words, fluidity across cycles, the
meeting log, and the grade overview's tables."""
from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
import pytest

import coachkit as ck
from coachkit import talk
from coachkit.errors import CoachkitDataError
from coachkit.grouping import block
from coachkit.store import MeetingLog
from store_helpers import db_url, pg_db  # noqa: F401  (fixtures)

N_TARGETS = 10
CYCLES = pd.DataFrame({"cycle_id": [1, 2], "start": pd.to_datetime(["2025-08-04", "2025-09-15"]),
                       "end": pd.to_datetime(["2025-09-14", "2025-10-26"]),
                       "school_year": ["2025-26", "2025-26"]})


def grade(mastered: dict[str, dict[str, int]]):
    """A grade-3 world: 10 targets each in math and ela; student -> subject -> how many
    of the first targets they mastered. At the end of cycle 2 (the year's last) the
    grade's pace expects all 10, so need = 10 - mastered."""
    targets = pd.DataFrame([{"target_id": f"{s[:2].upper()}03-{i:02d}", "subject": s,
                             "grade": 3, "sequence": i, "unit": f"Unit {s} {1 + i // 5}",
                             "code": f"3.{s}.{i}"}
                            for s in ("math", "ela") for i in range(1, N_TARGETS + 1)])
    ids = list(mastered)
    students = pd.DataFrame({"student_id": ids, "grade": 3,
                             "classroom_id": [("C1", "C2", "C3")[i % 3] for i in range(len(ids))],
                             "first_name": [f"Ana{i}" for i in range(len(ids))],
                             "last_name": [f"Ruiz{i}" for i in range(len(ids))]})
    rows = []
    for sid, per in mastered.items():
        for subj, k in per.items():
            for i in range(1, N_TARGETS + 1):
                rows.append({"student_id": sid, "target_id": f"{subj[:2].upper()}03-{i:02d}",
                             "mastered": i <= k})
    return pd.DataFrame(rows), targets, students


def rooms_table(subjects, caps):
    return pd.DataFrame({"room": [f"R{i}" for i in range(len(caps))],
                         "teacher": [f"Teacher {i}" for i in range(len(caps))],
                         "subject": subjects, "capacity": caps})


def brute(need, caps, pins=None, previous=None):
    """(least unmet need, least moves at it) over every assignment."""
    n, R = need.shape
    top = need.max(axis=1)
    best = None
    for a in itertools.product(range(R), repeat=n):
        if np.bincount(a, minlength=R).tolist() > [] and (np.bincount(a, minlength=R) > caps).any():
            continue
        if pins and any(a[s] != r for s, r in pins.items()):
            continue
        unmet = int((top - need[np.arange(n), a]).sum())
        moves = 0 if previous is None else int(sum(p >= 0 and p != x for p, x in zip(previous, a)))
        if best is None or (unmet, moves) < best:
            best = (unmet, moves)
    return best


def random_world(seed, n, R):
    rng = np.random.default_rng(seed)
    mastered = {f"S{i:02d}": {"math": int(rng.integers(0, 11)), "ela": int(rng.integers(0, 11))}
                for i in range(n)}
    subjects = [("math", "ela")[i % 2] for i in range(R)]
    rng.shuffle(subjects)
    caps = rng.integers(1, n, size=R)
    while caps.sum() < n:
        caps[rng.integers(0, R)] += 1
    return mastered, subjects, caps.astype(int)


def need_matrix(mastered, subjects):
    return np.array([[N_TARGETS - mastered[s][x] for x in subjects] for s in sorted(mastered)])


# ---- exact against brute force ------------------------------------------------------------
@pytest.mark.parametrize("seed,n,R", [(s, n, R) for s in range(4) for n, R in
                                      ((6, 2), (7, 3), (8, 2), (8, 3))])
def test_optimum_equals_brute_force(seed, n, R):
    mastered, subjects, caps = random_world(seed, n, R)
    m, targets, students = grade(mastered)
    a = block.assign_block(m, targets, students, CYCLES, cycle=2,
                           rooms=rooms_table(subjects, caps))
    need = need_matrix(mastered, subjects)
    assert block.unmet_need(a) == brute(need, caps)[0]
    # every student placed exactly once, no room over its capacity
    assert sorted(a["student_id"]) == sorted(mastered) and a["student_id"].is_unique
    placed = a["room"].value_counts()
    assert all(placed.get(f"R{i}", 0) <= c for i, c in enumerate(caps))
    # the need columns say what the objective counts
    assert (a["greatest_need"] == need.max(axis=1)).all()


@pytest.mark.parametrize("seed", range(4))
def test_pins_are_honoured_at_the_pinned_optimum(seed):
    mastered, subjects, caps = random_world(seed, 7, 3)
    m, targets, students = grade(mastered)
    ids = sorted(mastered)
    pins = {ids[0]: "R0", ids[3]: "R2"}
    caps = np.maximum(caps, 1)
    a = block.assign_block(m, targets, students, CYCLES, cycle=2,
                           rooms=rooms_table(subjects, caps), pins=pins)
    got = dict(zip(a["student_id"], a["room"]))
    assert got[ids[0]] == "R0" and got[ids[3]] == "R2"
    assert set(a.loc[a["pinned"], "student_id"]) == set(pins)
    need = need_matrix(mastered, subjects)
    assert block.unmet_need(a) == brute(need, caps, pins={0: 0, 3: 2})[0]


def test_among_optima_students_keep_last_cycles_room():
    mastered, subjects, caps = random_world(7, 7, 3)
    subjects = ["math", "math", "ela"]
    caps = np.array([4, 4, 4])
    m, targets, students = grade(mastered)
    rooms = rooms_table(subjects, caps)
    ids = sorted(mastered)
    previous = pd.DataFrame({"student_id": ids, "room": ["R1", "R0", "R1", "R0", "R2", "R1", "R0"]})
    a = block.assign_block(m, targets, students, CYCLES, cycle=2, rooms=rooms, previous=previous)
    prev = [int(r[1]) for r in previous["room"]]
    unmet, moves = brute(need_matrix(mastered, subjects), caps, previous=prev)
    assert block.unmet_need(a) == unmet
    assert int((a["room"].to_numpy() != previous["room"].to_numpy()).sum()) == moves


def test_solver_alone_against_brute_force_with_ties():
    rng = np.random.default_rng(11)
    for _ in range(10):
        need = rng.integers(0, 3, size=(6, 3))        # many ties
        caps = np.array([2, 2, 3])
        where = block.solve(need, caps)
        unmet = int((need.max(axis=1) - need[np.arange(6), where]).sum())
        assert unmet == brute(need, caps)[0]
        assert (np.bincount(where, minlength=3) <= caps).all()


# ---- infeasible input -------------------------------------------------------------------------
def test_too_few_seats_and_pins_to_a_full_room_are_clear_errors():
    mastered, subjects, _ = random_world(1, 6, 2)
    m, targets, students = grade(mastered)
    with pytest.raises(CoachkitDataError,
                       match=r"expected seats for every student of the grade \(6\), got 5 seats"):
        block.assign_block(m, targets, students, CYCLES, cycle=2,
                           rooms=rooms_table(["math", "ela"], [3, 2]))
    ids = sorted(mastered)
    with pytest.raises(CoachkitDataError,
                       match=r"pins: expected at most 1 student pinned to room R1 "
                             r"\(Teacher 1\), as many as its seats, got 2; pin fewer"):
        block.assign_block(m, targets, students, CYCLES, cycle=2,
                           rooms=rooms_table(["math", "ela"], [5, 1]),
                           pins={ids[0]: "R1", ids[1]: "R1"})
    with pytest.raises(CoachkitDataError, match=r"pins: expected one of the rooms \['R0', 'R1'\], got \['R9'\]"):
        block.assign_block(m, targets, students, CYCLES, cycle=2,
                           rooms=rooms_table(["math", "ela"], [5, 5]), pins={ids[0]: "R9"})
    with pytest.raises(CoachkitDataError, match=r"pins: expected students of the grade, got 1 unknown"):
        block.assign_block(m, targets, students, CYCLES, cycle=2,
                           rooms=rooms_table(["math", "ela"], [5, 5]), pins={"nobody": "R0"})
    with pytest.raises(CoachkitDataError, match=r"rooms: column 'capacity': expected a whole number"):
        block.assign_block(m, targets, students, CYCLES, cycle=2,
                           rooms=rooms_table(["math", "ela"], [5, 0]))
    with pytest.raises(CoachkitDataError, match=r"rooms: missing column\(s\) \['capacity'\]"):
        block.assign_block(m, targets, students, CYCLES, cycle=2,
                           rooms=rooms_table(["math", "ela"], [5, 5]).drop(columns="capacity"))
    with pytest.raises(CoachkitDataError, match=r"targets: expected targets of grade 3 for science"):
        block.assign_block(m, targets, students, CYCLES, cycle=2,
                           rooms=rooms_table(["math", "science"], [5, 5]))
    with pytest.raises(TypeError):
        block.assign_block(m, targets, students, CYCLES, 2)          # keywords after the tables


# ---- determinism --------------------------------------------------------------------------------
def test_same_answer_whatever_the_row_order():
    mastered, subjects, caps = random_world(3, 8, 3)
    m, targets, students = grade(mastered)
    rooms = rooms_table(subjects, caps)
    a = block.assign_block(m, targets, students, CYCLES, cycle=2, rooms=rooms)
    for seed in range(3):
        b = block.assign_block(m.sample(frac=1, random_state=seed),
                               targets.sample(frac=1, random_state=seed),
                               students.sample(frac=1, random_state=seed), CYCLES, cycle=2,
                               rooms=rooms.sample(frac=1, random_state=seed))
        pd.testing.assert_frame_equal(a, b)


# ---- need and reasons in words ------------------------------------------------------------------
def test_need_is_targets_behind_the_grades_pace_at_the_cycle():
    m, targets, students = grade({"A": {"math": 2, "ela": 9}})
    n1 = block.block_need(m, targets, students, CYCLES, cycle=1)
    # cycle 1 ends on day 42 of 84: the pace expects 5 of 10
    assert block.year_share(CYCLES, 1) == pytest.approx(42 / 84)
    got = n1.set_index("subject")
    assert got.loc["math", ["expected", "mastered", "behind"]].tolist() == [5, 2, 3]
    assert got.loc["ela", ["expected", "mastered", "behind"]].tolist() == [5, 9, 0]
    n2 = block.block_need(m, targets, students, CYCLES, cycle=2).set_index("subject")
    assert n2.loc["math", "behind"] == 8 and n2.loc["ela", "behind"] == 1


def test_each_assignment_is_explained_in_words():
    m, targets, students = grade({"A": {"math": 6, "ela": 9}, "B": {"math": 9, "ela": 5},
                                  "C": {"math": 3, "ela": 7}, "D": {"math": 10, "ela": 10},
                                  "E": {"math": 7, "ela": 7}})
    rooms = rooms_table(["math", "ela"], [2, 3])
    a = block.assign_block(m, targets, students, CYCLES, cycle=2, rooms=rooms, pins={"D": "R0"})
    why = dict(zip(a["student_id"], a["reason"]))
    assert why["C"] == "math: 7 targets behind the grade's pace"
    assert why["B"] == "ELA: 5 targets behind the grade's pace"
    # the math room (2 seats) is full with D (pinned) and C (need 7): A goes to ELA
    assert why["A"] == ("ELA: 1 target behind the grade's pace; the greatest need is math: "
                        "4 targets behind, but the math rooms are full")
    assert why["D"] == ("placed here by the team (on or ahead of the grade's pace in math and "
                        "ELA: deepening the grade's work in math)")
    assert why["E"] == "ELA: 3 targets behind the grade's pace (math the same)"
    ids = set(targets["target_id"]) | set(a["student_id"]) | {"R0", "R1"}
    for text in a["reason"]:                 # no internal ids, no developer words
        assert not [w for w in text.replace("(", " ").replace(")", " ").split() if w in ids]
        assert "True" not in text and "nan" not in text
    assert a.set_index("student_id").loc["C", "focus"] == "Unit math 1"  # C's next: target 4


def test_default_rooms_one_per_classroom_alternating_subjects():
    st = pd.DataFrame({"student_id": [f"S{i}" for i in range(25)], "grade": 4,
                       "classroom_id": ["B"] * 12 + ["A"] * 10 + ["C"] * 3})
    cl = pd.DataFrame({"classroom_id": ["C", "A", "B", "Z"], "teacher": ["Tc", "Ta", "Tb", "Tz"],
                       "grade": [4, 4, 4, 5]})
    r = block.default_rooms(cl, st)
    assert r["room"].tolist() == ["A", "B", "C"]
    assert r["subject"].tolist() == ["math", "ela", "math"]
    assert r["capacity"].tolist() == [11, 14, 4]                     # own class + 10 % up
    assert r["teacher"].tolist() == ["Ta", "Tb", "Tc"]
    empty = block.default_rooms(pd.concat([cl, pd.DataFrame({"classroom_id": ["D"], "teacher": ["Td"],
                                                              "grade": [4]})]), st)
    assert empty.set_index("room").loc["D", "capacity"] == 7 + 1        # ceil(25 / 4) + 10 %
    r = block.default_rooms(cl, st, subject="ela", capacity=9)
    assert set(r["subject"]) == {"ela"} and set(r["capacity"]) == {9}
    r = block.default_rooms(cl, st, subject={"C": "ela"}, capacity={"A": 20})
    assert r["subject"].tolist() == ["math", "ela", "ela"] and r["capacity"].tolist() == [20, 14, 4]


# ---- across cycles --------------------------------------------------------------------------------
def test_fluidity_on_a_hand_made_history():
    h = pd.DataFrame({"cycle_id": [1] * 4 + [2] * 4 + [3] * 3,
                      "student_id": list("abcd") + list("abcd") + list("abc"),
                      "room": ["X", "X", "Y", "Y", "X", "Y", "Y", "Y", "X", "Y", "Y"]})
    f = block.block_fluidity(h)
    assert f[["from_cycle", "to_cycle", "n_students", "n_changed"]].values.tolist() == \
        [[1, 2, 4, 1], [2, 3, 3, 0]]
    assert f["share_changed"].tolist() == [0.25, 0.0]
    assert f["ari"].iloc[1] == 1.0
    assert f["ari"].iloc[0] == pytest.approx(ck.grouping.adjusted_rand_index(
        ["X", "X", "Y", "Y"], ["X", "Y", "Y", "Y"]))


def test_flag_for_staying_in_a_room_that_no_longer_fits():
    def row(c, s, room, subject, need, top, top_subject):
        return dict(cycle_id=c, student_id=s, room=room, teacher=f"Ms. {room}", subject=subject,
                    need=need, greatest_need=top, greatest_subject=top_subject)
    h = pd.DataFrame([
        row(1, "a", "M", "math", 5, 5, "math"), row(2, "a", "M", "math", 3, 3, "math"),
        row(3, "a", "M", "math", 1, 4, "ela"),                     # 3 in a row, now ELA: flag
        row(1, "b", "M", "math", 5, 5, "math"), row(2, "b", "E", "ela", 1, 3, "math"),
        row(3, "b", "E", "ela", 1, 3, "math"),                     # only 2 in a row
        row(1, "c", "E", "ela", 4, 4, "ela"), row(2, "c", "E", "ela", 4, 4, "ela"),
        row(3, "c", "E", "ela", 4, 4, "ela"),                      # still the greatest need
    ])
    st = block.block_stuck(h, cycles=3)
    assert st["student_id"].tolist() == ["a"]
    assert st.iloc[0][["first_cycle", "last_cycle", "n_cycles", "need", "greatest_need"]] \
        .tolist() == [1, 3, 3, 1, 4]
    assert st.iloc[0]["reason"] == ("in Ms. M's math room 3 cycles in a row; now ELA is the "
                                    "greater need: 4 targets behind the grade's pace against "
                                    "1 in math")
    assert block.block_stuck(h, cycles=2)["student_id"].tolist() == ["a", "b"]


# ---- the meeting log -------------------------------------------------------------------------------
def test_adopted_block_is_recorded_in_the_log(db_url):
    m, targets, students = grade({"A": {"math": 6, "ela": 9}, "B": {"math": 9, "ela": 5},
                                  "C": {"math": 4, "ela": 7}})
    a = block.assign_block(m, targets, students, CYCLES, cycle=2,
                           rooms=rooms_table(["math", "ela"], [2, 2]), pins={"A": "R1"})
    log = MeetingLog(db_url, students=students)
    room_meeting = log.start_meeting(school_id="S1", grade=3, classroom_id="C1", cycle=2)
    with pytest.raises(CoachkitDataError, match="expected a whole-grade meeting"):
        log.adopt_block(room_meeting, a)
    mt = log.start_meeting(school_id="S1", grade=3, cycle=2, attendees=["Coach Lee"])
    log.adopt_block(mt, a.assign(room="R0"), changed_by="Coach Lee")
    aid = log.adopt_block(mt, a, changed_by="Coach Lee", note="adopted")
    d = log.block_decisions(grade=3, cycle=2)
    assert set(d["adoption_id"]) == {aid} and len(d) == 3
    got = d.set_index("student_id")
    assert got.loc["A", "room"] == "R1" and bool(got.loc["A", "pinned"])
    assert not got.loc["C", "pinned"] and got.loc["C", "reason"] == a.set_index(
        "student_id").loc["C", "reason"]
    assert set(d["changed_by"]) == {"Coach Lee"} and set(d["note"]) == {"adopted"}
    assert len(log.block_decisions(current=False)) == 6
    with pytest.raises(CoachkitDataError, match="each student in one room"):
        log.adopt_block(mt, pd.concat([a, a.iloc[:1]]))
    with pytest.raises(CoachkitDataError, match="unknown student"):
        log.adopt_block(mt, a.assign(student_id=["A", "B", "Z"]))
    assert len(log.block_decisions(current=False)) == 6         # nothing half-written


def test_the_command_line_lists_the_adopted_block(tmp_path):
    from click.testing import CliRunner

    from coachkit.cli import main
    m, targets, students = grade({"A": {"math": 6, "ela": 9}, "B": {"math": 9, "ela": 5}})
    a = block.assign_block(m, targets, students, CYCLES, cycle=2,
                           rooms=rooms_table(["math", "ela"], [2, 2]))
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    log = MeetingLog(db)
    log.adopt_block(log.start_meeting(school_id="S1", grade=3, cycle=2), a)
    r = CliRunner().invoke(main, ["log", "--db", db, "list", "block", "--grade", "3",
                                  "--format", "json"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.output)
    assert {x["student_id"]: x["room"] for x in rows} == {"A": "R0", "B": "R1"}
    assert rows[0]["reason"] == "math: 4 targets behind the grade's pace"


def test_an_export_from_before_the_block_table_still_imports(tmp_path):
    log = MeetingLog(tmp_path / "a.db")
    m = log.start_meeting(school_id="S1", grade=3, classroom_id="C1", cycle=2)
    log.add_observation(m, "from before the block")
    log.export(tmp_path / "exp.json")
    doc = json.loads((tmp_path / "exp.json").read_text())
    doc["schema_version"] = "0003"
    for part in ("tables", "counts", "checksums"):
        doc[part].pop("block_decisions")
    (tmp_path / "old.json").write_text(json.dumps(doc))
    other = MeetingLog(tmp_path / "b.db")
    added = other.import_(tmp_path / "old.json")
    assert added["observations"] == 1 and added["block_decisions"] == 0


# ---- the grade overview's tables on the sample district ------------------------------------------
@pytest.fixture(scope="module")
def sample():
    return ck.load_dataset(ck.sample.default_path())


def test_grade_block_on_the_sample_district(sample):
    b = talk.grade_block(sample, "S101", 3, 6, pins={"100141": "S101-3A"})
    st = sample.students[(sample.students["school_id"] == "S101") & (sample.students["grade"] == 3)]
    assert sorted(b.assignment["student_id"]) == sorted(st["student_id"].astype(str))
    assert b.assignment.set_index("student_id").loc["100141", "room"] == "S101-3A"
    assert sorted(b.history["cycle_id"].unique()) == [1, 2, 3, 4, 5, 6]
    assert len(b.fluidity) == 5 and b.fluidity["ari"].between(-1, 1).all()
    people = talk.block_table(b)
    assert list(people.columns) == ["room", "student", "own class", "why"]
    names = set(st["first_name"] + " " + st["last_name"])
    assert set(people["student"]) == set(talk.student_names(st)) and len(people) == len(st)
    assert people["room"].str.contains("Mrs. Gómez · math").any()
    assert people["why"].str.contains("targets behind the grade's pace").any()
    rooms = talk.block_table(b, names=False)
    assert rooms["students placed"].sum() == len(st)
    text = rooms.to_string()
    assert not [n for n in names if n in text] and "100141" not in text
    assert list(talk.block_changes(b).columns) == ["cycles", "changed room",
                                                   "agreement with the cycle before (ARI)"]
    assert list(talk.block_stayers(b).columns) == ["student", "why"]
    lists = talk.block_lists(b)
    assert [c.split(":")[0].split(" · ")[0] for c, _ in lists] == ["Mrs. Gómez", "Ms. Quiñones"]
    assert sum(len(t) for _, t in lists) == len(st)
    for caption, t in lists:
        room = "S101-3A" if caption.startswith("Mrs. Gómez") else "S101-3B"
        mine = b.assignment[b.assignment["room"] == room]
        assert sorted(t["student"]) == sorted(talk.student_names(st)[mine["student_id"]])
        assert f"{len(mine)} of {int(b.rooms.set_index('room').loc[room, 'capacity'])} seats" in caption
        assert list(t["why"]) == list(people.loc[people["student"].isin(t["student"]), "why"])
    assert lists[0][1]["why"].str.contains("math").all()


def test_grade_overview_grade_team_copy_names_the_rooms_and_adopts(sample, tmp_path):
    import papermill
    from pathlib import Path
    root = Path(__file__).resolve().parents[1]
    db = f"sqlite:///{tmp_path / 'log.db'}"
    nb = papermill.execute_notebook(
        str(root / "notebooks/protocols/grade_overview.ipynb"), None,
        parameters={"school": "S101", "grade": 3, "cycle": 6, "block_names": True,
                    "block_pins": {"100141": "S101-3B"}, "adopt": True, "db": db},
        progress_bar=False, kernel_name="python3", cwd=str(tmp_path))
    html = ck.runner.to_html(nb)
    st = sample.students[(sample.students["school_id"] == "S101") & (sample.students["grade"] == 3)]
    names = talk.student_names(st)
    assert all(n.replace("…", "&hellip;") in html or n in html for n in names)
    assert "Ms. Quiñones · ELA" in html and "placed here by the team" in html
    assert "targets behind the grade&#x27;s pace" in html or "targets behind the grade's pace" in html
    assert "Saved the block." in html
    d = MeetingLog(db).block_decisions(school_id="S101", grade=3, cycle=6)
    assert len(d) == len(st) and d.set_index("student_id").loc["100141", "room"] == "S101-3B"
    text = html.split("The targeted-time block", 1)[1]
    assert "block_names" not in text and "grade_block" not in text       # no code shown
    for word in ("True", "False", "NaN", "None", "nan"):
        assert f">{word}<" not in text


def test_levels_set_by_hand_count_in_the_block(sample):
    plain = talk.grade_block(sample, "S101", 3, 6)
    a = plain.assignment.set_index("student_id")
    sid = a[a["need"] > 0].index[0]
    subj = a.loc[sid, "subject"]
    grade3 = sample.targets[(sample.targets["grade"] == 3) & (sample.targets["subject"] == subj)]
    end = sample.cycles.set_index("cycle_id").loc[6, "end"]
    ov = pd.DataFrame({"student_id": sid, "target_id": grade3["target_id"].astype(str),
                       "level": 4.0, "date": end - pd.Timedelta(days=1),
                       "author": "Mrs. Gómez", "reason": "observed in conference"})
    with_levels = talk.grade_block(sample, "S101", 3, 6, overrides=ov)
    b = with_levels.assignment.set_index("student_id")
    # every target of that subject set to Extending by hand: no need left there
    assert a.loc[sid, "need"] > 0
    assert b.loc[sid, "subject"] != subj or b.loc[sid, "need"] == 0
    assert b.loc[sid, "greatest_need"] <= a.loc[sid, "greatest_need"]
    assert (with_levels.history["cycle_id"] == 6).sum() == len(b)


def test_rooms_of_the_teams_own_making(sample):
    rooms = pd.DataFrame({"room": ["library", "room 12", "room 14"],
                          "teacher": ["Coach Lee", "Mrs. Gómez", "Ms. Quiñones"],
                          "subject": ["math", "math", "ela"], "capacity": [10, 20, 20],
                          "focus": ["Fractions on a number line", None, None]})
    b = talk.grade_block(sample, "S101", 3, 4, rooms=rooms)
    placed = b.assignment["room"].value_counts()
    assert set(placed.index) <= {"library", "room 12", "room 14"}
    assert all(placed[r] <= c for r, c in zip(rooms["room"], rooms["capacity"]) if r in placed)
    people = talk.block_table(b)
    assert set(people["own class"]) == {"Mrs. Gómez", "Ms. Quiñones"}      # teachers, not ids
    assert people["room"].str.startswith("Coach Lee · math · Fractions on a number line").any()
    assert not people["room"].str.contains("S101").any()
