"""How long and how much memory `python -m coachkit sample --students 60000` takes.

Runs the real command in a child process (as a user would) and reads the child's peak
resident memory from the kernel (getrusage RUSAGE_CHILDREN), for Parquet and CSV output.

    python benchmarks/sample.py [--students 60000]
"""
from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd


def run(students: int, fmt: str, out: Path) -> tuple[float, float]:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "coachkit", "sample", "--students", str(students),
                    "--out", str(out), "--format", fmt], check=True,
                   stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    # RUSAGE_CHILDREN's max RSS is the largest of the children waited for so far (KiB)
    peak_gb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 ** 2
    return seconds, peak_gb


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--students", type=int, default=60000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        for fmt in ("parquet", "csv"):   # parquet first: its peak is read before csv's
            out = Path(tmp) / fmt
            seconds, peak = run(args.students, fmt, out)
            evidence = out / f"evidence.{fmt}"
            rows = len(pd.read_parquet(evidence, columns=["score"])) if fmt == "parquet" else \
                sum(1 for _ in open(evidence, "rb")) - 1
            size = sum(p.stat().st_size for p in out.iterdir()) / 1024 ** 2
            print(f"sample --students {args.students} --format {fmt:8s}: {seconds:6.1f} s, "
                  f"peak RSS {peak:5.2f} GB (max so far), {rows:,} evidence rows, "
                  f"{size:,.0f} MB on disk, {rows / seconds:,.0f} evidence rows/s")


if __name__ == "__main__":
    main()
