"""Run a protocol for every classroom (or grade, or student) into offline HTML reports.

Worker processes live for the whole run; each keeps one warm kernel and runs its
notebooks one at a time (parallel kernel launches under a process pool collide on
ports and time out: papermill#511, #239). HTML is exported in the worker, in-process.
One failing report does not stop the others: it is listed with its error in the index.
"""
from __future__ import annotations

import html
import multiprocessing as mp
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tqdm.auto import tqdm

NOTEBOOKS = Path(os.environ.get("COACHKIT_NOTEBOOKS",
                                Path(__file__).resolve().parents[2] / "notebooks"))
PROTOCOLS = ("data_talk", "student_binder", "grade_overview", "implementation_review")


def protocol_path(protocol: str) -> Path:
    path = Path(protocol)
    if path.suffix == ".ipynb":
        return path
    found = NOTEBOOKS / "protocols" / f"{protocol}.ipynb"
    if not found.exists():
        raise ValueError(f"unknown protocol {protocol!r}: no {found}; expected one of "
                         f"{', '.join(p.stem for p in sorted((NOTEBOOKS / 'protocols').glob('*.ipynb')))}")
    return found


@dataclass
class Job:
    key: str                 # unique, also the report's file stem
    notebook: str
    parameters: dict
    out: str                 # HTML path
    title: str
    school: str = ""
    grade: str = ""
    label: str = ""
    assets: str = ""         # the reports' folder: reports there share one plotly.js


@dataclass
class Outcome:
    key: str
    ok: bool
    seconds: float
    error: str = ""


@dataclass
class RunResult:
    index: Path
    outcomes: list = field(default_factory=list)
    jobs: list = field(default_factory=list)

    @property
    def ok(self) -> int:
        return sum(o.ok for o in self.outcomes)

    @property
    def failed(self) -> int:
        return sum(not o.ok for o in self.outcomes)


def plan_jobs(ds, *, data: str, cycle: int, out: Path, protocol: str = "data_talk",
              school: str | None = None, language: str = "en",
              method: str = "decaying_average", classrooms=None) -> list[Job]:
    """One job per classroom (data_talk), per school grade (grade_overview), per student
    (student_binder) or per school (implementation_review)."""
    nb = str(protocol_path(protocol))
    name = Path(nb).stem
    rooms = ds.classrooms
    if school:
        if school not in set(ds.schools["school_id"]):
            raise ValueError(f"unknown school {school!r}; expected one of "
                             f"{', '.join(ds.schools['school_id'])}")
        rooms = rooms[rooms["school_id"] == school]
    if classrooms is not None:
        rooms = rooms[rooms["classroom_id"].isin(list(classrooms))]
    names = dict(zip(ds.schools["school_id"], ds.schools["name"]))
    common = dict(data=str(data), cycle=int(cycle), language=language, method=method)
    grade_label = lambda g: "K" if int(g) == 0 else str(int(g))
    jobs = []
    if name == "grade_overview":
        for (sid, g), _ in rooms.groupby(["school_id", "grade"], sort=True):
            key = f"{sid}-grade-{grade_label(g)}"
            jobs.append(Job(key, nb, dict(common, school=sid, grade=int(g)),
                            str(out / sid / f"{key}.html"), f"Grade {grade_label(g)} overview",
                            names.get(sid, sid), grade_label(g), f"Grade {grade_label(g)}"))
    elif name == "student_binder":
        st = ds.students[ds.students["classroom_id"].isin(rooms["classroom_id"])]
        for row in st.sort_values(["school_id", "classroom_id", "student_id"]).itertuples():
            key = f"{row.classroom_id}-{row.student_id}"
            jobs.append(Job(key, nb, dict(common, school=row.school_id, classroom=row.classroom_id,
                                          student=str(row.student_id)),
                            str(out / row.school_id / row.classroom_id / f"{row.student_id}.html"),
                            "My learning targets", names.get(row.school_id, row.school_id),
                            grade_label(row.grade), str(row.student_id)))
    elif name == "implementation_review":
        for sid in sorted(rooms["school_id"].unique()):
            jobs.append(Job(f"{sid}-implementation", nb, dict(common, school=sid),
                            str(out / sid / "implementation_review.html"),
                            "Implementation review", names.get(sid, sid), "", "All staff"))
    else:
        for row in rooms.sort_values(["school_id", "grade", "classroom_id"]).itertuples():
            jobs.append(Job(row.classroom_id, nb,
                            dict(common, school=row.school_id, grade=int(row.grade),
                                 classroom=row.classroom_id),
                            str(out / row.school_id / f"{row.classroom_id}.html"),
                            f"Data talk: {row.classroom_id}", names.get(row.school_id, row.school_id),
                            grade_label(row.grade), f"{row.classroom_id} ({row.teacher})"))
    return jobs


# --- the worker side -------------------------------------------------------------------
_kernel = None


def _init_worker(cwd: str):
    import multiprocessing.util

    from .kernel import WarmKernel
    global _kernel
    _kernel = WarmKernel(cwd=cwd)
    # ProcessPoolExecutor workers end without atexit; multiprocessing's finalizers do run
    multiprocessing.util.Finalize(None, _kernel.shutdown, exitpriority=10)


def _error_text(err: Exception) -> str:
    lines = [ln for ln in str(err).strip().splitlines() if ln.strip()]
    name = type(err).__name__
    tail = lines[-1] if lines else ""
    # papermill's message ends with the notebook's own exception line
    return f"{name}: {tail}"[:500]


def run_job(job: Job, kernel=None) -> Outcome:
    from .export import write_html
    kernel = kernel or _kernel
    start = time.perf_counter()
    try:
        nb = kernel.execute(job.notebook, job.parameters)
        write_html(nb, job.out, title=job.title, assets=job.assets or None)
        return Outcome(job.key, True, time.perf_counter() - start)
    except Exception as err:   # one report's failure is reported, not fatal
        Path(job.out).unlink(missing_ok=True)
        return Outcome(job.key, False, time.perf_counter() - start, _error_text(err))


# --- the parent side -------------------------------------------------------------------
def run_jobs(jobs: list[Job], *, workers: int | None = None, progress: bool = True,
             cwd: str | None = None, desc: str = "reports") -> list[Outcome]:
    if not jobs:
        return []
    workers = max(1, min(workers or os.cpu_count() or 1, len(jobs)))
    outcomes = []
    ctx = mp.get_context("spawn")   # fork would copy the parent's threads and ZMQ sockets
    with ProcessPoolExecutor(workers, mp_context=ctx, initializer=_init_worker,
                             initargs=(cwd or os.getcwd(),)) as pool:
        futures = {pool.submit(run_job, job): job for job in jobs}
        with tqdm(total=len(jobs), desc=desc, unit="report", disable=not progress) as bar:
            for fut in as_completed(futures):
                try:
                    outcomes.append(fut.result())
                except Exception as err:   # the worker itself died
                    outcomes.append(Outcome(futures[fut].key, False, 0.0, _error_text(err)))
                bar.update()
    order = {j.key: i for i, j in enumerate(jobs)}
    return sorted(outcomes, key=lambda o: order[o.key])


def run_cycle(data, *, cycle: int = 6, out="reports", protocol: str = "data_talk",
              school: str | None = None, language: str = "en", method: str = "decaying_average",
              workers: int | None = None, progress: bool = True, classrooms=None,
              scheduler: str | None = None) -> RunResult:
    """Run PROTOCOL for every classroom of DATA (or of one school) into OUT, with an index.

    Returns the outcomes; `result.failed` counts reports that did not build.
    """
    from ..io import load_dataset
    data = Path(data).resolve()
    out = Path(out).resolve()
    ds = load_dataset(data)
    if int(cycle) not in set(ds.cycles["cycle_id"].astype(int)):
        raise ValueError(f"unknown cycle {cycle!r}; the data has cycles "
                         f"{', '.join(map(str, sorted(ds.cycles['cycle_id'])))}")
    jobs = plan_jobs(ds, data=str(data), cycle=cycle, out=out, protocol=protocol,
                     school=school, language=language, method=method, classrooms=classrooms)
    for job in jobs:
        job.assets = str(out)
    if scheduler:
        from .distributed import run_jobs_dask
        outcomes = run_jobs_dask(jobs, scheduler=scheduler, progress=progress)
    else:
        outcomes = run_jobs(jobs, workers=workers, progress=progress)
    index = write_index(out, jobs, outcomes, data=data, cycle=cycle, protocol=protocol)
    return RunResult(index, outcomes, jobs)


def write_index(out: Path, jobs, outcomes, *, data, cycle, protocol) -> Path:
    """reports/index.html: every report by school, grade and classroom; failures with errors.
    No timestamps or timings, so the same inputs give the same index."""
    out.mkdir(parents=True, exist_ok=True)
    by_key = {o.key: o for o in outcomes}
    rows, school = [], None
    for job in jobs:
        o = by_key[job.key]
        if job.school != school:
            school = job.school
            rows.append(f"<tr class='school'><th colspan='3'>{html.escape(school)}</th></tr>")
        href = os.path.relpath(job.out, out)
        cell = (f"<a href='{html.escape(href)}'>{html.escape(job.label)}</a>" if o.ok else
                f"{html.escape(job.label)} <span class='err'>failed: {html.escape(o.error)}</span>")
        rows.append(f"<tr class='{'ok' if o.ok else 'failed'}'><td>{html.escape(job.grade)}</td>"
                    f"<td>{cell}</td><td>{html.escape(job.title)}</td></tr>")
    failed = [o for o in outcomes if not o.ok]
    summary = (f"{len(outcomes) - len(failed)} reports built" +
               (f", <b>{len(failed)} failed</b> (listed below with their errors)" if failed else ""))
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>coachkit reports: cycle {cycle}</title>
<style>
body {{ font-family: Segoe UI, Helvetica, Arial, sans-serif; max-width: 960px; margin: 2em auto; }}
table {{ border-collapse: collapse; width: 100%; }} td, th {{ padding: .3em .6em; text-align: left; }}
tr.school th {{ background: #eef3f8; padding-top: .8em; }} .err {{ color: #b00020; }}
</style></head><body>
<h1>Six-week data talk: cycle {cycle}</h1>
<p>Protocol <code>{html.escape(protocol)}</code> on <code>{html.escape(Path(data).name)}</code>: {summary}.
Each report holds one classroom's students only; share it with that classroom's team.</p>
<table><tr><th>grade</th><th>report</th><th>what</th></tr>
{chr(10).join(rows)}
</table></body></html>
"""
    index = out / "index.html"
    index.write_text(page, encoding="utf-8")
    return index
