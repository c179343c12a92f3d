"""Each mastery method against the physical floor, measured in one run, with its memory.

    .venv/bin/python benchmarks/methods.py [--rows 10000000] [--repeat 3] [--methods ...]

The floor is the least work any mastery method has to do on this table: pack
``pair | day | row`` into one int64 key from the category codes and the dates, sort it
(``ndarray.sort``), unpack the row order and the pair starts, gather the scores in that
order and run one ``np.add.reduceat`` over them. A method's ratio is its
``progress.mastery`` time (evidence in, the full table out: checks, kinds filter, sort,
level, mastered_date, assembly) over the floor's time. The floor is timed again before
every method (``--repeat`` runs each, the fastest counts) and the fastest floor of the
whole run is the denominator: on a shared machine one run can be slowed 2x by other work.

Times are CPU seconds of this process (and wall seconds, shown); the ratios use CPU.

Memory: the peak of traced allocations (``tracemalloc``: numpy reports its buffers
there) during one more call, above what was allocated before it, over the input table's
own memory (``memory_usage(deep=True)``).

Knowledge tracing: pyBKT is compared when it imports (see benchmarks/progress.py for why
it usually does not); otherwise the benchmark's own reference, a per-target Python EM
(``progress.bkt_apply_version``, 20 iterations, on two targets' rows), scaled per row.

Data: ``benchmarks/progress.py``'s generator (60,000 students, 40 targets each, BKT-drawn
scores, rows shuffled; a third of the rows formative, which the policy does not count).
"""
from __future__ import annotations

import argparse
import gc
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import coachkit.progress as P  # noqa: E402
from progress import bkt_apply_version, generate, pybkt_check  # noqa: E402

METHODS = ["most_recent", "highest", "mean", "mode", "decaying_average", "weighted_average",
           "n_times", "power_law", "best_fit", "knowledge_tracing"]
TARGETS = {"n_times": 2.0, "power_law": 2.0, "best_fit": 3.0, "knowledge_tracing": 5.0}
MEMORY_TARGETS = {"best_fit": 2.5}


def floor(ev) -> np.ndarray:
    """One packed-key sort and one reduceat pass (see the module docstring)."""
    s = ev["student_id"].cat.codes.to_numpy()
    t = ev["target_id"].cat.codes.to_numpy()
    nt = len(ev["target_id"].cat.categories)
    d = ev["date"].to_numpy().view(np.int64)
    day = (d - d.min()) // 86_400_000_000_000
    db, rb = int(day.max()).bit_length(), int(len(ev) - 1).bit_length()
    key = s.astype(np.int64) * nt
    key += t
    key <<= db
    key += day
    key <<= rb
    key += np.arange(len(ev))
    key.sort()
    order = key & ((1 << rb) - 1)
    key >>= rb + db
    starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    score = ev["score"].to_numpy().take(order).astype(np.float64)
    return np.add.reduceat(score, starts)


def best_of(f, repeat):
    """Fastest (wall, CPU) seconds of ``repeat`` runs. CPU time is this process's own
    (numpy runs these passes on one thread), so other work on a shared machine slows it
    far less than the wall clock; ratios are taken on it."""
    wall, cpu = [], []
    for _ in range(repeat):
        gc.collect()
        t, c = time.perf_counter(), time.process_time()
        f()
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - t)
    return min(wall), min(cpu)


def traced_peak(f) -> int:
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    f()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak - base


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--students", type=int, default=60_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--methods", nargs="+", default=METHODS, choices=METHODS)
    ap.add_argument("--no-memory", action="store_true", help="skip the tracemalloc pass")
    a = ap.parse_args(argv)
    ev, truth = generate(a.rows, a.students)
    mib = ev.memory_usage(deep=True).sum()
    print(f"{len(ev):,} evidence rows, {a.students:,} students; input table "
          f"{mib / 2**20:.0f} MiB; fastest of {a.repeat} runs each\n")
    floors, rows = [], []
    for m in a.methods:
        floors.append(best_of(lambda: floor(ev), a.repeat))
        wall, cpu = best_of(lambda: P.mastery(ev, m), a.repeat)
        peak = None if a.no_memory else traced_peak(lambda: P.mastery(ev, m))
        rows.append((m, wall, cpu, peak))
        print(f"  measured {m}: {cpu:.2f} s CPU, {wall:.2f} s wall (floor just before: "
              f"{floors[-1][1]:.2f} s CPU)", flush=True)
    fw, fl = min(f[0] for f in floors), min(f[1] for f in floors)
    print(f"\nfloor (one packed-key sort + one reduceat): {fl:.3f} s CPU, {fw:.3f} s wall "
          f"(slowest floor run of the session {max(f[1] for f in floors):.3f} s CPU)")
    print(f"{'method':<18}{'CPU s':>8}{'wall s':>8}{'x floor':>9}{'target':>8}{'memory':>10}"
          f"{'x input':>9}{'target':>8}")
    for m, wall, dt, peak in rows:
        tgt = f"<={TARGETS[m]:g}" if m in TARGETS else ""
        mt = f"<={MEMORY_TARGETS.get(m, 2.0):g}"
        mem = "" if peak is None else f"{peak / 2**20:>8.0f}Mi{peak / mib:>8.2f}x{mt:>8}"
        print(f"{m:<18}{dt:>8.2f}{wall:>8.2f}{dt / fl:>8.2f}x{tgt:>8}{mem}")
    if "knowledge_tracing" in a.methods:
        kt = dict((m, dt) for m, _, dt, _ in rows)["knowledge_tracing"]
        if not pybkt_check(ev, truth, None):
            few = ev["target_id"].cat.categories[:2]
            sub = ev[ev["target_id"].isin(few)]
            at = best_of(lambda: bkt_apply_version(sub), 1)[1]
            ours = best_of(lambda: P.mastery(sub, "knowledge_tracing"), a.repeat)[1]
            print(f"\npyBKT is not installed: against the benchmark's reference instead, a "
                  f"per-target Python EM (20 iterations) on {len(sub):,} rows of 2 targets: "
                  f"{at:.2f} s CPU; coachkit's knowledge_tracing mastery (fit + levels, to "
                  f"convergence) on the same rows {ours:.3f} s: {at / ours:.0f}x faster; per "
                  f"row on the full table: {at / len(sub) * len(ev) / kt:.0f}x")


if __name__ == "__main__":
    main()
