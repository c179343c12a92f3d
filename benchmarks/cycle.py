"""The batch runner against what a user does by hand, timed in one run.

Naive: for each classroom, `papermill` then `jupyter nbconvert --to html --no-input`,
one after the other (a fresh kernel, fresh imports and a fresh nbconvert every time).
coachkit: `run_cycle`, with long-lived workers that each keep one warm kernel and
export HTML in-process.

    python benchmarks/cycle.py [--classrooms 40] [--workers 2]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))


def naive(data: Path, rooms: list[str], out: Path, cycle: int) -> float:
    nb = ROOT / "notebooks" / "protocols" / "data_talk.ipynb"
    start = time.perf_counter()
    for room in rooms:
        executed = out / f"{room}.ipynb"
        subprocess.run([str(BIN / "papermill"), str(nb), str(executed), "-p", "data", str(data),
                        "-p", "classroom", room, "-p", "cycle", str(cycle), "--no-progress-bar"],
                       check=True, capture_output=True)
        subprocess.run([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input",
                        str(executed)], check=True, capture_output=True)
    return time.perf_counter() - start


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--classrooms", type=int, default=40)
    ap.add_argument("--workers", type=int, default=os.cpu_count())
    ap.add_argument("--cycle", type=int, default=4)
    args = ap.parse_args()
    from coachkit.io import save_dataset
    from coachkit.runner import run_cycle
    from coachkit.sample import make_district
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        # about 23 students a classroom, some rounding: enough classrooms for the number asked
        ds = make_district(max(600, args.classrooms * 28), seed=1)
        data = save_dataset(ds, tmp / "district")
        rooms = sorted(ds.classrooms["classroom_id"])[: args.classrooms]
        print(f"{len(rooms)} classrooms, {len(ds.students):,} students, "
              f"{len(ds.evidence):,} evidence rows; {os.cpu_count()} cores")
        start = time.perf_counter()
        result = run_cycle(data, cycle=args.cycle, out=tmp / "fast", classrooms=rooms,
                           workers=args.workers, progress=False)
        fast = time.perf_counter() - start
        assert result.failed == 0, [o for o in result.outcomes if not o.ok]
        print(f"coachkit run_cycle ({args.workers} warm workers): {fast:7.1f} s "
              f"({fast / len(rooms):.2f} s per classroom)")
        (tmp / "naive").mkdir()
        slow = naive(data, rooms, tmp / "naive", args.cycle)
        print(f"naive papermill + nbconvert loop:        {slow:7.1f} s "
              f"({slow / len(rooms):.2f} s per classroom)")
        print(f"speed-up: {slow / fast:.1f}x")


if __name__ == "__main__":
    main()
