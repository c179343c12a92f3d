"""Benchmark: flexible groups for every classroom of a 60,000-student district, and
fluidity over six cycles.

    .venv/bin/python benchmarks/grouping.py [--students 60000] [--seed 0]

Synthesizes (NumPy, no files) classrooms of 20–28 students, each student's frontier
position on a 60-target continuum, and six cycles of progress. Times:

1. ``flexible_groups(frontier, by="classroom_id")`` for the whole district, one cycle
   (exact size-bounded DP, min_size 3, max_size 6, fewest groups);
2. ``fluidity`` and ``stuck_students`` over the six cycles' groupings (the other five
   cycles are grouped first, untimed for the target, timed and printed separately).

Naive comparison: an exhaustive search over every *contiguous* partition of each
classroom's sorted positions (every choice of k-1 cut points, itertools.combinations,
groups outside the size bounds skipped, cost computed per candidate) on a sample of
classrooms, scaled to the district by classroom count. It finds the same optimum (checked)
— contiguous partitions are where the optimum lives — so the ratio is pure search cost.
Searching all set partitions instead would mean Stirling numbers S(24, 4) ≈ 1.2e13
candidates per classroom, which is not runnable at all.

Groups by shared need (``--need-only`` runs just this part): on sample_data/district,
cycle 6, ``talk.classroom_view`` for a few classrooms and ``flexible_groups(...,
method="need")`` on one class (S101-1A math), fastest of several runs, timed in this tree
and in the tree of ``--before`` (a git revision, default the grouping branch's last commit
before the speed-up, extracted with ``git archive``), each in its own fresh process.
"""
from __future__ import annotations

import argparse
import itertools
import json
import math
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from coachkit.grouping import flexible_groups, fluidity, stuck_students
from coachkit.grouping.partition import group_count, partition_sorted

MIN, MAX = 3, 6
ROOT = Path(__file__).resolve().parents[1]
NEED_ROOMS = ("S101-1A", "S101-4A", "S101-2B")
NEED_PROBE = """
import json, sys, time
import coachkit as ck
from coachkit import grouping, progress, talk
rooms, repeat = sys.argv[2].split(","), int(sys.argv[3])
ds = ck.load_dataset(sys.argv[1])
def best(fn):
    out = []
    for _ in range(repeat):
        t0 = time.perf_counter(); fn(); out.append(time.perf_counter() - t0)
    return min(out)
view = {r: best(lambda r=r: talk.classroom_view(ds, r, 6)) for r in rooms}
room = ds.classroom(rooms[0])
grade = int(room.classrooms["grade"].iloc[0])
targets = ds.targets[ds.targets["grade"] == grade]
m = progress.mastery(room.through_cycle(6).evidence, method="decaying_average")
front = progress.frontier(m, targets, room.students)
try:           # a revision from before groups by need has no method="need"
    one = best(lambda: grouping.flexible_groups(front[front["subject"] == "math"],
                                                subject="math", targets=ds.targets,
                                                method="need", mastery=m, grade=grade))
except (TypeError, ValueError):
    one = None
print(json.dumps({"view": view, "need": one}))
"""


def district(n_students: int, seed: int):
    rng = np.random.default_rng(seed)
    sizes = []
    while sum(sizes) < n_students:
        sizes.append(int(rng.integers(20, 29)))
    sizes[-1] -= sum(sizes) - n_students
    if sizes[-1] < 20:                       # fold a short last classroom into the others
        rest = sizes.pop()
        for i in range(rest):
            sizes[i % len(sizes)] += 1
    classroom = np.repeat(np.arange(len(sizes)), sizes)
    centre = rng.uniform(5, 30, len(sizes))[classroom]
    seq0 = np.clip(np.round(centre + rng.normal(0, 5, n_students)), 0, 59)
    pace = rng.gamma(2.0, 1.0, n_students)           # targets per cycle, differs by student
    cycles = [seq0]
    for _ in range(5):
        step = rng.poisson(pace)
        cycles.append(np.clip(cycles[-1] + step, 0, 59))
    ids = np.char.add("S", np.arange(n_students).astype(str))
    cls = np.char.add("C", classroom.astype(str))
    return ids, cls, cycles, len(sizes)


def frontier_table(ids, cls, seq) -> pd.DataFrame:
    s = seq.astype(np.int64)
    return pd.DataFrame({"student_id": ids, "classroom_id": cls, "subject": "math",
                         "target_id": np.char.add("M", s.astype(str)), "sequence": s})


def naive(x: np.ndarray, k: int) -> tuple[float, tuple]:
    """Best contiguous partition by trying every set of k-1 cut points."""
    n = len(x)
    best, best_cuts = math.inf, None
    for cuts in itertools.combinations(range(1, n), k - 1):
        edges = (0,) + cuts + (n,)
        if any(not (MIN <= b - a <= MAX) for a, b in zip(edges, edges[1:])):
            continue
        cost = 0.0
        for a, b in zip(edges, edges[1:]):
            seg = x[a:b]
            cost += float(((seg - seg.mean()) ** 2).sum())
        if cost < best:
            best, best_cuts = cost, cuts
    return best, best_cuts


def need_times(tree: Path, repeat: int) -> dict:
    """classroom_view and one need grouping timed in a fresh process on ``tree``."""
    out = subprocess.run([sys.executable, "-c", NEED_PROBE, str(ROOT / "sample_data" / "district"),
                          ",".join(NEED_ROOMS), str(repeat)],
                         cwd=tree, env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def need_benchmark(before: str, repeat: int) -> None:
    def fastest(a, b):
        return {"view": {r: min(a["view"][r], b["view"][r]) for r in a["view"]},
                "need": None if a["need"] is None else min(a["need"], b["need"])}

    with tempfile.TemporaryDirectory() as tmp:
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", before],
                                 capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", tmp], input=archive, check=True)
        # after and before alternate, twice each, so a busy moment on a shared machine
        # does not land on one side only
        after, old = need_times(ROOT, repeat), need_times(Path(tmp), repeat)
        after, old = fastest(after, need_times(ROOT, repeat)), fastest(old, need_times(Path(tmp), repeat))
    print(f"groups by need, sample district cycle 6, fastest of {2 * repeat} "
          f"(before = {before}, after = this tree):")
    for r in NEED_ROOMS:
        b, a = old["view"][r], after["view"][r]
        print(f"  classroom_view {r}: before {b:.2f} s, after {a:.2f} s ({b / a:.1f}x)")
    b, a = old["need"], after["need"]
    if b is None:
        print(f"  flexible_groups(method='need') {NEED_ROOMS[0]} math: after {a * 1000:.0f} ms "
              f"({before} has no groups by need)")
        return
    print(f"  flexible_groups(method='need') {NEED_ROOMS[0]} math: before {b * 1000:.0f} ms, "
          f"after {a * 1000:.0f} ms ({b / a:.1f}x)")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--students", type=int, default=60_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--sample", type=int, default=40, help="classrooms for the naive search")
    ap.add_argument("--before", default="d83aae1",
                    help="git revision for the 'before' figures of groups by need")
    ap.add_argument("--repeat", type=int, default=3, help="runs per need figure (fastest kept)")
    ap.add_argument("--need-only", action="store_true", help="only the groups-by-need figures")
    args = ap.parse_args(argv)
    if args.need_only:
        need_benchmark(args.before, args.repeat)
        return

    ids, cls, cycles, n_class = district(args.students, args.seed)
    frontiers = [frontier_table(ids, cls, s) for s in cycles]
    print(f"district: {args.students:,} students in {n_class:,} classrooms of 20-28, "
          f"6 cycles")

    t0 = time.perf_counter()
    g1 = flexible_groups(frontiers[0], by="classroom_id", min_size=MIN, max_size=MAX)
    t_group = time.perf_counter() - t0
    print(f"group every classroom, one cycle: {t_group:.2f} s "
          f"({g1.groupby(['classroom_id', 'group']).ngroups:,} groups)")

    t0 = time.perf_counter()
    hist = [g1.assign(cycle_id=1)]
    for c, f in enumerate(frontiers[1:], start=2):
        hist.append(flexible_groups(f, by="classroom_id", min_size=MIN, max_size=MAX)
                    .assign(cycle_id=c))
    history = pd.concat(hist, ignore_index=True)
    t_rest = time.perf_counter() - t0
    print(f"  (grouping the other five cycles, for the history: {t_rest:.2f} s)")

    t0 = time.perf_counter()
    flu = fluidity(history, by="classroom_id")
    t_flu = time.perf_counter() - t0
    t0 = time.perf_counter()
    stuck = stuck_students(history, by="classroom_id")
    t_stuck = time.perf_counter() - t0
    print(f"fluidity over six cycles: {t_flu:.2f} s ({len(flu):,} classroom-cycle pairs; "
          f"median share changing group {flu['share_changed'].median():.2f}, "
          f"median ARI {flu['ari'].median():.2f})")
    print(f"stuck students over six cycles: {t_stuck:.2f} s ({len(stuck):,} runs of 3+ "
          f"cycles in the lowest group)")
    total = t_group + t_flu
    print(f"TOTAL (group one cycle + fluidity over six): {total:.2f} s  "
          f"[target < 10 s: {'met' if total < 10 else 'MISSED'}]")

    # naive search on a sample of classrooms, same positions, same bounds
    f = frontiers[0].sort_values(["classroom_id", "sequence", "student_id"])
    rng = np.random.default_rng(args.seed + 1)
    names = rng.choice(f["classroom_id"].unique(), size=min(args.sample, n_class), replace=False)
    t_naive = t_dp = 0.0
    candidates = 0
    for name in names:
        x = f.loc[f["classroom_id"] == name, "sequence"].to_numpy(dtype=float)
        k = group_count(len(x), None, MIN, MAX)
        candidates += math.comb(len(x) - 1, k - 1)
        t0 = time.perf_counter()
        best, _ = naive(x, k)
        t_naive += time.perf_counter() - t0
        t0 = time.perf_counter()
        sizes = partition_sorted(x, k, MIN, MAX)
        t_dp += time.perf_counter() - t0
        edges = np.r_[0, np.cumsum(sizes)]
        dp_cost = sum(float(((x[a:b] - x[a:b].mean()) ** 2).sum())
                      for a, b in zip(edges, edges[1:]))
        assert abs(dp_cost - best) < 1e-6, (name, dp_cost, best)
    scale = n_class / len(names)
    print(f"naive exhaustive search over contiguous partitions (itertools cut points), "
          f"{len(names)} sampled classrooms, {candidates:,} candidates: {t_naive:.2f} s "
          f"-> district estimate {t_naive * scale:.0f} s")
    print(f"DP on the same sample: {t_dp * 1000:.1f} ms (same optimum in every classroom); "
          f"search speed-up {t_naive / t_dp:,.0f}x; "
          f"naive district estimate / full flexible_groups district time: "
          f"{t_naive * scale / t_group:,.0f}x")
    need_benchmark(args.before, args.repeat)


if __name__ == "__main__":
    main()
