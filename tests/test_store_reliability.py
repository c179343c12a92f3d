"""The meeting log under several writer processes (as several Voila kernels would be),
and under a writer killed mid-transaction. On SQLite and on a real PostgreSQL server."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from coachkit.store import MeetingLog
from store_helpers import db_url, pg_db  # noqa: F401  (fixtures)

pytestmark = pytest.mark.timeout(90)
WORKER = str(Path(__file__).with_name("store_worker.py"))
WRITERS, RECORDS = 8, 500


_started: list[subprocess.Popen] = []


def spawn(*args):
    p = subprocess.Popen([sys.executable, WORKER, *map(str, args)], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    _started.append(p)
    return p


@pytest.fixture(autouse=True)
def no_stray_workers():
    """A failing test must not leave its writers running."""
    yield
    while _started:
        p = _started.pop()
        if p.poll() is None:
            p.kill()
            p.wait(10)


def wait_for(proc, word, timeout=30):
    """Read the worker's stdout until a line starting with ``word``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if line.startswith(word):
            return line.split()[1:]
        if not line and proc.poll() is not None:
            break
    proc.kill()
    pytest.fail(f"worker never said {word!r}: {proc.stderr.read()[-2000:]}")


def expected_records():
    obs, com, upd = set(), set(), set()
    for w in range(WRITERS):
        for i in range(RECORDS):
            tag = f"w{w}:{i}"
            (upd if i % 25 == 0 else com if i % 10 == 0 else obs).add(tag)
    return obs, com, upd


@pytest.mark.slow
def test_8_writers_x_500_records_lose_and_duplicate_nothing(db_url, tmp_path):
    log = MeetingLog(db_url)
    m = log.start_meeting(school_id="S1", grade=3, classroom_id="C1", cycle=2, date="2025-10-10")
    shared = log.add_commitment(m, action="shared: every writer follows it up", owner="all")
    go = tmp_path / "go"
    procs = [spawn("burst", db_url, m.meeting_id, shared, w, RECORDS, go) for w in range(WRITERS)]
    for p in procs:
        wait_for(p, "ready")
    t0 = time.monotonic()
    go.touch()
    retries = [int(wait_for(p, "done", timeout=60)[0]) for p in procs]
    elapsed = time.monotonic() - t0
    for p in procs:
        assert p.wait(10) == 0, p.stderr.read()
    print(f"{WRITERS}x{RECORDS} records on {db_url.split(':')[0]}: {elapsed:.1f} s, "
          f"retries per writer {retries}")

    obs, com, upd = expected_records()
    got_obs = list(log.observations()["text"])
    assert len(got_obs) == len(obs) and set(got_obs) == obs          # none lost, none twice
    c = log.commitments()
    got_com = list(c["action"])
    assert len(got_com) == len(com) + 1 and set(got_com) == com | {c.loc[0, "action"]}
    assert all(len(s) == 2 for s in c["student_ids"][1:])
    u = log.commitment_updates(shared)
    assert len(u) == len(upd) and set(u["note"]) == upd               # no lost update
    assert c.set_index("commitment_id").loc[shared, "follow_up"] == u["note"].iloc[-1]
    # each writer's records are stored in the order it wrote them
    for w in range(WRITERS):
        mine = [int(t.split(":")[1]) for t in got_obs if t.startswith(f"w{w}:")]
        assert mine == sorted(mine)


def consistent(url):
    """The database opens, passes its integrity checks, and takes a new write."""
    log = MeetingLog(url)
    if url.startswith("sqlite"):
        with log.engine.connect() as c:
            assert c.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
            assert c.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
    t0 = time.monotonic()
    m = log.meetings().loc[0, "meeting_id"]
    log.add_observation(m, "written after the crash")
    assert time.monotonic() - t0 < 5                                # no lock left behind
    return log


def test_writer_killed_mid_transaction_leaves_the_log_consistent(db_url):
    log = MeetingLog(db_url)
    m = log.start_meeting(school_id="S1", grade=3, classroom_id="C1", cycle=2, date="2025-10-10")
    log.add_observation(m, "committed before the crash")
    p = spawn("hang", db_url, m.meeting_id)
    wait_for(p, "in-tx")                  # 1000 rows inserted, transaction still open
    os.kill(p.pid, signal.SIGKILL)
    p.wait(10)
    log = consistent(db_url)
    assert list(log.observations()["text"]) == ["committed before the crash",
                                                "written after the crash"]
    assert log.group_decisions(current=False).empty                 # the open transaction is gone


@pytest.mark.slow
def test_writer_killed_at_a_random_moment_leaves_only_whole_records(db_url):
    log = MeetingLog(db_url)
    m = log.start_meeting(school_id="S1", grade=3, classroom_id="C1", cycle=2, date="2025-10-10")
    p = spawn("loop", db_url, m.meeting_id)
    wait_for(p, "ready")
    time.sleep(random.uniform(0.5, 1.5))
    os.kill(p.pid, signal.SIGKILL)
    p.wait(10)
    log = consistent(db_url)
    g = log.group_decisions(current=False)
    sizes = g.groupby("adoption_id").size()
    assert len(sizes) > 0 and (sizes == 200).all()                   # every adoption whole
    loops = log.observations()["text"].str.startswith("loop").sum()
    assert loops in (len(sizes), len(sizes) - 1)        # killed between the two, at most


# ---- the student's own records: the same guarantees ------------------------------------------
STUDENT_WRITERS, STUDENT_RECORDS = 6, 100


@pytest.mark.slow
def test_writers_record_goals_plans_reflections_and_levels_at_once(db_url, tmp_path):
    log = MeetingLog(db_url)
    go = tmp_path / "go"
    procs = [spawn("students", db_url, w, STUDENT_RECORDS, go) for w in range(STUDENT_WRITERS)]
    for p in procs:
        wait_for(p, "ready")
    t0 = time.monotonic()
    go.touch()
    meeting_ids = {wait_for(p, "meeting")[0] for p in procs}
    retries = [int(wait_for(p, "done", timeout=60)[0]) for p in procs]
    for p in procs:
        assert p.wait(10) == 0, p.stderr.read()
    print(f"{STUDENT_WRITERS}x{STUDENT_RECORDS} student records on {db_url.split(':')[0]}: "
          f"{time.monotonic() - t0:.1f} s, retries per writer {retries}")

    # every writer started "the" meeting of C9 in cycle 5: one meeting, every attendee kept
    assert len(meeting_ids) == 1
    ms = log.meetings(classroom_id="C9")
    assert list(ms["meeting_id"]) == list(meeting_ids)
    assert sorted(ms.loc[0, "attendees"]) == [f"w{w}" for w in range(STUDENT_WRITERS)]

    want = {k: set() for k in range(5)}
    for w in range(STUDENT_WRITERS):
        for i in range(STUDENT_RECORDS):
            want[min(i % 5, 3)].add(f"w{w}:{i}")
    for got, expected in ((log.goals()["text"], want[1]), (log.plans()["actions"], want[2]),
                          (log.reflections()["proud"], want[3])):
        assert len(got) == len(expected) and set(got) == expected    # none lost, none twice
    hist = log.level_overrides(current=False)
    assert len(hist) == len(want[0]) and set(hist["reason"]) == want[0]
    cur = log.level_overrides()
    assert len(cur) == 1                                 # one level in force for the pair
    assert cur.loc[0, "override_id"] == hist.sort_values("created_at")["override_id"].iloc[-1]
    assert hist["removed_at"].isna().sum() == 1


def test_writer_killed_while_recording_students_leaves_nothing_half_written(db_url):
    log = MeetingLog(db_url)
    log.add_goal("s0", text="before the crash", author="A")
    p = spawn("hang-students", db_url)
    wait_for(p, "in-tx")
    os.kill(p.pid, signal.SIGKILL)
    p.wait(10)
    log = MeetingLog(db_url)
    if db_url.startswith("sqlite"):
        with log.engine.connect() as c:
            assert c.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
    t0 = time.monotonic()
    log.set_level("s1", "T1", 3, author="A", reason="after the crash")   # no lock left
    assert time.monotonic() - t0 < 5
    assert list(log.goals()["text"]) == ["before the crash"]
    assert log.plans().empty
    assert list(log.level_overrides()["reason"]) == ["after the crash"]
