"""The student's own records in the meeting log: levels set by hand (a teacher's judgment),
goals, learning plans, reflections; and one meeting per classroom and cycle. On SQLite and
PostgreSQL."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from sqlalchemy import insert

import coachkit as ck
from coachkit.errors import CoachkitDataError
from coachkit.store import MeetingLog, apply_overrides, describe_override
from store_helpers import db_url, log_cli, pg_db, run_doc_examples  # noqa: F401  (fixtures)

EVIDENCE = pd.DataFrame({
    "student_id": ["A", "A", "B", "B", "C"],
    "target_id": ["T1", "T2", "T1", "T1", "T1"],
    "date": pd.to_datetime(["2026-01-10", "2026-01-12", "2026-01-05", "2026-02-01",
                            "2026-01-20"]),
    "score": [4.0, 2.0, 2.0, 2.0, 3.0],
})


# ---- levels set by hand ----------------------------------------------------------------
def test_set_replace_remove_keeps_history(db_url):
    log = MeetingLog(db_url)
    first = log.set_level("B", "T1", 2.5, author="Ms. Rivera", reason="first look",
                          date="2026-03-01")
    second = log.set_level("B", "T1", "Proficient", author="Ms. Rivera",
                           reason="observed in conference", date="2026-03-14")
    cur = log.level_overrides()
    assert list(cur["override_id"]) == [second]                # one in force per pair
    assert cur.loc[0, "level"] == 3.0 and cur.loc[0, "date"] == pd.Timestamp("2026-03-14")
    hist = log.level_overrides(current=False)
    assert list(hist["override_id"]) == [first, second]
    assert hist.loc[0, "removal_note"] == "replaced by a new level"
    assert pd.notna(hist.loc[0, "removed_at"])
    assert log.remove_level("B", "T1", by="Coach Lee", note="retake due") == second
    assert log.level_overrides().empty
    hist = log.level_overrides(current=False)
    assert hist["removed_at"].notna().all() and hist.loc[1, "removed_by"] == "Coach Lee"
    with pytest.raises(CoachkitDataError, match="level set by hand"):
        log.remove_level("B", "T1", by="Coach Lee")


@pytest.mark.parametrize("level,match", [(5, "level from 1 to 4"), (0.5, "level from 1"),
                                         ("great", "level word"), (None, "level"),
                                         (True, "level"), (float("nan"), "level")])
def test_bad_levels_are_refused(tmp_path, level, match):
    log = MeetingLog(tmp_path / "log.db")
    with pytest.raises(CoachkitDataError, match=match) as e:
        log.set_level("B", "T1", level, author="Ms. Rivera", reason="x")
    assert e.value.table == "level_overrides" and e.value.column == "level"
    assert log.level_overrides(current=False).empty


def test_set_level_needs_who_and_why_and_known_students(tmp_path):
    log = MeetingLog(tmp_path / "log.db", students=["A", "B"])
    with pytest.raises(CoachkitDataError, match="'reason'"):
        log.set_level("B", "T1", 3, author="Ms. Rivera", reason="  ")
    with pytest.raises(CoachkitDataError, match="'author'"):
        log.set_level("B", "T1", 3, author="", reason="seen")
    with pytest.raises(CoachkitDataError, match="unknown student"):
        log.set_level("Z", "T1", 3, author="Ms. Rivera", reason="seen")
    assert log.level_overrides(current=False).empty


def test_describe_override():
    assert describe_override("Ms. Rivera", "2026-03-14", "observed in conference") == \
        "set by Ms. Rivera on 3/14: observed in conference"
    assert describe_override("Mr. Ng", dt.date(2025, 11, 3)) == "set by Mr. Ng on 11/3"


def test_apply_overrides_by_hand_and_removal_restores(tmp_path):
    computed = ck.progress.mastery(EVIDENCE, method="most_recent")
    log = MeetingLog(tmp_path / "log.db")
    log.set_level("B", "T1", 3, author="Ms. Rivera", reason="observed in conference",
                  date="2026-03-14")                     # raises B to proficient
    log.set_level("C", "T1", 2, author="Ms. Rivera", reason="guessed on the quiz",
                  date="2026-03-15")                     # lowers C below the line
    log.set_level("A", "T3", 4, author="Mr. Ng", reason="showed it in the project",
                  date="2026-03-16")                     # a target with no evidence yet
    log.set_level("Z", "T1", 4, author="Mr. Ng", reason="another classroom's student")
    m = apply_overrides(computed, log.level_overrides())
    row = m.set_index(["student_id", "target_id"])
    b = row.loc[("B", "T1")]
    assert b["mastery"] == 3 and b["mastered"] and b["stage"] == "i-show"
    assert b["mastered_date"] == pd.Timestamp("2026-03-14")
    assert b["computed_mastery"] == 2 and not b["computed_mastered"]
    assert b["override_note"] == "set by Ms. Rivera on 3/14: observed in conference"
    c = row.loc[("C", "T1")]
    assert c["mastery"] == 2 and not c["mastered"] and c["stage"] == "i-practice"
    assert pd.isna(c["mastered_date"])
    a3 = row.loc[("A", "T3")]
    assert a3["n_evidence"] == 0 and a3["stage"] == "i-show" and a3["overridden"]
    a1 = row.loc[("A", "T1")]                            # untouched pair: as computed
    assert not a1["overridden"] and a1["mastery"] == 4 and pd.isna(a1["override_note"])
    assert a1["mastered_date"] == computed.set_index(["student_id", "target_id"]).loc[
        ("A", "T1"), "mastered_date"]
    assert "Z" not in set(m["student_id"])               # only this table's students
    assert len(m) == len(computed) + 1
    assert m["stage"].dtype == computed["stage"].dtype
    assert isinstance(m["student_id"].dtype, pd.CategoricalDtype)
    # the views' stage/frontier functions take the result as they take the computed table
    ck.progress.stage(m)

    for sid, tid in (("B", "T1"), ("C", "T1"), ("A", "T3"), ("Z", "T1")):
        log.remove_level(sid, tid, by="Ms. Rivera")
    back = apply_overrides(computed, log.level_overrides())
    pd.testing.assert_frame_equal(back[computed.columns], computed)
    assert not back["overridden"].any()


def test_apply_overrides_keeps_an_earlier_mastered_date_and_follows_the_latest():
    computed = ck.progress.mastery(EVIDENCE, method="most_recent")
    ov = pd.DataFrame({"student_id": ["A", "A"], "target_id": ["T1", "T1"],
                       "level": [2.0, 4.0], "author": ["Ms. Rivera"] * 2,
                       "reason": ["old", "new"], "date": pd.to_datetime(["2026-03-01",
                                                                        "2026-03-20"]),
                       "created_at": pd.to_datetime(["2026-03-01", "2026-03-20"]),
                       "removed_at": [pd.Timestamp("2026-03-20"), pd.NaT]})
    m = apply_overrides(computed, ov).set_index(["student_id", "target_id"])
    a = m.loc[("A", "T1")]
    assert a["override_reason"] == "new" and a["mastery"] == 4
    assert a["mastered_date"] == pd.Timestamp("2026-01-10")   # mastered since January
    with pytest.raises(CoachkitDataError, match="level overrides"):
        apply_overrides(computed, ov.drop(columns="level"))


# ---- goals, plans, reflections -----------------------------------------------------------
def test_goals_plans_reflections_round_trip(db_url):
    log = MeetingLog(db_url)
    g1 = log.add_goal("A", target_id="T2", author="A", date="2026-03-02")
    g2 = log.add_goal("A", text="Leer 20 minutos cada día 📚", author="Ms. Rivera",
                      set_by="student and teacher", date="2026-03-03")
    log.add_goal("B", text="Ask for help sooner", author="B")
    assert log.goal_met(g1, by="Ms. Rivera", date="2026-04-10") == g1
    g = log.goals(student_id="A")
    assert list(g["goal_id"]) == [g1, g2]
    assert g.loc[0, "met_on"] == pd.Timestamp("2026-04-10") and pd.isna(g.loc[1, "met_on"])
    assert g.loc[1, "text"] == "Leer 20 minutos cada día 📚"
    assert list(g["set_by"]) == ["student", "student and teacher"]
    assert len(log.goals()) == 3 and len(log.goals(student_id=["A", "B"])) == 3

    p = log.add_plan("A", "T2", actions="Practice arrays with the app, 10 min a day",
                     support="small group on Tuesdays", retake_date="2026-04-01",
                     helpers=["Ms. Rivera", "my big sister"], author="Ms. Rivera")
    plans = log.plans(student_id="A")
    assert list(plans["plan_id"]) == [p]
    assert plans.loc[0, "retake_date"] == pd.Timestamp("2026-04-01")
    assert plans.loc[0, "helpers"] == "Ms. Rivera, my big sister"
    assert plans.loc[0, "date"] == pd.Timestamp(dt.date.today())

    r = log.add_reflection("A", proud="I can explain arrays", hard="word problems",
                           portrait_attribute="effective communicators", author="A")
    refl = log.reflections()
    assert list(refl["reflection_id"]) == [r]
    assert refl.loc[0, ["proud", "hard", "portrait_attribute"]].tolist() == \
        ["I can explain arrays", "word problems", "effective communicators"]
    assert refl.loc[0, "created_at"] <= pd.Timestamp.now("UTC").tz_localize(None)


@pytest.mark.parametrize("call,match", [
    (lambda log: log.add_goal("A", author="A"), "target_id or the goal"),
    (lambda log: log.add_goal("A", text="x", author="A", set_by="teacher"), "set_by"),
    (lambda log: log.add_goal("A", text="a\x00b", author="A"), "NUL"),
    (lambda log: log.add_plan("A", "T1", actions=" ", author="A"), "non-empty"),
    (lambda log: log.add_plan("A", "T1", actions="x", author="A", retake_date="soon"),
     "a date"),
    (lambda log: log.add_reflection("A", author="A"), "proud of"),
    (lambda log: log.add_reflection("A", proud="x", author="A" * 201), "limit is 200"),
    (lambda log: log.goal_met("nope", by="A"), "a goal in this log"),
])
def test_bad_student_records_are_refused(tmp_path, call, match):
    log = MeetingLog(tmp_path / "log.db")
    with pytest.raises(CoachkitDataError, match=match):
        call(log)
    assert log.goals().empty and log.plans().empty and log.reflections().empty


def test_cli_levels_goals_plans_reflections(tmp_path):
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    ok, run = log_cli(db)
    out = ok("set-level", "ST1", "T1", "3", "--by", "Ms. Rivera", "--reason",
             "observed in conference", "--date", "2026-03-14")
    assert out == "ST1 on T1: level 3, set by Ms. Rivera on 3/14: observed in conference"
    assert "set by Ms. Rivera on 3/14: observed in conference" in ok("levels")
    js = pd.read_json(__import__("io").StringIO(ok("levels", "--format", "json")))
    assert js.loc[0, "level"] == 3
    assert "computed level applies again" in ok("remove-level", "ST1", "T1", "--by", "Ms. R")
    assert ok("levels") == "no levels set by hand"
    assert "removed by Ms. R" in ok("levels", "--all")
    r = run(["log", "--db", db, "remove-level", "ST1", "T1", "--by", "Ms. R"])
    assert r.exit_code == 1 and r.output.startswith("error: ") and "Traceback" not in r.output
    r = run(["log", "--db", db, "set-level", "ST1", "T1", "9", "--by", "A",
                   "--reason", "x"])
    assert r.exit_code == 1 and "level from 1 to 4" in r.output

    gid = ok("goal", "ST1", "--text", "Read every night", "--by", "ST1", "--with-teacher")
    ok("goal", "ST2", "--target", "T2", "--by", "ST2")
    pid = ok("plan", "ST1", "T2", "--will", "Practice fractions", "--support", "tutor",
             "--retake-date", "2026-04-01", "--helper", "Ms. R", "--helper", "Dad", "--by", "Ms. R")
    ok("reflect", "ST1", "--proud", "=I did it", "--portrait", "resilient lifelong learners",
       "--by", "ST1")
    goals = ok("list", "goals", "--student", "ST1", "--format", "csv")
    assert gid in goals and "student and teacher" in goals and "ST2" not in goals
    assert pid in ok("list", "plans") and "Ms. R, Dad" in ok("list", "plans", "--format", "csv")
    assert "'=I did it" in ok("list", "reflections", "--format", "csv")   # spreadsheet-safe
    assert run(["log", "--db", db, "reflect", "ST1", "--by", "A"]).exit_code == 2
    r = run(["log", "--db", db, "goal", "ST1", "--by", "A"])
    assert r.exit_code == 1 and "own words" in r.output


# ---- one meeting per classroom and cycle ------------------------------------------------
def test_a_second_start_for_the_same_classroom_and_cycle_merges(db_url):
    log = MeetingLog(db_url)
    kw = dict(school_id="S1", grade=3, classroom_id="C1", cycle=2)
    m1 = log.start_meeting(**kw, date="2025-10-10", attendees=["Ms. Rivera"])
    m2 = log.start_meeting(**kw, date="2025-10-12", attendees=["Coach Lee", "Ms. Rivera"])
    assert m2.meeting_id == m1.meeting_id and m2.date == dt.date(2025, 10, 10)
    assert m2.attendees == ("Ms. Rivera", "Coach Lee")
    assert log.meetings().loc[0, "attendees"] == ["Ms. Rivera", "Coach Lee"]
    g1 = log.start_meeting(school_id="S1", grade=3, cycle=2)            # whole grade
    assert g1.meeting_id != m1.meeting_id
    assert log.start_meeting(school_id="S1", grade=3, cycle=2).meeting_id == g1.meeting_id
    assert log.start_meeting(**{**kw, "cycle": 3}).meeting_id != m1.meeting_id
    assert len(log.meetings()) == 3


def test_one_current_group_per_student_even_with_legacy_duplicate_meetings(db_url):
    """A log written before meetings merged may hold two meetings for one cycle: the
    latest decision for each student is the current one."""
    from coachkit.store.log import new_id, now
    from coachkit.store.schema import meetings
    log = MeetingLog(db_url)
    m1 = log.start_meeting(school_id="S1", grade=3, classroom_id="C1", cycle=2)
    dup = new_id()
    log.write(lambda conn: conn.execute(insert(meetings), [dict(
        meeting_id=dup, school_id="S1", grade=3, classroom_id="C1", cycle=2,
        date=dt.date(2025, 10, 12), attendees="[]", created_at=now())]))
    groups = pd.DataFrame({"student_id": ["ST1", "ST2"], "group": ["A", "B"]})
    log.adopt_groups(m1, groups)
    log.adopt_groups(dup, groups.assign(group=["C", "C"]))
    cur = log.group_decisions(classroom_id="C1", cycle=2)
    assert sorted(cur["student_id"]) == ["ST1", "ST2"] and set(cur["group"]) == {"C"}
    assert len(log.group_decisions(current=False)) == 4


# ---- the documentation's examples run -----------------------------------------------------
def test_docs_examples_run(tmp_path, monkeypatch):
    ran = run_doc_examples("students-goals.md", tmp_path, monkeypatch, timeout=120)
    assert ran["python"] >= 3 and ran["bash"]
    assert all("set by Ms. Rivera on 3/14: observed in conference" in out for out in ran["bash"])
    cli = MeetingLog(tmp_path / "cli.db")
    assert cli.level_overrides().empty and len(cli.level_overrides(current=False)) == 1
    assert len(cli.goals(student_id="ST1")) == 2 and len(cli.plans()) == 1
    assert (tmp_path / "students-export.xlsx").exists()
    assert "my big sister" in (tmp_path / "plans.csv").read_text(encoding="utf-8")


def test_student_recorder_returns_messages_not_exceptions(tmp_path):
    from coachkit.store import StudentRecorder
    log = MeetingLog(tmp_path / "log.db")
    rec = StudentRecorder(log, "ST1", source="widget:student-page", user="ST1")
    out = rec.goal(text="Read every night")
    assert out.ok and out.message == "Saved the goal." and out.record_id
    assert not rec.goal().ok and "Not saved" in rec.goal().message
    assert rec.reflect(proud="I did it", portrait_attribute="resilient lifelong learners").ok
    assert not rec.reflect().ok
    assert rec.plan("T1", actions="practice", helpers=["Ms. R"]).ok
    teacher = StudentRecorder(log, "ST1", user="Ms. Rivera")
    assert teacher.set_level("T1", 3, reason="observed in conference").ok
    assert not teacher.set_level("T1", 7, reason="x").ok
    assert teacher.remove_level("T1").ok and not teacher.remove_level("T1").ok
    assert list(log.goals()["author"]) == ["ST1"]
    assert len(log.reflections()) == 1 and len(log.plans()) == 1
    assert log.level_overrides(current=False).loc[0, "removed_by"] == "Ms. Rivera"
