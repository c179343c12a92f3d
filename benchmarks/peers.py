"""coachkit's mastery against polars and DuckDB on the same evidence, when they are there.

    .venv/bin/python benchmarks/peers.py [--rows 10000000] [--repeat 3]

Neither is a coachkit dependency and neither is installed by default (``pip install
polars duckdb`` into the venv to compare): each peer runs only when it imports, and the
benchmark says which were absent. For the methods a peer expresses directly (most
recent, highest, mean, n_times' mean of the 3 best) it times the same answer per
(student, target) on the counted evidence (the policy's kinds), checks it equals
coachkit's, and prints the ratio peer time / coachkit time (the issue's target: >= 2).
Times are the fastest of ``--repeat`` runs, CPU seconds of this process for coachkit
and wall seconds for all (the peers run threads); all measured in this one run.

Data: ``benchmarks/progress.py``'s generator.
"""
from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import coachkit.progress as P  # noqa: E402
from coachkit import policy  # noqa: E402
from progress import generate  # noqa: E402

METHODS = ("most_recent", "highest", "mean", "n_times")


def wall(f, repeat):
    best, out = None, None
    for _ in range(repeat):
        t = time.perf_counter()
        out = f()
        dt = time.perf_counter() - t
        best = dt if best is None else min(best, dt)
    return best, out


def polars_runner(pl, ev):
    df = pl.from_pandas(ev.assign(_row=np.arange(len(ev))))
    kinds = list(policy.DEFAULT.kinds)

    def run(method):
        d = df.filter(pl.col("kind").cast(pl.Utf8).is_in(kinds)).sort(["date", "_row"])
        g = d.group_by(["student_id", "target_id"])
        s = pl.col("score").cast(pl.Float64)
        agg = {"most_recent": s.last(), "highest": s.max(), "mean": s.mean(),
               "n_times": s.sort(descending=True).head(3).mean()}[method]
        return g.agg(agg.alias("m")).sort(["student_id", "target_id"])["m"].to_numpy()
    return run


def duckdb_runner(duckdb, ev):
    con = duckdb.connect()
    data = ev.assign(_row=np.arange(len(ev)), kind=ev["kind"].astype(str))
    con.register("ev", data)
    kinds = ", ".join(f"'{k}'" for k in policy.DEFAULT.kinds)
    expr = {"most_recent": "arg_max(score::DOUBLE, (date, _row))",
            "highest": "max(score::DOUBLE)", "mean": "avg(score::DOUBLE)",
            "n_times": "list_avg(list_slice(list_sort(list(score::DOUBLE), 'DESC'), 1, 3))"}

    def run(method):
        q = (f"SELECT student_id, target_id, {expr[method]} AS m FROM ev "
             f"WHERE kind IN ({kinds}) GROUP BY ALL ORDER BY student_id, target_id")
        return con.execute(q).fetchnumpy()["m"]
    return run


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--students", type=int, default=60_000)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args(argv)
    peers = {}
    for name, runner in (("polars", polars_runner), ("duckdb", duckdb_runner)):
        try:
            peers[name] = (importlib.import_module(name), runner)
        except ImportError:
            print(f"{name} is not installed: skipped (pip install {name} to compare; "
                  "benchmark-only, never a coachkit dependency)")
    ev, _ = generate(a.rows, a.students)
    print(f"{len(ev):,} evidence rows; fastest of {a.repeat} runs")
    ours = {}
    for m in METHODS:
        dt, res = wall(lambda: P.mastery(ev, m), a.repeat)
        ours[m] = (dt, res.loc[res["n_evidence"] > 0, "mastery"].to_numpy())
    head = f"{'method':<14}{'coachkit s':>11}"
    for name in peers:
        head += f"{name + ' s':>11}{'ratio':>8}"
    print(head)
    runs = {name: runner(mod, ev) for name, (mod, runner) in peers.items()}
    for m in METHODS:
        line = f"{m:<14}{ours[m][0]:>11.2f}"
        for name, run in runs.items():
            dt, got = wall(lambda: run(m), a.repeat)
            ok = np.allclose(np.asarray(got, float), ours[m][1], rtol=1e-9, atol=1e-9)
            line += f"{dt:>11.2f}{dt / ours[m][0]:>7.1f}x" + ("" if ok else " (differs!)")
        print(line)
    if not peers:
        print("no peer installed: only coachkit's own times above")


if __name__ == "__main__":
    main()
