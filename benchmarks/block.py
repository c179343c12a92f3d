"""Benchmark: the grade's targeted-time block (``coachkit.grouping.assign_block``).

    .venv/bin/python benchmarks/block.py [--students 600] [--seed 0] [--repeat 3]

1. The sample district's largest grade (sample_data/district, cycle 6): mastery by the
   district's policy (timed on its own), ``assign_block`` with the default rooms (one per
   classroom, alternating math and ELA, own class + 10 % seats), and ``talk.grade_block``
   (the block of every cycle 1–6 with fluidity and the stayers check).
2. A synthetic grade of ``--students`` students (600 by default) in classrooms of 25, 30
   targets each in math and ELA, random mastery; default rooms; then the same with 30
   pins and with ``previous`` (last cycle's rooms as tie-break).

Every solve is checked against an independent exact method: ``linear_sum_assignment`` on
the capacity-expanded cost matrix (one column per seat), which must reach the same unmet
need. Fastest of ``--repeat`` runs; figures are printed, nothing is written.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

import coachkit as ck
from coachkit import talk
from coachkit.grouping import block


def best(fn, repeat):
    times, out = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def seats_check(a, rooms, mastery, targets, students, cycles, cycle):
    """Unmet need by linear_sum_assignment over one column per seat."""
    r = block.check_rooms(rooms)
    need = block.block_need(mastery, targets, students, cycles, cycle=cycle,
                            subjects=list(dict.fromkeys(r["subject"])))
    wide = need.pivot(index="student_id", columns="subject", values="behind") \
        .reindex(index=sorted(need["student_id"].unique()))
    nm = wide[r["subject"]].to_numpy()
    regret = nm.max(axis=1, keepdims=True) - nm
    cost = np.repeat(regret, r["capacity"].to_numpy(), axis=1)
    rows, cols = linear_sum_assignment(cost)
    lsa = int(cost[rows, cols].sum())
    got = block.unmet_need(a)
    assert got == lsa, (got, lsa)
    return lsa


def report(label, secs, a, n_rooms):
    top = (a["need"] == a["greatest_need"]).mean()
    print(f"  {label:<44} {secs * 1000:8.1f} ms   {len(a)} students, {n_rooms} rooms, "
          f"unmet need {block.unmet_need(a)}, {top:.0%} in a room of their greatest need")


def sample_grade(repeat):
    ds = ck.load_dataset(ck.sample.default_path())
    sizes = ds.students.groupby(["school_id", "grade"]).size().sort_values(kind="mergesort")
    (school, grade), n = sizes.index[-1], int(sizes.iloc[-1])
    st = ds.students[(ds.students["school_id"] == school) & (ds.students["grade"] == grade)]
    end = ds.cycles.set_index("cycle_id").loc[6, "end"]
    ev = ds.evidence[ds.evidence["student_id"].isin(st["student_id"]) & (ds.evidence["date"] <= end)]
    args = talk.mastery_args(ds)
    print(f"sample district, largest grade: school {school}, grade {grade}, {n} students, "
          f"{len(ev):,} evidence rows through cycle 6")
    t_m, m = best(lambda: ck.progress.mastery(ev, **args), repeat)
    print(f"  {'mastery (the policy: ' + args['method'] + ')':<44} {t_m * 1000:8.1f} ms")
    cl = ds.classrooms[(ds.classrooms["school_id"] == school) & (ds.classrooms["grade"] == grade)]
    rooms = block.default_rooms(cl, st)
    t_a, a = best(lambda: block.assign_block(m, ds.targets, st, ds.cycles, cycle=6,
                                             rooms=rooms), repeat)
    seats_check(a, rooms, m, ds.targets, st, ds.cycles, 6)
    report("assign_block (default rooms)", t_a, a, len(rooms))
    t_g, g = best(lambda: talk.grade_block(ds, school, int(grade), 6), max(1, repeat - 1))
    print(f"  {'talk.grade_block (cycles 1-6, fluidity)':<44} {t_g * 1000:8.1f} ms   "
          f"changed room 5 to 6: {g.fluidity['share_changed'].iloc[-1]:.0%}, "
          f"ARI {g.fluidity['ari'].iloc[-1]:.2f}, stayers {len(g.stuck)}")


def synthetic(n, seed, repeat, n_targets=30, per_room=25):
    rng = np.random.default_rng(seed)
    k = max(1, -(-n // per_room))
    ids = [f"{i:06d}" for i in range(n)]
    rooms_of = [f"G-{j:02d}" for j in range(k)]
    students = pd.DataFrame({"student_id": ids, "grade": 5,
                             "classroom_id": [rooms_of[i % k] for i in range(n)]})
    classrooms = pd.DataFrame({"classroom_id": rooms_of, "grade": 5,
                               "teacher": [f"Teacher {j}" for j in range(k)]})
    targets = pd.DataFrame([{"target_id": f"{s}-{i:02d}", "subject": s, "grade": 5,
                             "sequence": i, "unit": f"Unit {s} {1 + i // 8}"}
                            for s in ("math", "ela") for i in range(1, n_targets + 1)])
    cycles = pd.DataFrame({"cycle_id": range(1, 7), "school_year": "2025-26",
                           "start": pd.date_range("2025-08-04", periods=6, freq="42D"),
                           "end": pd.date_range("2025-09-14", periods=6, freq="42D")})
    # each student's mastered count per subject, then the first that many targets
    ability = rng.normal(0, 1, size=(n, 1)) + rng.normal(0, 0.7, size=(n, 2))
    done = np.clip(np.round(n_targets * 0.5 + 5 * ability), 0, n_targets).astype(int)
    sid = np.repeat(ids, 2 * n_targets)
    tid = np.tile(targets["target_id"].to_numpy(), n)
    pos = np.tile(np.r_[np.arange(n_targets), np.arange(n_targets)], n)
    subj = np.tile(np.r_[np.zeros(n_targets, int), np.ones(n_targets, int)], n)
    mastered = pos < done[np.repeat(np.arange(n), 2 * n_targets), subj]
    m = pd.DataFrame({"student_id": sid, "target_id": tid, "mastered": mastered})
    rooms = block.default_rooms(classrooms, students)
    print(f"synthetic grade: {n} students in {k} classrooms, {len(m):,} mastery rows, "
          f"{k} rooms ({(rooms['subject'] == 'math').sum()} math, "
          f"{(rooms['subject'] == 'ela').sum()} ELA), {int(rooms['capacity'].sum())} seats")
    t_a, a = best(lambda: block.assign_block(m, targets, students, cycles, cycle=4,
                                             rooms=rooms), repeat)
    seats_check(a, rooms, m, targets, students, cycles, 4)
    report("assign_block (default rooms)", t_a, a, k)
    pins = dict(zip(ids[:30], [rooms_of[j % k] for j in range(30)]))
    t_p, ap = best(lambda: block.assign_block(m, targets, students, cycles, cycle=4,
                                              rooms=rooms, pins=pins), repeat)
    report("assign_block, 30 pins", t_p, ap, k)
    prev = a.assign(room=a["room"].sample(frac=1, random_state=seed).to_numpy())
    t_v, av = best(lambda: block.assign_block(m, targets, students, cycles, cycle=4,
                                              rooms=rooms, previous=prev), repeat)
    kept = int((av["room"].to_numpy() == prev["room"].to_numpy()).sum())
    report("assign_block, previous rooms as tie-break", t_v, av, k)
    print(f"  {'':<44} {'':>8}      kept their previous room: {kept} of {n}")
    tight = rooms.assign(capacity=[-(-n // k)] * k)
    t_t, at = best(lambda: block.assign_block(m, targets, students, cycles, cycle=4,
                                              rooms=tight), repeat)
    seats_check(at, tight, m, targets, students, cycles, 4)
    report(f"assign_block, tight seats ({-(-n // k)} a room)", t_t, at, k)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--students", type=int, default=600)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--repeat", type=int, default=3)
    a = p.parse_args()
    sample_grade(a.repeat)
    synthetic(a.students, a.seed, a.repeat)


if __name__ == "__main__":
    main()
