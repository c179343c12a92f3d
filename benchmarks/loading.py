"""How long loading takes on hostile widths: a table file with many columns (issue 17.4).

Coercion is linear in columns; more than ``coachkit.io.pipeline.MAX_COLUMNS`` columns is
refused with a message naming the file and row 1.

    python benchmarks/loading.py [--columns 1000 10000 100000]
"""
from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import coachkit as ck
from coachkit.io.pipeline import MAX_COLUMNS

HEADER = "student_id,target_id,date,score,kind"


def wide_file(path: Path, columns: int, rows: int = 10) -> Path:
    extra = columns - 5
    lines = [HEADER + "".join(f",c{i}" for i in range(extra))]
    lines += [f"{r},T1,2025-09-01,3,retake" + ",x" * extra for r in range(rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def main(columns: list[int]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for n in columns:
            p = wide_file(Path(tmp) / "evidence.csv", n)
            start = time.perf_counter()
            try:
                df = ck.load_table(p, errors="report")
                what = f"{df.shape[1]:,} columns loaded"
            except ck.CoachkitDataError as err:
                what = f"refused: {str(err)[:90]}…"
            took = time.perf_counter() - start
            print(f"{n:>9,} columns, header {p.stat().st_size / 1e6:5.2f} MB: {took:6.2f} s  {what}")
    print(f"(bound: {MAX_COLUMNS:,} columns)")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--columns", type=int, nargs="+",
                    default=[100, 5_000, 100_000, 150_000])
    main(ap.parse_args().columns)
