"""Measured scaling: mastery (two methods), frontier and flexible grouping on 1, 5, 10 and
30 million evidence rows, with pandas and with Dask on a LocalCluster of 2 workers.

    .venv/bin/python benchmarks/scaling.py                    # 1 5 10 30 million rows
    .venv/bin/python benchmarks/scaling.py --sizes 1 5 --engines pandas

Knowledge tracing (``--kt-sizes``, with the dask engine): the EM fit on all the
evidence, pandas in this process against Dask (the E-step per partition on the workers,
the expected counts summed on the client), with the largest parameter difference.

Data: generated with numpy (seeded) in blocks of whole students, ~180 rows per student as
in the sample district (40 targets of the student's grade, 1 + Poisson(3.5) scores per
target, dates over a school year, rows in date order inside a block), 25 students per
classroom. The pandas run concatenates the same blocks the Dask workers generate, so both
engines see the same table. Students grow with rows: time should grow linearly.

Per size and engine it prints the time of each step, total time, rows/s and the peak
resident memory of this process and all its children (the Dask nanny and worker
processes) sampled every 20 ms. Then the growth exponent: the least-squares slope of
log(time) against log(rows). Targets (issue 12): exponent <= 1.1; 30M rows within 24 GB.

The Dask pipeline is the one a district would run: generated blocks persisted on the
workers (as if read with coachkit.io.dask.read_evidence_dask), the one partitioning
step (partition_by_student, a shuffle, timed), mastery twice, frontier and grouping on
the partitioned data, results kept on the workers except the groups (collected).
"""
from __future__ import annotations

import argparse
import gc
import os
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import coachkit.daskops as ckd  # noqa: E402
import coachkit.grouping as G  # noqa: E402
import coachkit.progress as P  # noqa: E402

GRADES, SUBJECTS, PER_GRADE, PER_STUDENT = 13, 2, 25, 40
ROWS_PER_STUDENT = PER_STUDENT * 4.5          # 1 + Poisson(3.5) scores per target
STUDENTS_PER_BLOCK = 5_000                    # ~0.9 million rows per block / partition
ROOM = 25
METHODS = ("most_recent", "decaying_average")
SUBJECT_NAMES = ("ela", "math")


def targets_table() -> pd.DataFrame:
    rows = []
    for g in range(GRADES):
        for si, subj in enumerate(SUBJECT_NAMES):
            for q in range(PER_GRADE):
                rows.append((f"{subj[:2].upper()}{g:02d}-{q + 1:02d}", subj, g, q + 1))
    t = pd.DataFrame(rows, columns=["target_id", "subject", "grade", "sequence"])
    t["subject"] = t["subject"].astype("category")
    t["grade"] = t["grade"].astype("int8")
    t["sequence"] = t["sequence"].astype("int16")
    t["code"] = t["target_id"]
    t["statement"] = "Target " + t["target_id"]
    return t


TARGETS = targets_table()
T_IDS = TARGETS["target_id"].tolist()


def student_ids(n: int) -> list[str]:
    return [f"S{i:07d}" for i in range(n)]


def make_block(i: int, n_students: int, seed: int = 2025) -> pd.DataFrame:
    """Evidence of students [i*B, i*B + B) — whole students; deterministic per block."""
    rng = np.random.default_rng([seed, i])
    first = i * STUDENTS_PER_BLOCK
    ns = min(STUDENTS_PER_BLOCK, n_students - first)
    sid = first + np.arange(ns)
    grade = (sid // ROOM) % GRADES                             # a classroom shares a grade
    choice = np.argsort(rng.random((ns, SUBJECTS * PER_GRADE)), axis=1)[:, :PER_STUDENT]
    target = (grade[:, None] * SUBJECTS * PER_GRADE + choice).ravel()
    student = np.repeat(sid, PER_STUDENT)
    k = 1 + rng.poisson(3.5, len(target))
    pair = np.repeat(np.arange(len(target)), k)
    n = len(pair)
    ability = rng.normal(0, 0.6, ns)
    score = np.clip(np.round((2.6 + ability[pair // PER_STUDENT] + rng.normal(0, 0.7, n)
                              + 0.15 * (np.arange(n) - np.repeat(np.cumsum(k) - k, k))) * 2)
                    / 2, 1.0, 4.0).astype("float32")
    day = rng.integers(0, 200, n)
    order = np.argsort(day, kind="stable")                     # a gradebook export: by date
    cats_s = pd.Index(student_ids(n_students), dtype="str")
    ev = pd.DataFrame({
        "student_id": pd.Categorical.from_codes(student[pair][order], dtype=pd.CategoricalDtype(cats_s)),
        "target_id": pd.Categorical.from_codes(target[pair][order],
                                               dtype=pd.CategoricalDtype(pd.Index(T_IDS, dtype="str"))),
        "date": (np.datetime64("2025-08-18") + day[order].astype("timedelta64[D]")).astype("datetime64[ns]"),
        "score": score[order],
        "kind": pd.Categorical.from_codes(rng.choice(5, n, p=[.5, .2, .15, .1, .05])[order],
                                          dtype=pd.CategoricalDtype(pd.Index(
                                              ["formative", "observation", "retake", "self",
                                               "summative"], dtype="str"))),
    })
    return ev


def students_table(n_students: int) -> pd.DataFrame:
    sid = np.arange(n_students)
    return pd.DataFrame({
        "student_id": pd.Series(student_ids(n_students), dtype="str"),
        "grade": ((sid // ROOM) % GRADES).astype("int8"),
        "classroom_id": pd.Series([f"C{r:06d}" for r in sid // ROOM], dtype="str"),
    })


# ---------------------------------------------------------------------- memory
class PeakMemory:
    """Peak RSS of this process and all its children, sampled every 20 ms."""

    def __init__(self):
        import psutil
        self.proc = psutil.Process()
        self.peak = 0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _rss(self) -> int:
        total = 0
        for p in [self.proc, *self.proc.children(recursive=True)]:
            try:
                total += p.memory_info().rss
            except Exception:
                pass
        return total

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self._rss())
            time.sleep(0.02)

    def reset(self):
        self.peak = self._rss()

    def stop(self):
        self._stop.set()
        self._t.join()


# ---------------------------------------------------------------------- pipelines
def _groups_input(f, students):
    one = f[(f["subject"] == "math") & ~f["target_id"].isna()]
    return one


def run_pandas(n_students: int, timings: dict):
    nblocks = -(-n_students // STUDENTS_PER_BLOCK)
    ev = pd.concat([make_block(i, n_students) for i in range(nblocks)], ignore_index=True)
    students = students_table(n_students)
    gc.collect()
    rows = len(ev)
    t0 = time.perf_counter()
    m = {}
    for meth in METHODS:
        t = time.perf_counter()
        m[meth] = P.mastery(ev, method=meth)
        timings[f"mastery {meth}"] = time.perf_counter() - t
    t = time.perf_counter()
    f = P.frontier(m["decaying_average"], TARGETS, students)
    timings["frontier"] = time.perf_counter() - t
    t = time.perf_counter()
    fr = _groups_input(f, students).merge(students[["student_id", "classroom_id"]], on="student_id")
    g = G.flexible_groups(fr, by="classroom_id", targets=TARGETS)
    timings["grouping"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t0
    return rows, len(g)


def run_dask(n_students: int, timings: dict, client):
    import dask.dataframe as dd
    from distributed import wait
    nblocks = -(-n_students // STUDENTS_PER_BLOCK)
    meta = make_block(0, n_students).iloc[:0]
    ev = dd.from_map(make_block, range(nblocks), n_students=n_students, meta=meta,
                     enforce_metadata=False).persist()
    wait(ev)
    rows = int(ev.map_partitions(len).sum().compute())
    students = students_table(n_students)
    t0 = time.perf_counter()
    t = time.perf_counter()
    pev = ckd.partition_by_student(ev, npartitions=nblocks).persist()
    wait(pev)
    timings["partition (shuffle)"] = time.perf_counter() - t
    del ev
    m = {}
    for meth in METHODS:
        t = time.perf_counter()
        m[meth] = ckd.mastery(pev, method=meth).persist()
        wait(m[meth])
        timings[f"mastery {meth}"] = time.perf_counter() - t
    t = time.perf_counter()
    f = ckd.frontier(m["decaying_average"], TARGETS, students).persist()
    wait(f)
    timings["frontier"] = time.perf_counter() - t
    t = time.perf_counter()
    fr = ckd.merge(_groups_input(f, students), students[["student_id", "classroom_id"]],
                   on="student_id")
    g = ckd.flexible_groups(fr, by="classroom_id", targets=TARGETS, compute=True)
    timings["grouping"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t0
    del pev, m, f
    return rows, len(g)


def run_kt(sizes, client, npartitions_per_million: int = 1):
    """Knowledge tracing fitted on all the evidence: pandas (this process) against Dask
    (EM with the E-step per partition, counts summed on the client), same table."""
    import dask.dataframe as dd
    from distributed import wait
    print("\n== knowledge tracing fit (EM): pandas vs Dask (E-step per partition)", flush=True)
    print(f"{'rows':>8}{'partitions':>12}{'pandas s':>10}{'dask s':>9}{'dask/pandas':>13}"
          f"{'iterations':>12}{'max |diff|':>12}")
    for size in sizes:
        n_students = max(ROOM, int(round(size * 1e6 / ROWS_PER_STUDENT)))
        nblocks = -(-n_students // STUDENTS_PER_BLOCK)
        ev = pd.concat([make_block(i, n_students) for i in range(nblocks)], ignore_index=True)
        t = time.perf_counter()
        want = P.fit_knowledge_tracing(ev)
        tp = time.perf_counter() - t
        nparts = max(2, int(round(size * npartitions_per_million)))
        dev = ckd.partition_by_student(dd.from_pandas(ev, npartitions=nparts, sort=False),
                                       npartitions=nparts).persist()
        wait(dev)
        t = time.perf_counter()
        got = P.fit_knowledge_tracing(dev)
        td = time.perf_counter() - t
        cols = ["prior", "learn", "guess", "slip", "log_likelihood"]
        diff = float(np.abs(got[cols].to_numpy() - want[cols].to_numpy()).max())
        print(f"{len(ev) / 1e6:7.2f}M{nparts:>12}{tp:>10.2f}{td:>9.2f}{td / tp:>12.2f}x"
              f"{int(want['iterations'].max()):>12}{diff:>12.1e}", flush=True)
        del ev, dev


def slope(x, y) -> float:
    lx, ly = np.log(np.asarray(x, float)), np.log(np.asarray(y, float))
    return float(np.polyfit(lx, ly, 1)[0])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=float, nargs="+", default=[1, 5, 10, 30],
                    help="evidence rows, in millions")
    ap.add_argument("--engines", nargs="+", default=["pandas", "dask"],
                    choices=["pandas", "dask"])
    ap.add_argument("--kt-sizes", type=float, nargs="*", default=[1, 5],
                    help="evidence rows (millions) for the knowledge-tracing fit line, "
                         "pandas against Dask (needs the dask engine); none to skip")
    args = ap.parse_args(argv)
    mem = PeakMemory()
    results = {}
    client = cluster = None
    for engine in args.engines:
        if engine == "dask":
            import dask
            from distributed import Client, LocalCluster
            dask.config.set({"distributed.worker.memory.target": False,
                             "distributed.worker.memory.spill": False})
            cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                   memory_limit="10GB", dashboard_address=None,
                                   silence_logs=40)
            client = Client(cluster)
        print(f"\n== {engine} " + ("(LocalCluster: 2 worker processes x 1 thread)"
                                  if engine == "dask" else "(this process)"), flush=True)
        for size in args.sizes:
            n_students = max(ROOM, int(round(size * 1e6 / ROWS_PER_STUDENT)))
            timings: dict = {}
            gc.collect()
            mem.reset()
            if engine == "pandas":
                rows, ngroups = run_pandas(n_students, timings)
            else:
                rows, ngroups = run_dask(n_students, timings, client)
            peak = mem.peak
            results[(engine, size)] = (rows, timings["total"], peak)
            steps = "  ".join(f"{k} {v:6.2f}s" for k, v in timings.items() if k != "total")
            print(f"{rows / 1e6:6.2f}M rows  {n_students:>7,} students  total {timings['total']:7.2f}s"
                  f"  {rows / timings['total'] / 1e6:5.2f}M rows/s  peak {peak / 2**30:5.2f} GiB"
                  f"  ({ngroups:,} students grouped)\n      {steps}", flush=True)
            gc.collect()
        if engine == "dask":
            if args.kt_sizes:
                run_kt(args.kt_sizes, client)
            client.close()
            cluster.close()
    mem.stop()
    print("\n== growth of time with rows (least-squares slope of log time on log rows)")
    for engine in args.engines:
        pts = [results[(engine, s)] for s in args.sizes if (engine, s) in results]
        if len(pts) >= 2:
            k = slope([p[0] for p in pts], [p[1] for p in pts])
            big = max(pts, key=lambda p: p[0])
            print(f"{engine:>7}: exponent {k:.3f} ({'<=' if k <= 1.1 else '>'} 1.1 target); "
                  f"largest {big[0] / 1e6:.1f}M rows: peak {big[2] / 2**30:.2f} GiB "
                  f"({'within' if big[2] < 24 * 2**30 else 'OVER'} 24 GB)")


if __name__ == "__main__":
    main()
