"""One helper per rule: the grade label, the unknown-cycle check, the tracking table on
plain tables, and one group history (with one fallback) for the data talk and widgets."""
from pathlib import Path

import pandas as pd
import pytest

from coachkit import talk
from coachkit.schema import grade_label
from coachkit.widgets import data as D

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "sample_data" / "district"


def test_grade_label():
    assert [grade_label(g) for g in (0, 1, 12, "0", 3.0)] == ["K", "1", "12", "K", "3"]


def test_unknown_cycle_has_one_message_everywhere(ds):
    assert ds.check_cycle("2") == 2
    calls = [lambda: ds.check_cycle(9), lambda: ds.through_cycle(9),
             lambda: talk.classroom_view(ds, "S101-3A", 9),
             lambda: D.cycle_end(ds, 9), lambda: ds.check_cycle("six")]
    for call in calls:
        with pytest.raises(ValueError, match=r"unknown cycle .*; the data has cycles 1, 2, 3, 4, 5, 6$"):
            call()


def test_tracking_table_on_plain_tables_matches_the_view(ds):
    view = talk.classroom_view(ds, "S101-3A", 6)
    plain = talk.tracking_table(view.students, view.fluidity, view.stuck, subjects=view.subjects)
    pd.testing.assert_frame_equal(plain, talk.tracking_check(view))
    assert list(plain["subject"]) == list(view.subjects)


def test_widgets_and_talk_share_one_group_history(ds):
    view = talk.classroom_view(ds, "S101-3A", 5)
    subject = view.subjects[0]
    res = D.room_groups(str(DATA.resolve()), "S101-3A", 5, "decaying_average", subject,
                        None, 3, 6)
    cols = ["student_id", "group", "cycle_id"]
    a = view.history[subject][cols].astype(str).sort_values(cols, ignore_index=True)
    b = res.history[cols].astype(str).sort_values(cols, ignore_index=True)
    pd.testing.assert_frame_equal(a, b)


def test_group_history_falls_back_to_default_bounds_when_a_cycle_cannot_meet_them(ds):
    room = ds.classroom("S101-3A")
    targets = ds.targets[ds.targets["grade"] == 3]
    n = len(room.students)
    # more groups than students cannot be met: those cycles use the default bounds
    h = talk.group_history(room, 3, targets, ["math"], n_groups=n + 5, min_size=3, max_size=6)
    assert len(h["math"]) and h["math"]["cycle_id"].nunique() >= 1
    assert h["math"].groupby("cycle_id")["group"].nunique().max() <= n
