"""The data-talk tables for one classroom (coachkit.talk)."""
from pathlib import Path

import pandas as pd
import pytest

import coachkit as ck
from coachkit import talk
from coachkit.store import MeetingLog

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "sample_data" / "district"


@pytest.fixture(scope="module")
def view(ds):
    return talk.classroom_view(ds, "S101-3A", 4)


def test_view_holds_one_classroom_at_the_end_of_the_cycle(ds, view):
    assert set(view.students["classroom_id"]) == {"S101-3A"}
    assert set(view.mastery["student_id"].astype(str)) <= set(view.students["student_id"])
    end = ds.cycles.loc[ds.cycles["cycle_id"] == 4, "end"].iloc[0]
    assert view.evidence["date"].max() <= end
    # every student has a frontier row per subject, and every student is in one group
    assert view.frontier.groupby("subject").size().to_dict() == {"ela": 23, "math": 23}
    for subject, g in view.groups.items():
        assert sorted(g["student_id"]) == sorted(view.students["student_id"].astype(str))
        assert g.groupby("group").size().between(3, 6).all()
    # history: one grouping per cycle so far
    assert sorted(view.history["math"]["cycle_id"].unique()) == [1, 2, 3, 4]


def test_equity_view_hides_small_groups_and_their_complement(view):
    eq = talk.equity_view(view, min_n=10)
    iep = eq[eq["group"].str.contains("IEP")]
    n_iep = int(view.students["iep"].sum())
    assert n_iep < 10          # the sample classroom has a small IEP group
    # the small group and its partner read alike: "<10" beside "hidden" would say the
    # partner has >= 10, a bound that subtraction turns into the small group's size
    assert set(iep["n_students"]) == {"hidden"} and len(iep) == 2
    assert iep[["share_mastered", "share_on_track"]].isna().all().all()
    assert iep["note"].nunique() == 1
    # a group of 10 or more shows its n and figures
    big = eq[eq["n_students"].str.isdigit()]
    assert (big["n_students"].astype(int) >= 10).all() and big["share_mastered"].notna().all()


def test_last_time_opens_with_the_commitments_and_what_moved(ds, tmp_path):
    log = MeetingLog(f"sqlite:///{tmp_path / 'log.db'}")
    before = talk.classroom_view(ds, "S101-3A", 3, history=False)
    m = log.start_meeting(school_id="S101", grade=3, classroom_id="S101-3A", cycle=3,
                          date="2025-12-05", attendees=["Coach Lee"])
    named = before.students["student_id"].head(2).tolist()
    log.add_commitment(m, action="Fluency group daily", owner="Ms. Walker", due_cycle=4,
                       student_ids=named)
    after = talk.classroom_view(ds, "S101-3A", 4, history=False)
    commitments, changes = talk.last_time(after, log)
    assert commitments["action"].tolist() == ["Fluency group daily"]
    assert set(changes["student_id"]) == set(named)
    assert (changes["targets_moved"] >= 0).all()
    # no log, no rows, no error
    assert all(len(t) == 0 for t in talk.last_time(after, None))


def test_data_talk_notebook_opens_with_last_commitments(ds, tmp_path):
    import papermill
    db = f"sqlite:///{tmp_path / 'log.db'}"
    log = MeetingLog(db)
    m = log.start_meeting(school_id="S101", grade=3, classroom_id="S101-3B", cycle=2,
                          date="2025-10-24", attendees=["Coach Lee"])
    log.add_commitment(m, action="Re-teach place value with base-ten blocks", owner="Mr. Ruiz",
                       due_cycle=3, student_ids=[])
    nb = papermill.execute_notebook(str(ROOT / "notebooks/protocols/data_talk.ipynb"), None,
                                    parameters={"classroom": "S101-3B", "cycle": 3, "db": db},
                                    progress_bar=False, kernel_name="python3")
    html = ck.runner.to_html(nb)
    assert "Re-teach place value with base-ten blocks" in html


def test_grade_summary_has_classrooms_not_students(ds):
    views = talk.grade_views(ds, "S101", 3, 4)
    s = talk.grade_summary(views)
    assert sorted(s["classroom"].str[:7].unique()) == ["S101-3A", "S101-3B"]
    assert s["share_mastered"].between(0, 1).all()
    assert "student_id" not in s.columns


def test_data_talk_records_the_meeting_when_interactive(tmp_path):
    """With interactive=True the protocol shows the live meeting panel; its record calls
    write to the log given as db."""
    import papermill
    db = f"sqlite:///{tmp_path / 'log.db'}"
    nb = papermill.execute_notebook(str(ROOT / "notebooks/protocols/data_talk.ipynb"), None,
                                    parameters={"classroom": "S101-3A", "cycle": 4, "db": db,
                                                "interactive": True},
                                    progress_bar=False, kernel_name="python3")
    widgets = [o for c in nb.cells for o in c.get("outputs", [])
               if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert widgets, "the meeting panel was not displayed"
    from coachkit.widgets import grade_meeting_app
    app = grade_meeting_app(DATA, classroom="S101-3A", cycle=4, db=db)
    assert app.record_observation("We notice most of the class is past 3.OA.A.1", "notice").ok
    assert app.adopt_groups().ok
    log = MeetingLog(db)
    assert log.observations()["text"].str.contains("3.OA.A.1").any()
    assert len(log.group_decisions()) == len(app.state["groups"])
