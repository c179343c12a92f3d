"""A writer process for the meeting-log reliability tests (run as a subprocess).

    python store_worker.py burst URL MEETING_ID COMMITMENT_ID WORKER N GO_FILE
        writes N records (observations, commitments, commitment updates), tagged
        "w{WORKER}:{i}", after GO_FILE appears; prints "ready", then "done <retries>".
    python store_worker.py hang URL MEETING_ID
        opens a write transaction, inserts 1000 group decisions, prints "in-tx" and sleeps
        (the test kills it with SIGKILL).
    python store_worker.py loop URL MEETING_ID
        adopts groups of 200 students and adds observations until killed.
    python store_worker.py students URL WORKER N GO_FILE
        after GO_FILE appears: starts the shared meeting (classroom C9, cycle 5) with
        itself as attendee and prints "meeting <id>", then writes N of the student's own
        records tagged "w{WORKER}:{i}" (goals, plans, reflections; every 5th a level set
        by hand on the pair every writer shares); prints "done <retries>".
    python store_worker.py hang-students URL
        inserts 500 goals, 500 plans and a level in one open transaction, prints "in-tx"
        and sleeps (the test kills it).
"""
from __future__ import annotations

import os
import sys
import time

import pandas as pd

from coachkit.store import MeetingLog
from coachkit.store.log import new_id, now
from coachkit.store.schema import group_decisions


def burst(url, meeting_id, commitment_id, worker, n, go_file):
    log = MeetingLog(url, migrate=False)
    print("ready", flush=True)
    while not os.path.exists(go_file):
        time.sleep(0.01)
    for i in range(int(n)):
        tag = f"w{worker}:{i}"
        if i % 25 == 0:
            log.update_commitment(commitment_id, note=tag, by=f"w{worker}")
        elif i % 10 == 0:
            log.add_commitment(meeting_id, action=tag, owner=f"w{worker}",
                               student_ids=[f"s{worker}", f"s{i}"])
        else:
            log.add_observation(meeting_id, tag, kind="wonder" if i % 2 else "notice")
    print("done", log.retry_count, flush=True)


def groups(n, tag):
    return pd.DataFrame({"student_id": [f"s{k}" for k in range(n)],
                         "group": [str(k % 7) for k in range(n)],
                         "focus_target_id": "t1", "reason": tag})


def hang(url, meeting_id):
    log = MeetingLog(url, migrate=False)

    def write(conn):
        t = now()
        conn.execute(group_decisions.insert(), [dict(
            decision_id=new_id(), meeting_id=meeting_id, adoption_id="hung" * 8,
            student_id=f"s{k}", group="1", created_at=t) for k in range(1000)])
        print("in-tx", flush=True)
        time.sleep(120)
    log.write(write)


def loop(url, meeting_id):
    log = MeetingLog(url, migrate=False)
    i = 0
    print("ready", flush=True)
    while True:
        log.adopt_groups(meeting_id, groups(200, f"loop {i}"))
        log.add_observation(meeting_id, f"loop {i}")
        i += 1


def students(url, worker, n, go_file):
    log = MeetingLog(url, migrate=False)
    print("ready", flush=True)
    while not os.path.exists(go_file):
        time.sleep(0.01)
    m = log.start_meeting(school_id="S1", grade=3, classroom_id="C9", cycle=5,
                          attendees=[f"w{worker}"])
    print("meeting", m.meeting_id, flush=True)
    for i in range(int(n)):
        tag = f"w{worker}:{i}"
        if i % 5 == 0:
            log.set_level("shared", "T1", 1 + i % 4, author=f"w{worker}", reason=tag)
        elif i % 5 == 1:
            log.add_goal(f"s{worker}", text=tag, author=f"w{worker}")
        elif i % 5 == 2:
            log.add_plan(f"s{worker}", "T1", actions=tag, author=f"w{worker}")
        else:
            log.add_reflection(f"s{worker}", proud=tag, author=f"w{worker}")
    print("done", log.retry_count, flush=True)


def hang_students(url):
    from coachkit.store.schema import goals, level_overrides, plans
    log = MeetingLog(url, migrate=False)

    def write(conn):
        t = now()
        conn.execute(goals.insert(), [dict(
            goal_id=new_id(), student_id=f"s{k}", text="hung", set_by="student",
            author="w", date=t.date(), created_at=t) for k in range(500)])
        conn.execute(plans.insert(), [dict(
            plan_id=new_id(), student_id=f"s{k}", target_id="T1", actions="hung",
            author="w", date=t.date(), created_at=t) for k in range(500)])
        conn.execute(level_overrides.insert(), [dict(
            override_id=new_id(), student_id="s1", target_id="T1", level=4.0, author="w",
            reason="hung", date=t.date(), created_at=t)])
        print("in-tx", flush=True)
        time.sleep(120)
    log.write(write)


if __name__ == "__main__":
    {"burst": burst, "hang": hang, "loop": loop, "students": students,
     "hang-students": hang_students}[sys.argv[1]](*sys.argv[2:])
