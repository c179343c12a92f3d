"""The grade's equity view in a classroom's data talk (issue 19 item 8): the grade's
groups through the one suppression rule, the classroom's own only where the minimum n
allows, and an audit of the pages read together."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import coachkit as ck
from coachkit import privacy, talk

DATA = Path(__file__).resolve().parents[1] / "sample_data" / "district"


@pytest.fixture(scope="module")
def ds():
    return ck.load_dataset(DATA)


@pytest.fixture(scope="module")
def view(ds):
    return talk.classroom_view(ds, "S101-3A", 6, history=False)


@pytest.fixture(scope="module")
def grade(ds, view):
    return talk.grade_equity_view(ds, view, min_n=10)


def test_grade_view_shows_groups_the_classroom_view_hides(view, grade):
    alone = talk.equity_view(view, min_n=10).set_index("group")
    together = grade.set_index("group")
    shown_now = together.index[together["grade_students"] != "hidden"]
    gained = [g for g in shown_now if alone.loc[g, "n_students"] == "hidden"]
    assert "English learners" in gained and "not English learners" in gained
    el = together.loc["English learners"]
    # the grade's count and figures are the grade's students, both classrooms
    assert int(el["grade_students"]) == 12 and 0 < el["grade_share_mastered"] < 1


def test_grade_rows_are_what_the_grade_overview_publishes(ds, view, grade):
    school = ds.students[ds.students["school_id"] == "S101"]
    published = privacy.shown_groups(privacy.student_groups(school, min_n=10),
                                     {"school_id": "S101", "grade": 3},
                                     level=("school_id", "grade"))
    assert grade["grade_students"].tolist() == published["n_shown"].tolist()
    overview = talk.grade_equity(talk.grade_views(ds, "S101", 3, 6), min_n=10,
                                 students=ds.students)
    assert grade["grade_students"].tolist() == overview["n_students"].tolist()
    pd.testing.assert_series_equal(grade["grade_share_mastered"], overview["share_mastered"],
                                   check_names=False)


def test_classroom_counts_only_where_the_minimum_allows_and_the_audit_holds(ds):
    school = ds.students[ds.students["school_id"] == "S103"]
    table = privacy.classroom_groups(school, min_n=10, grade=10)
    rooms = table[table["level"] == "school_id, grade, classroom_id"]
    shown = rooms[~rooms["hidden"]]
    assert len(shown) and (shown["n"] >= 10).all()          # some classroom counts shown
    s = table.attrs["suppression"]
    assert s["exposed_by_rows"] == 0
    # the audit of every page read together: the school's pages, the grade's, and the
    # classrooms' (nothing hidden can be narrowed below the protection width)
    # (the class sizes, on every data talk, already narrow what they narrow: the shown
    # classroom counts add nothing to it)
    report = privacy.audit_groups(school, table, protection=s["protection"])
    sizes_only = privacy.audit_groups(school, table.assign(hidden=table["hidden"] | (
        table["level"] == "school_id, grade, classroom_id")), protection=s["protection"])
    exposed = set(report.cells.loc[~report.cells["ok"], "position"])
    assert exposed <= set(sizes_only.cells.loc[~sizes_only.cells["ok"], "position"])
    assert report.cells["ok"].sum() >= 10
    # and without the classroom step (the classroom's own suppression alone), the
    # same rows would give a hidden count away: the audit catches it
    s101 = ds.students[ds.students["school_id"] == "S101"]
    naive = privacy.suppress_groups(s101[s101["grade"] == 3], families=privacy.STUDENT_FAMILIES,
                                    levels=[privacy.CLASSROOM_LEVEL], min_n=10)
    assert not naive["hidden"].all()
    leak = privacy.audit_groups(s101, [privacy.student_groups(s101, min_n=10), naive],
                                protection=s["protection"])
    assert not leak.ok and (~leak.cells["ok"]).sum() > 0


def test_classroom_figures_shown_beside_the_grade_for_a_big_enough_group(ds):
    v = talk.classroom_view(ds, "S103-10A", 6, history=False)
    e = talk.grade_equity_view(ds, v, min_n=10).set_index("group")
    en = e.loc["home language: English"]
    assert int(en["class_students"]) >= 10 and en["class_share_mastered"] == pytest.approx(
        v.projection.merge(v.students[["student_id", "home_language"]])
        .query("home_language == 'English'")
        .eval("targets_mastered / targets_total").mean())
    hidden = e[e["class_students"] == "hidden"]
    assert hidden[["class_share_mastered", "class_share_on_track"]].isna().all().all()
