"""A level a teacher sets by hand counts in every table of the data talk, and removing it
restores the computed view (issue: professional judgment on record)."""
from __future__ import annotations


import pandas as pd
import pytest

import coachkit as ck
from coachkit import talk

ROOM, CYCLE = "S101-4A", 6


@pytest.fixture(scope="module")
def computed(ds):
    return talk.classroom_view(ds, ROOM, CYCLE)


def _frontier_target(view, subject="math"):
    f = view.frontier[(view.frontier["subject"] == subject) & ~view.frontier["complete"].astype(bool)]
    row = f.sort_values("student_id").iloc[0]
    return str(row["student_id"]), str(row["target_id"])


def test_a_level_set_by_hand_counts_everywhere_and_removal_restores(ds, computed, tmp_path):
    sid, tid = _frontier_target(computed)
    log = ck.store.MeetingLog(f"sqlite:///{tmp_path / 'log.db'}")
    start = ds.cycles.set_index("cycle_id").loc[CYCLE, "start"]
    log.set_level(sid, tid, 3.5, author="Ms. Rivera", reason="observed in conference",
                  date=(start + pd.Timedelta(days=3)).date())
    view = talk.classroom_view(ds, ROOM, CYCLE, overrides=log.level_overrides())
    m = view.mastery.set_index(["student_id", "target_id"])
    row = m.loc[(sid, tid)]
    assert bool(row["mastered"]) and row["stage"] == "i-show"
    assert "set by Ms. Rivera" in row["override_note"] and "observed in conference" in row["override_note"]
    # the frontier moved past the target, and the newly-mastered counts all went up by one
    assert tid not in set(view.frontier.loc[view.frontier["student_id"] == sid, "target_id"].astype(str))
    pace_of = lambda v: int(v.pace.loc[(v.pace["student_id"] == sid) & (v.pace["subject"] == "math"),
                                        "mastered_cycle"].iloc[0])
    growth_of = lambda v: int(v.growth.loc[(v.growth["student_id"] == sid) & (v.growth["subject"] == "math"),
                                            "newly_mastered"].iloc[0])
    assert pace_of(view) == pace_of(computed) + 1
    assert growth_of(view) == growth_of(computed) + 1
    stage = view.stages.set_index(["student_id", "target_id"]).loc[(sid, tid), "stage"]
    assert stage == "i-show"
    # the groups no longer ask the student to work on a target the teacher judged shown
    g = view.groups["math"]
    assert not ((g["student_id"].astype(str) == sid) & (g["focus_target_id"].astype(str) == tid)).any()
    log.remove_level(sid, tid, by="Ms. Rivera")
    again = talk.classroom_view(ds, ROOM, CYCLE, overrides=log.level_overrides())
    pd.testing.assert_frame_equal(again.frontier, computed.frontier)
    assert pace_of(again) == pace_of(computed) and growth_of(again) == growth_of(computed)


def test_an_override_dated_after_the_cycle_does_not_change_it(ds, computed, tmp_path):
    sid, tid = _frontier_target(computed)
    log = ck.store.MeetingLog(f"sqlite:///{tmp_path / 'log.db'}")
    end = ds.cycles.set_index("cycle_id").loc[CYCLE - 1, "end"]
    log.set_level(sid, tid, 4, author="Ms. Rivera", reason="retake in conference",
                  date=(end + pd.Timedelta(days=2)).date())
    earlier = talk.classroom_view(ds, ROOM, CYCLE - 1, overrides=log.level_overrides())
    plain = talk.classroom_view(ds, ROOM, CYCLE - 1)
    pd.testing.assert_frame_equal(earlier.frontier, plain.frontier)


def test_the_learner_profile_shows_the_level_set_by_hand(ds, computed, tmp_path):
    from coachkit import profile
    sid, tid = _frontier_target(computed)
    log = ck.store.MeetingLog(f"sqlite:///{tmp_path / 'log.db'}")
    log.set_level(sid, tid, 3, author="Ms. Rivera", reason="observed in conference",
                  date=ds.cycles.set_index("cycle_id").loc[CYCLE, "start"].date())
    plain = profile.learner_profiles(ds, CYCLE, students=[sid])[0]
    judged = profile.learner_profiles(ds, CYCLE, students=[sid], overrides=log.level_overrides())[0]
    stage = lambda p: p.targets.set_index("target_id").loc[tid, "stage"]
    assert stage(plain) != "i-show" and stage(judged) == "i-show"


def test_a_level_on_a_target_with_no_evidence_yet_counts_in_the_view(ds, computed, tmp_path):
    m = computed.mastery
    sid = str(computed.students["student_id"].iloc[0])
    seen = set(m.loc[m["student_id"].astype(str) == sid, "target_id"].astype(str))
    grade = int(computed.students["grade"].iloc[0]) + 1      # the next grade's targets
    t = ds.targets[(ds.targets["grade"].astype(int) == grade) & (ds.targets["subject"] == "math")]
    untouched = [x for x in t.sort_values("sequence")["target_id"].astype(str) if x not in seen]
    assert untouched, "the test needs a target the student has no evidence on"
    tid = untouched[0]
    log = ck.store.MeetingLog(f"sqlite:///{tmp_path / 'log.db'}")
    start = ds.cycles.set_index("cycle_id").loc[CYCLE, "start"]
    log.set_level(sid, tid, 3.5, author="Ms. Rivera", reason="showed it in a project",
                  date=(start + pd.Timedelta(days=2)).date())
    view = talk.classroom_view(ds, ROOM, CYCLE, overrides=log.level_overrides())
    row = view.mastery.set_index(["student_id", "target_id"]).loc[(sid, tid)]
    assert bool(row["mastered"]) and "set by Ms. Rivera" in row["override_note"]
