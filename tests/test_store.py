"""The meeting log: API, validation, export/import, migrations, CLI, widget recorder."""
from __future__ import annotations

import datetime as dt
import json
import threading
import time

import pandas as pd
import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.exc import OperationalError

from coachkit.errors import CoachkitDataError
from coachkit.store import SCHEMA_VERSION, MeetingLog, MeetingLogBusy, Recorder
from coachkit.store.engine import run_write
from store_helpers import db_url, log_cli, pg_db, run_doc_examples  # noqa: F401  (fixtures)

GROUPS = pd.DataFrame({
    "student_id": ["ST1", "ST2", "ST3", "ST4"],
    "group": ["A", "A", "B", "B"],
    "focus_target_id": ["T1", "T1", "T2", None],
    "reason": ["frontier T1", "frontier T1", "frontier T2", None],
})


def meeting(log, **kw):
    args = dict(school_id="S1", grade=3, classroom_id="C1", cycle=2, date="2025-10-10",
                attendees=["Ms. Rivera", "Coach Lee"])
    return log.start_meeting(**{**args, **kw})


# ---- the API round trip ----------------------------------------------------------------
def test_record_and_read_back(db_url):
    log = MeetingLog(db_url)
    m = meeting(log)
    assert (m.grade, m.cycle, m.date) == (3, 2, dt.date(2025, 10, 10))
    o1 = log.add_observation(m, "We notice 12 students stuck on T1")
    log.add_observation(m.meeting_id, "We wonder whether the retakes count", kind="wonder")
    c = log.add_commitment(m, action="Reteach T1 in small groups", owner="Ms. Rivera",
                           student_ids=["ST2", "ST1"], target_id="T1")
    aid = log.adopt_groups(m, GROUPS, changed_by="Coach Lee")

    ms = log.meetings()
    assert ms.loc[0, "attendees"] == ["Ms. Rivera", "Coach Lee"]
    obs = log.observations(classroom_id="C1", cycle=2)
    assert list(obs["kind"]) == ["notice", "wonder"] and obs.loc[0, "observation_id"] == o1
    assert list(log.observations(kind="wonder")["text"]) == ["We wonder whether the retakes count"]
    assert log.observations(classroom_id="C2").empty
    com = log.commitments()
    assert com.loc[0, "due_cycle"] == 3                 # default: the next cycle
    assert com.loc[0, "student_ids"] == ["ST2", "ST1"]  # order kept
    assert com.loc[0, "status"] == "open"

    log.update_commitment(c, status="in progress", by="Ms. Rivera")
    log.update_commitment(c, status="done", note="Both students moved to i-practice")
    com = log.commitments()
    assert com.loc[0, "status"] == "done"
    assert com.loc[0, "follow_up"] == "Both students moved to i-practice"
    assert list(log.commitment_updates(c)["status"]) == ["in progress", "done"]

    g = log.group_decisions()
    assert list(g["student_id"]) == list(GROUPS["student_id"])
    assert set(g["adoption_id"]) == {aid} and set(g["changed_by"]) == {"Coach Lee"}
    # adopting again in the same meeting keeps history; the latest is current
    moved = GROUPS.assign(group=["A", "B", "B", "B"], changed_by=[None, "Ms. Rivera", None, None],
                          note=[None, "ST2 finished T1", None, None])
    aid2 = log.adopt_groups(m, moved)
    g = log.group_decisions()
    assert set(g["adoption_id"]) == {aid2}
    assert g.set_index("student_id").loc["ST2", ["group", "changed_by", "note"]].tolist() == \
        ["B", "Ms. Rivera", "ST2 finished T1"]
    assert len(log.group_decisions(current=False)) == 8


def test_last_commitments_open_the_next_meeting(tmp_path):
    log = MeetingLog(tmp_path / "log.db")
    m1 = meeting(log, cycle=1, date="2025-09-01")
    old = log.add_commitment(m1, action="Old, still open", owner="A", student_ids=["ST9"])
    done = log.add_commitment(m1, action="Old, done", owner="A")
    log.update_commitment(done, status="done")
    m2 = meeting(log, cycle=2)
    new = log.add_commitment(m2, action="New", owner="B", due_cycle=3, student_ids=["ST1", "ST2"])
    meeting(log, cycle=2, classroom_id="C2")
    last = log.last_commitments(classroom_id="C1", before_cycle=3)
    assert set(last["commitment_id"]) == {old, new}
    assert last.set_index("commitment_id")["carried_over"].to_dict() == {old: True, new: False}
    assert set(log.last_commitments(classroom_id="C1", before_cycle=3, carry_open=False)
               ["commitment_id"]) == {new}
    assert log.last_commitments(classroom_id="C1", before_cycle=1).empty
    named = log.commitment_students(classroom_id="C1", cycle=2)
    assert list(named["student_id"]) == ["ST1", "ST2"] and set(named["commitment_id"]) == {new}


def test_default_url_env_and_path(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("COACHKIT_DB", raising=False)
    assert MeetingLog().url == "sqlite:///coachkit.db"
    assert (tmp_path / "coachkit.db").exists()
    monkeypatch.setenv("COACHKIT_DB", str(tmp_path / "env.db"))
    assert MeetingLog().url.endswith("env.db")
    assert MeetingLog(tmp_path / "x.db").url == f"sqlite:///{tmp_path / 'x.db'}"


# ---- bad input ---------------------------------------------------------------------------
SQLS = ["'); DROP TABLE observations; --", "Robert'); DELETE FROM meetings WHERE ('1'='1",
        "1; UPDATE commitments SET status='done'", "\"; SELECT pg_sleep(10); --",
        "%s %(x)s ? :name $1"]


def test_sql_in_text_is_stored_verbatim_never_run(db_url):
    log = MeetingLog(db_url)
    m = meeting(log)
    c = log.add_commitment(m, action=SQLS[2], owner="O'Brien; --", student_ids=["x'; --"])
    for s in SQLS:
        log.add_observation(m, s)
    log.update_commitment(c, note=SQLS[0])
    log.adopt_groups(m, GROUPS.assign(reason=SQLS[1], group="'); DROP TABLE meetings; --"))
    assert list(log.observations()["text"]) == SQLS
    com = log.commitments()
    assert com.loc[0, ["action", "owner", "status", "follow_up"]].tolist() == \
        [SQLS[2], "O'Brien; --", "open", SQLS[0]]
    assert com.loc[0, "student_ids"] == ["x'; --"]
    assert len(log.meetings()) == 1 and len(log.group_decisions()) == 4


def test_text_is_verbatim_and_100kb_is_stored_whole(db_url, tmp_path):
    log = MeetingLog(db_url)
    m = meeting(log)
    odd = ["  leading and trailing spaces  ", "línea 1\r\nlínea 2\n\ttab", "Ñandú 🦤 “quotes” ,;\"",
           "NA", "null", "=SUM(A1:A3)"]
    big = ("We notice — " + "números y 字 " * 10_000)[:100_000]
    assert len(big.encode("utf-8")) > 100_000
    for s in [*odd, big]:
        log.add_observation(m, s)
    assert list(log.observations()["text"]) == [*odd, big]
    for fmt in ("csv", "json"):                  # and through export/import, exactly
        path = tmp_path / ("exp.json" if fmt == "json" else "exp")
        log.export(path)
        other = MeetingLog(tmp_path / f"other-{fmt}.db")
        other.import_(path)
        assert list(other.observations()["text"]) == [*odd, big]


@pytest.mark.parametrize("bad,match", [
    ("", "non-empty text|some text"), ("   \n\t", "non-empty text"), (None, "some text"),
    ("a\x00b", "NUL"), (42, "text")])
def test_bad_text_is_refused(tmp_path, bad, match):
    log = MeetingLog(tmp_path / "log.db")
    m = meeting(log)
    with pytest.raises(CoachkitDataError, match=match) as e:
        log.add_observation(m, bad)
    assert e.value.table == "observations" and e.value.column == "text"
    assert log.observations().empty


def test_text_over_the_limit_is_refused_with_the_limit(db_url):
    log = MeetingLog(db_url)
    m = meeting(log)
    with pytest.raises(CoachkitDataError, match=r"200,001 characters; the limit is 200,000.*never"):
        log.add_observation(m, "x" * 200_001)
    with pytest.raises(CoachkitDataError, match="limit is 200,000"):
        log.add_commitment(m, action="y" * 200_001, owner="A")
    assert log.observations().empty and log.commitments().empty
    small = MeetingLog(db_url, max_text=10)
    with pytest.raises(CoachkitDataError, match="the limit is 10"):
        small.add_observation(m, "eleven char")
    small.add_observation(m, "ten chars!")


def test_due_cycle_in_the_past_is_refused(tmp_path):
    log = MeetingLog(tmp_path / "log.db")
    m = meeting(log, cycle=4)
    with pytest.raises(CoachkitDataError, match="due_cycle.*cycle 4 .*or later") as e:
        log.add_commitment(m, action="x", owner="A", due_cycle=3)
    assert e.value.column == "due_cycle" and e.value.found == 3
    with pytest.raises(CoachkitDataError, match="cycle number"):
        log.add_commitment(m, action="x", owner="A", due_cycle=0)
    log.add_commitment(m, action="this cycle is fine", owner="A", due_cycle=4)
    assert list(log.commitments()["due_cycle"]) == [4]


def test_unknown_classroom_and_students(tmp_path):
    classrooms = pd.DataFrame({"classroom_id": ["C1", "C2"], "school_id": ["S1", "S1"],
                               "grade": [3, 4]})
    log = MeetingLog(tmp_path / "log.db", classrooms=classrooms, students=["ST1", "ST2"])
    with pytest.raises(CoachkitDataError, match="classroom_id.*'C9'.*a classroom in the dataset"):
        meeting(log, classroom_id="C9")
    with pytest.raises(CoachkitDataError, match="grade of classroom 'C2'"):
        meeting(log, classroom_id="C2")
    with pytest.raises(CoachkitDataError, match="school of classroom"):
        meeting(log, school_id="S2")
    m = meeting(log)
    meeting(log, classroom_id=None)                   # a whole-grade meeting
    with pytest.raises(CoachkitDataError, match="unknown student"):
        log.add_commitment(m, action="x", owner="A", student_ids=["ST1", "NOPE"])
    with pytest.raises(CoachkitDataError, match="unknown student"):
        log.adopt_groups(m, GROUPS)
    assert len(log.meetings()) == 2 and log.commitments().empty
    # with a Dataset
    import coachkit as ck
    ds = ck.Dataset(classrooms=classrooms.assign(teacher="T"))
    with pytest.raises(CoachkitDataError, match="C9"):
        meeting(MeetingLog(tmp_path / "log.db", dataset=ds), classroom_id="C9")
    # without a list of classrooms nothing is checked
    meeting(MeetingLog(tmp_path / "log.db"), classroom_id="C9")


@pytest.mark.parametrize("call,match", [
    (lambda log, m: log.add_observation(m, "x", kind="idea"), "'notice', 'wonder'"),
    (lambda log, m: log.add_observation("no-such-meeting", "x"), "a meeting in this log"),
    (lambda log, m: log.update_commitment("nope", status="done"), "a commitment in this log"),
    (lambda log, m: log.update_commitment("nope"), "a new status or a note"),
    (lambda log, m: log.update_commitment("nope", status="finished"), "'open'"),
    (lambda log, m: meeting(log, grade=13), "grade K-12"),
    (lambda log, m: meeting(log, date="10th Oct"), "a date"),
    (lambda log, m: meeting(log, attendees=["A", "A"]), "each name once"),
    (lambda log, m: log.add_commitment(m, action="x", owner=""), "owner"),
    (lambda log, m: log.adopt_groups(m, GROUPS.drop(columns="group")), "group"),
    (lambda log, m: log.adopt_groups(m, pd.concat([GROUPS, GROUPS])), "more than once"),
    (lambda log, m: log.adopt_groups(m, GROUPS.assign(group=[None, "A", "B", "B"])), "row 0"),
])
def test_other_bad_input(tmp_path, call, match):
    log = MeetingLog(tmp_path / "log.db")
    m = meeting(log)
    with pytest.raises(CoachkitDataError, match=match):
        call(log, m)


# ---- export / import -----------------------------------------------------------------------
def fill(log):
    m = meeting(log)
    log.add_observation(m, "We notice…", source="widget:dashboard")
    c = log.add_commitment(m, action="Reteach", owner="A", student_ids=["ST1", "ST2"])
    log.update_commitment(c, status="partly done", note="ST1 yes, ST2 not yet", by="A")
    log.adopt_groups(m, GROUPS)
    grade = meeting(log, classroom_id=None, cycle=3, attendees=[])
    log.adopt_block(grade, pd.DataFrame({
        "student_id": ["ST1", "ST2"], "room": ["C1", "C2"], "teacher": ["Ms. Rivera", "Mr. Li"],
        "subject": ["math", "ela"], "focus": ["Unit OA", None], "pinned": [False, True],
        "reason": ["math: 4 targets behind the grade's pace", "placed here by the team"]}))
    log.set_level("ST1", "T1", 2, author="Ms. Rivera", reason="first look", date="2026-03-01")
    log.set_level("ST1", "T1", "Proficient", author="Ms. Rivera",
                  reason="observed in conference", date="2026-03-14")
    log.add_goal("ST1", target_id="T2", author="ST1", set_by="student and teacher")
    log.add_plan("ST1", "T2", actions="Practice with arrays", author="Ms. Rivera",
                 retake_date="2026-04-01", helpers=["Ms. Rivera", "my mom"])
    log.add_reflection("ST1", proud="=I finished T1", author="ST1",
                       portrait_attribute="resilient lifelong learners")
    return m


ADDED = {"meetings": 2, "observations": 1, "commitments": 1, "commitment_students": 2,
         "commitment_updates": 1, "group_decisions": 4, "block_decisions": 2, "level_overrides": 2, "goals": 1,
         "plans": 1, "reflections": 1}
READERS = ("meetings", "observations", "commitments", "group_decisions", "block_decisions",
           "commitment_updates",
           "level_overrides", "goals", "plans", "reflections")


def test_export_import_round_trip_is_exact(db_url, tmp_path):
    log = MeetingLog(db_url)
    fill(log)
    for name in ("csv", "log.json", "log.xlsx"):
        a, b = tmp_path / f"a-{name}", tmp_path / f"b-{name}"
        log.export(a)
        other = MeetingLog(tmp_path / f"{name}.db")
        added = other.import_(a)
        assert added == ADDED
        other.export(b)
        if name != "log.xlsx":                # a workbook's zip holds its write time
            files = sorted(p.name for p in a.iterdir()) if a.is_dir() else [None]
            for f in files:
                pa, pb = (a / f, b / f) if f else (a, b)
                assert pa.read_bytes() == pb.read_bytes(), f
        for what in READERS:
            pd.testing.assert_frame_equal(getattr(log, what)(), getattr(other, what)())
        pd.testing.assert_frame_equal(log.level_overrides(current=False),
                                      other.level_overrides(current=False))
        assert set(other.import_(a).values()) == {0}        # importing again adds nothing


def resign(doc):
    """Give an edited JSON export a matching manifest (to reach the row rules)."""
    from coachkit.store.transfer import table_checksum
    doc["counts"] = {n: len(r) for n, r in doc["tables"].items()}
    doc["checksums"] = {n: table_checksum(n, r) for n, r in doc["tables"].items()}
    return json.dumps(doc)


def test_import_refuses_conflicts_and_bad_files_atomically(tmp_path):
    log = MeetingLog(tmp_path / "a.db")
    fill(log)
    log.export(tmp_path / "exp")
    doc_path = tmp_path / "exp.json"
    log.export(doc_path)
    doc = json.loads(doc_path.read_text())
    doc["tables"]["observations"][0]["text"] = "changed"
    doc_path.write_text(json.dumps(doc))
    with pytest.raises(CoachkitDataError, match="observations: the checksum differs"):
        log.import_(doc_path)
    doc["tables"]["meetings"].append({**doc["tables"]["meetings"][0], "meeting_id": "f" * 32,
                                      "cycle": 7})
    doc_path.write_text(resign(doc))
    with pytest.raises(CoachkitDataError, match="different content"):
        log.import_(doc_path)
    assert len(log.meetings()) == 2                    # all or nothing
    doc["tables"]["observations"][0]["kind"] = "idea"
    doc_path.write_text(resign(doc))
    with pytest.raises(CoachkitDataError, match="observations, row 0, column 'kind'"):
        MeetingLog(tmp_path / "b.db").import_(doc_path)
    doc["schema_version"] = "9999"
    doc_path.write_text(resign(doc))
    with pytest.raises(CoachkitDataError, match="schema '9999'"):
        log.import_(doc_path)
    (tmp_path / "exp" / "manifest.json").unlink()
    with pytest.raises(CoachkitDataError, match="manifest"):
        log.import_(tmp_path / "exp")


# ---- migrations and engine settings -------------------------------------------------------
def test_schema_comes_from_alembic_and_matches_the_tables(db_url):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from coachkit.store.migrate import alembic_config
    from coachkit.store.schema import SCHEMA_VERSION, metadata
    assert ScriptDirectory.from_config(alembic_config()).get_current_head() == SCHEMA_VERSION
    log = MeetingLog(db_url)
    assert log.schema_version == SCHEMA_VERSION
    with log.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_many_processes_opening_a_new_log_migrate_once(tmp_path):
    url = f"sqlite:///{tmp_path / 'new.db'}"
    errors = []

    def open_log():
        try:
            MeetingLog(url).close()
        except Exception as e:            # pragma: no cover - reported below
            errors.append(e)
    threads = [threading.Thread(target=open_log) for _ in range(6)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert errors == []
    assert MeetingLog(url).meetings().empty


def test_sqlite_settings_and_begin_immediate(tmp_path):
    log = MeetingLog(tmp_path / "log.db")
    with log.engine.connect() as c:
        assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert c.exec_driver_sql("PRAGMA synchronous").scalar() == 2          # FULL
        assert c.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30_000
        assert c.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    seen = []
    event.listen(log.engine, "before_cursor_execute",
                 lambda conn, cur, stmt, *a: seen.append(stmt.split()[0:2]))
    m = meeting(log)
    log.add_observation(m, "x")
    log.observations()
    begins = [s for s in seen if s[0] == "BEGIN"]
    assert begins[:2] == [["BEGIN", "IMMEDIATE"], ["BEGIN", "IMMEDIATE"]]   # the writes
    assert begins[-1] == ["BEGIN"]                                          # the read


def test_sqlite_writer_waits_for_the_lock_then_gives_a_clear_error(tmp_path):
    path = tmp_path / "log.db"
    log = MeetingLog(path)
    m = meeting(log)
    holder = create_engine(f"sqlite:///{path}", connect_args={"isolation_level": None})
    with holder.connect() as c:
        c.exec_driver_sql("BEGIN IMMEDIATE")
        impatient = MeetingLog(path, busy_timeout=0.2, retries=1)
        t0 = time.monotonic()
        with pytest.raises(MeetingLogBusy, match="busy after 1 retries"):
            impatient.add_observation(m, "waits")
        assert time.monotonic() - t0 >= 0.35           # waited, twice
        threading.Timer(0.5, lambda: c.exec_driver_sql("COMMIT")).start()
        log.add_observation(m, "waits, then succeeds")   # 30 s busy timeout
    assert list(log.observations()["text"]) == ["waits, then succeeds"]


class FakeOrig(Exception):
    def __init__(self, sqlstate):
        super().__init__(f"fake {sqlstate}")
        self.sqlstate = sqlstate


@pytest.mark.postgres
def test_postgres_retries_serialization_failures_and_deadlocks_bounded(pg_db):
    eng = create_engine(pg_db)
    calls = []

    def flaky(conn):
        calls.append(conn.get_isolation_level())
        if len(calls) <= 2:
            raise OperationalError("UPDATE ...", {}, FakeOrig(["40001", "40P01"][len(calls) - 1]))
        return "ok"
    assert run_write(eng, flaky, base_delay=0.001) == "ok"
    assert calls == ["SERIALIZABLE"] * 3
    calls.clear()

    def always(code):
        def fn(conn):
            calls.append(code)
            raise OperationalError("UPDATE ...", {}, FakeOrig(code))
        return fn
    with pytest.raises(MeetingLogBusy, match="after 3 retries"):
        run_write(eng, always("40001"), retries=3, base_delay=0.001)
    assert len(calls) == 4                             # the try and 3 retries
    calls.clear()
    with pytest.raises(OperationalError):             # other errors are not retried
        run_write(eng, always("42P01"), base_delay=0.001)
    assert len(calls) == 1
    eng.dispose()


@pytest.mark.postgres
def test_postgres_real_serialization_conflict_is_retried(pg_db):
    from store_helpers import clean_pg
    log = MeetingLog(clean_pg(pg_db))
    m = meeting(log)
    c = log.add_commitment(m, action="x", owner="A")
    other = create_engine(pg_db, isolation_level="SERIALIZABLE")
    with other.connect() as conn:
        conn.execute(text("UPDATE commitments SET status='in progress' WHERE commitment_id=:c"),
                     {"c": c})
        done = []
        t = threading.Thread(target=lambda: done.append(
            log.update_commitment(c, status="done", note="second writer")))
        t.start()
        time.sleep(0.7)             # the log's transaction has read and waits on the row
        conn.commit()
    t.join(10)
    assert done and log.retry_count >= 1
    assert log.commitments().loc[0, ["status", "follow_up"]].tolist() == ["done", "second writer"]
    other.dispose()


# ---- the widget recorder and the CLI ------------------------------------------------------
def test_recorder_returns_messages_not_exceptions(tmp_path):
    log = MeetingLog(tmp_path / "log.db")
    rec = Recorder(log, meeting(log), source="widget:test", user="Coach Lee")
    ok = rec.observe("We notice the T2 group is ready", kind="notice")
    assert ok and ok.record_id and ok.message == "Saved the notice."
    bad = rec.observe("   ")
    assert not bad and "Not saved" in bad.message and "non-empty" in bad.message
    c = rec.commit(action="Reteach", owner="A", due_cycle=3, student_ids=["ST1"])
    assert rec.follow_up(c.record_id, status="done", note="It worked")
    assert rec.adopt(GROUPS)
    assert log.observations().loc[0, "source"] == "widget:test"
    assert set(log.group_decisions()["changed_by"]) == {"Coach Lee"}


def test_cli(tmp_path):
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    ok, run = log_cli(db)
    mid = ok("add", "meeting", "--school", "S1", "--grade", "K", "--classroom", "C1",
             "--cycle", "2", "--date", "2025-10-10", "--attendee", "Ms. R", "--attendee", "Coach")
    ok("add", "observation", mid, "We notice '); DROP TABLE meetings; --")
    ok("add", "observation", mid, "-", "--kind", "wonder", input="from stdin\n")
    cid = ok("add", "commitment", mid, "--action", "Reteach", "--owner", "Ms. R",
             "--student", "ST1", "--student", "ST2")
    ok("update", cid, "--status", "done", "--note", "worked")
    GROUPS.to_csv(tmp_path / "groups.csv", index=False)
    ok("add", "groups", mid, str(tmp_path / "groups.csv"), "--by", "Coach")
    out = ok("list", "observations", "--classroom", "C1", "--format", "csv")
    assert "DROP TABLE meetings" in out and "from stdin" in out
    js = json.loads(ok("list", "commitments", "--format", "json"))
    assert js[0]["student_ids"] == ["ST1", "ST2"] and js[0]["status"] == "done"
    assert "ST3" in ok("list", "groups")
    assert ok("list", "meetings", "--cycle", "9") == "no meetings"
    ok("export", str(tmp_path / "exp"))
    db2 = f"sqlite:///{tmp_path / 'cli2.db'}"
    r = run(["log", "--db", db2, "import", str(tmp_path / "exp")])
    assert r.exit_code == 0 and "2 observations" in r.output
    r = run(["log", "import", str(tmp_path / "exp")], env={"COACHKIT_DB": db2})
    assert r.exit_code == 0 and "0 observations" in r.output
    assert ok("migrate") == f"schema version {SCHEMA_VERSION}"
    # failures exit 1 with one clear line; usage errors exit 2
    r = run(["log", "--db", db, "add", "observation", mid, " "])
    assert r.exit_code == 1 and "non-empty text" in r.output
    r = run(["log", "--db", db, "add", "commitment", mid, "--action", "x", "--owner",
                   "y", "--due-cycle", "1"])
    assert r.exit_code == 1 and "due_cycle" in r.output
    r = run(["log", "--db", db, "add", "observation", "nope", "x"])
    assert r.exit_code == 1 and "a meeting in this log" in r.output
    assert run(["log", "--db", db, "add", "observation"]).exit_code == 2
    assert run(["log", "--db", db, "update", cid]).exit_code == 2
    assert run(["log", "--db", "nosuch://x", "list"]).exit_code == 2
    assert run(["log", "--db", db, "list", "nonsense"]).exit_code == 2
    assert run(["log", "--help"]).exit_code == 0


# ---- the documentation's examples run -----------------------------------------------------
def test_docs_examples_run(tmp_path, monkeypatch):
    run_doc_examples("meeting-log.md", tmp_path, monkeypatch)
    other = MeetingLog(tmp_path / "other.db")
    assert "Both moved up a stage." in set(other.commitments()["follow_up"])


def test_what_changed_for_the_named_students():
    from coachkit.store.followup import what_changed
    targets = pd.DataFrame({"target_id": ["T1", "T2", "T3", "R1", "R2"],
                            "subject": ["math"] * 3 + ["reading"] * 2, "grade": [3] * 5,
                            "sequence": [1, 2, 3, 1, 2], "unit": "u", "code": "c",
                            "statement": "s"})
    ev = pd.DataFrame({
        "student_id": ["ST1", "ST1", "ST1", "ST2", "ST2", "ST1"],
        "target_id": ["T1", "T1", "T2", "T1", "R1", "R1"],
        "date": pd.to_datetime(["2025-09-20", "2025-10-20", "2025-10-25", "2025-09-20",
                                "2025-10-22", "2025-09-01"]),
        "score": [2.0, 3.5, 3.0, 2.0, 3.0, 3.0], "kind": "summative"})   # counted evidence (the policy default)
    log = MeetingLog("sqlite://")
    m = meeting(log)
    c1 = log.add_commitment(m, action="reteach T1", owner="A", student_ids=["ST1", "ST2"],
                            target_id="T1")
    c2 = log.add_commitment(m, action="read with ST2", owner="B", student_ids=["ST2"])
    out = what_changed(log.commitment_students(), ev, targets, since="2025-10-10",
                       method="most_recent")
    r = out.set_index(["commitment_id", "student_id", "subject"])
    assert r.loc[(c1, "ST1", "math"), ["frontier_before", "frontier_now", "targets_moved",
                                        "stage_before", "stage_now", "new_evidence"]].tolist() \
        == ["T1", "T3", 2, "i-practice", "i-show", 2]
    assert r.loc[(c1, "ST2", "math"), ["targets_moved", "stage_now", "new_evidence"]].tolist() \
        == [0, "i-practice", 0]
    assert (c1, "ST1", "reading") not in r.index          # c1 is about a math target
    assert r.loc[(c2, "ST2", "reading"), "frontier_now"] == "R2"
    assert pd.isna(r.loc[(c2, "ST2", "reading"), "targets_moved"])   # no "before" to compare
