"""Learner profiles for a whole school against one notebook run per student, in one run.

Per student (what a user does today): papermill runs notebooks/protocols/student_binder.ipynb
for one student, then nbconvert exports it (a fresh kernel every time); timed on a few
students and scaled to the school. coachkit: `profile.learner_profiles` computes mastery once
for the school, then `profile.page` renders each page from the template.

    python benchmarks/profiles.py [--school S101] [--sample 3] [--language es]
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))


def per_student(data: Path, students: list[str], out: Path, cycle: int, language: str) -> float:
    nb = ROOT / "notebooks" / "protocols" / "student_binder.ipynb"
    start = time.perf_counter()
    for sid in students:
        executed = out / f"{sid}.ipynb"
        subprocess.run([str(BIN / "papermill"), str(nb), str(executed), "-p", "data", str(data),
                        "-p", "student", sid, "-p", "cycle", str(cycle), "-p", "language", language,
                        "--no-progress-bar"], check=True, capture_output=True)
        subprocess.run([str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input",
                        str(executed)], check=True, capture_output=True)
    return (time.perf_counter() - start) / len(students)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--school", default="S101")
    ap.add_argument("--cycle", type=int, default=6)
    ap.add_argument("--sample", type=int, default=3, help="students timed the per-student way")
    ap.add_argument("--language", default="es")
    args = ap.parse_args()
    import coachkit as ck
    from coachkit import profile
    data = ROOT / "sample_data" / "district"
    ds = ck.load_dataset(data)
    ids = ds.students.loc[ds.students["school_id"] == args.school, "student_id"].astype(str).tolist()
    start = time.perf_counter()
    profiles = profile.learner_profiles(ds, args.cycle, students=ids)
    computed = time.perf_counter() - start
    pages = profile.pages(profiles, language=args.language)
    total = time.perf_counter() - start
    size = sum(len(p.encode()) for p in pages.values()) / len(pages)
    print(f"{len(ids)} students of {args.school}, cycle {args.cycle}, language {args.language}")
    print(f"coachkit profiles: {total:6.2f} s for the school ({computed:.2f} s computing, "
          f"{total - computed:.2f} s rendering), {total / len(ids) * 1000:6.1f} ms a student, "
          f"{size / 1024:.0f} KB a page")
    with tempfile.TemporaryDirectory() as tmp:
        each = per_student(data, ids[: args.sample], Path(tmp), args.cycle, args.language)
    print(f"notebook per student: {each:6.2f} s a student (timed on {args.sample}), "
          f"{each * len(ids):7.1f} s for the school, scaled")
    print(f"ratio: {each * len(ids) / total:5.1f}x faster for the school")


if __name__ == "__main__":
    main()
