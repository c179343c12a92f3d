"""Size of the batch runner's reports: plotly.js embedded in every file (before) against
one shared plotly.min.js beside the index (after, what `coachkit cycle` writes).

    .venv/bin/python benchmarks/report_size.py [--data sample_data/district] [--cycle 4]
                                               [--classrooms S101-3A,S101-3B,S102-7A]

Runs the data talk for each classroom (plus the school's grade overview and
implementation review, one each) once, exports each executed notebook both ways and
prints the sizes. Target (issue 19 item 7): every report at most 1.5 MB, still offline.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from coachkit.runner import export  # noqa: E402
from coachkit.runner.kernel import WarmKernel  # noqa: E402

LIMIT = 1.5e6


def mb(n: int) -> str:
    return f"{n / 1e6:6.2f} MB"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", default=str(ROOT / "sample_data" / "district"))
    ap.add_argument("--cycle", type=int, default=4)
    ap.add_argument("--classrooms", default="S101-3A,S101-3B,S102-7A")
    args = ap.parse_args(argv)
    protocols = ROOT / "notebooks" / "protocols"
    jobs = [(f"data talk {c}", protocols / "data_talk.ipynb", dict(classroom=c))
            for c in args.classrooms.split(",")]
    jobs += [("grade overview S101 grade 3", protocols / "grade_overview.ipynb",
              dict(school="S101", grade=3)),
             ("implementation review S101", protocols / "implementation_review.ipynb",
              dict(school="S101"))]
    kernel = WarmKernel(cwd=str(ROOT))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        try:
            for label, nb_path, params in jobs:
                nb = kernel.execute(str(nb_path), dict(params, data=args.data, cycle=args.cycle))
                before = len(export.to_html(nb, title=label).encode("utf-8"))
                after = export.write_html(nb, Path(tmp) / "S" / f"{len(rows)}.html",
                                          title=label, assets=tmp).stat().st_size
                rows.append((label, before, after))
        finally:
            kernel.shutdown()
        shared = (Path(tmp) / export.ASSET).stat().st_size
    print(f"{'report':34} {'embedded':>10} {'shared':>10}")
    for label, before, after in rows:
        print(f"{label:34} {mb(before)} {mb(after)}")
    print(f"{'plotly.min.js, once per folder':34} {'':>10} {mb(shared)}")
    n = 26
    total_before = n * sum(b for _, b, _ in rows[:-2]) / max(1, len(rows) - 2)
    total_after = n * sum(a for _, _, a in rows[:-2]) / max(1, len(rows) - 2) + shared
    print(f"{n} classrooms' data talks (estimated): {mb(int(total_before))} -> "
          f"{mb(int(total_after))}")
    worst = max(a for _, _, a in rows)
    print(f"largest report with the shared file: {mb(worst)} (limit {mb(int(LIMIT))})")
    return 0 if worst <= LIMIT else 1


if __name__ == "__main__":
    sys.exit(main())
