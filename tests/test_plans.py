"""The team sees the plans (coachkit.plans): which plans are due this cycle, whether the
retake happened (a retake on the target on or after the plan's day), whether it reached
proficient (the mastery table at the end of the cycle), the student's goals beside; in
the data talk's view and in the grade-level dashboard."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import coachkit as ck
from coachkit import plans, progress
from coachkit.store import MeetingLog

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "sample_data" / "district"
CYCLE = pd.Series({"start": pd.Timestamp("2026-03-02"), "end": pd.Timestamp("2026-04-12")}, name=6)


def _hand_made():
    students = pd.DataFrame({"student_id": ["A", "B", "C", "X"],
                             "first_name": ["Ana", "Ana", "Cy", "Xo"],
                             "last_name": ["Ruiz", "Ruiz", "Lee", "Other"]})
    targets = pd.DataFrame({"target_id": ["T1", "T2", "T3"], "code": ["3.OA.A.1", "3.OA.A.2", "3.NBT.A.1"],
                            "statement": ["Interpret products", "Interpret quotients", "Round numbers"]})
    evidence = pd.DataFrame({
        "student_id": ["A", "A", "A", "B", "B", "C"],
        "target_id": ["T1", "T1", "T2", "T1", "T1", "T3"],
        "date": pd.to_datetime(["2026-02-10", "2026-03-20", "2026-02-11", "2026-02-10",
                                "2026-03-01", "2026-03-05"]),
        "score": [2, 3, 2, 1, 2, 2],
        "kind": ["summative", "retake", "summative", "summative", "retake", "summative"]})
    mastery = progress.mastery(evidence, method="most_recent")
    p = pd.DataFrame({
        "student_id": ["A", "A", "B", "C", "C", "X"],
        "target_id": ["T1", "T2", "T1", "T3", "T3", "T1"],
        "actions": ["arrays", "sharing", "arrays", "number line", "last year's", "not in class"],
        "retake_date": pd.to_datetime(["2026-03-20", "2026-04-01", "2026-03-25", None,
                                       "2026-01-10", "2026-03-20"]),
        "date": pd.to_datetime(["2026-03-03", "2026-03-03", "2026-03-04", "2026-03-06",
                                "2026-01-05", "2026-03-03"])})
    goals = pd.DataFrame({"student_id": ["A", "A", "A", "X"], "target_id": ["T2", None, "T1", "T1"],
                          "text": [None, "Read every night", "met already", "X's goal"],
                          "date": pd.to_datetime(["2026-03-02"] * 4),
                          "met_on": pd.to_datetime([None, None, "2026-03-21", None])})
    return students[students["student_id"] != "X"], targets, evidence, mastery, p, goals


def test_plans_due_retake_and_proficient_by_hand():
    students, targets, evidence, mastery, p, goals = _hand_made()
    due = plans.plans_due(p, students=students, targets=targets, evidence=evidence,
                          mastery=mastery, cycle=CYCLE, goals=goals)
    assert list(due.columns) == plans.COLUMNS
    rows = {(r.student_id, r.target_id, r.actions): r for r in due.itertuples()}
    # C's plan of January is not due this cycle; X is not in the classroom
    assert set(rows) == {("A", "T1", "arrays"), ("A", "T2", "sharing"), ("B", "T1", "arrays"),
                         ("C", "T3", "number line")}
    a1 = rows[("A", "T1", "arrays")]
    assert a1.retake_taken and a1.retake_on == pd.Timestamp("2026-03-20") and a1.proficient
    a2 = rows[("A", "T2", "sharing")]
    assert not a2.retake_taken and pd.isna(a2.retake_on) and not a2.proficient
    b1 = rows[("B", "T1", "arrays")]          # retake before the plan was made does not count
    assert not b1.retake_taken and not b1.proficient
    c3 = rows[("C", "T3", "number line")]     # no retake date, made this cycle: due
    assert pd.isna(c3.retake_date) and not c3.retake_taken
    # same-name students told apart; goals not yet met, in words
    assert a1.student != b1.student and a1.student.startswith("Ana Ruiz")
    assert a1.goals == "3.OA.A.2; Read every night"
    assert pd.isna(c3.goals) and "X's goal" not in due.to_string()
    assert (a1.code, a1.statement) == ("3.OA.A.1", "Interpret products")


def test_the_table_reads_as_words():
    students, targets, evidence, mastery, p, goals = _hand_made()
    due = plans.plans_due(p, students=students, targets=targets, evidence=evidence,
                          mastery=mastery, cycle=CYCLE, goals=goals)
    html = plans.to_html(due, targets=targets)
    assert 'class="ck-table"' in html and "3.OA.A.1</span> <span class=\"ck-statement\">Interpret products" in html
    assert "Mar 20, 2026" in html and "not yet" in html and "no date set" in html
    assert "reached proficient" in html and "retake happened" in html
    for word in ("True", "False", "NaT", "nan", "None", "T1<", "student_id"):
        assert word not in html, word
    empty = plans.plans_due(None, students=students, targets=targets, evidence=evidence,
                            mastery=mastery, cycle=CYCLE)
    assert list(empty.columns) == plans.COLUMNS and not len(empty)
    assert "No learning plan is due this cycle" in plans.to_html(empty)


@pytest.fixture(scope="module")
def district(tmp_path_factory):
    """The sample district with plans recorded in a meeting log for S101-3A."""
    ds = ck.load_dataset(DATA)
    view = ck.talk.classroom_view(ds, "S101-3A", 6)
    ev = view.evidence
    retake = ev[(ev["kind"] == "retake") & (ev["date"] >= "2026-03-02")].iloc[0]
    other = ds.students[ds.students["classroom_id"] == "S101-4A"]["student_id"].iloc[0]
    db = f"sqlite:///{tmp_path_factory.mktemp('plans') / 'log.db'}"
    log = MeetingLog(db, dataset=ds)
    log.add_plan(retake["student_id"], retake["target_id"], actions="Practice with the app",
                 retake_date="2026-03-25", author="Ms. Rivera", date="2026-03-02")
    log.add_plan(other, "MA04-01", actions="OTHER CLASS PLAN", retake_date="2026-03-25",
                 author="Mr. Ng", date="2026-03-02")
    log.add_goal(retake["student_id"], text="Write a full page", author="Ms. Rivera",
                 date="2026-03-02")
    return ds, view, retake, db


def test_for_view_on_the_sample(district):
    ds, view, retake, db = district
    log = MeetingLog(db)
    due = plans.for_view(view, log.plans(), goals=log.goals(), targets=ds.targets)
    assert due["student_id"].tolist() == [retake["student_id"]]          # classroom only
    row = due.iloc[0]
    assert row["retake_taken"] and row["retake_on"] == retake["date"]
    m = view.mastery.set_index(["student_id", "target_id"])
    assert row["proficient"] == bool(m.loc[(retake["student_id"], retake["target_id"]), "mastered"])
    assert row["goals"] == "Write a full page"


def test_the_dashboard_lists_the_plans(district):
    from coachkit.widgets import grade_meeting_app
    ds, view, retake, db = district
    app = grade_meeting_app(DATA, classroom="S101-3A", cycle=6, db=db)
    shown = app.plans_view.value
    assert "Learning plans due this cycle" in shown and "Practice with the app" in shown
    assert "Write a full page" in shown and "OTHER CLASS PLAN" not in shown
    assert 'data-chart="plans"' in shown and 'data-rows="1"' in shown
    kids = list(app.children)
    assert kids.index(app.plans_view) < kids.index(app.record["box"])
    app.controls["classroom"].value = "S101-4A"              # the other class: its own plans
    assert "OTHER CLASS PLAN" in app.plans_view.value
    assert "Practice with the app" not in app.plans_view.value
    assert kids.count(app.plans_view) == 1 and list(app.children).count(app.plans_view) == 1
    # no log yet: a sentence, and no database is created
    fresh = grade_meeting_app(DATA, classroom="S101-3A", cycle=6,
                              db=f"sqlite:///{Path(db[10:]).parent / 'none.db'}")
    assert "No learning plan is recorded yet" in fresh.plans_view.value
    assert not (Path(db[10:]).parent / "none.db").exists()


def test_the_data_talk_shows_the_plans(district, tmp_path):
    import papermill as pm
    ds, view, retake, db = district
    nb = pm.execute_notebook(str(ROOT / "notebooks/protocols/data_talk.ipynb"), None,
                             parameters=dict(data=str(DATA), classroom="S101-3A", cycle=6, db=db,
                                             interactive=False),
                             kernel_name="python3", progress_bar=False, cwd=str(tmp_path))
    html = "".join("".join(o.get("data", {}).get("text/html", ""))
                   for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "Practice with the app" in html and "reached proficient" in html
    assert "OTHER CLASS PLAN" not in html
