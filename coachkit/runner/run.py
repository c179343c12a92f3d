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
import urllib.parse
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path

from tqdm.auto import tqdm

from .. import sheet as decision_sheet
from ..schema import grade_label
from .jobs import Job, Outcome, error_text, run_job
from .paths import inside, short_hash, slug, unique_slugs

NOTEBOOKS = Path(os.environ.get("COACHKIT_NOTEBOOKS",
                                Path(__file__).resolve().parents[2] / "notebooks"))


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


# --- what a protocol runs for: its unit ---------------------------------------------
# A protocol notebook says in its metadata what one report is about and how it is titled:
#   "metadata": {"coachkit": {"unit": "classroom", "title": "Data talk: {classroom}",
#                             "label": "{classroom} ({teacher})"}}
# title and label may use the unit's fields: school, school_name, grade, grade_label,
# classroom, teacher, student.

def _classrooms(ds, rooms):
    for r in rooms.sort_values(["school_id", "grade", "classroom_id"]).itertuples():
        yield dict(school=r.school_id, grade=int(r.grade), classroom=r.classroom_id,
                   teacher=r.teacher)


def _grades(ds, rooms):
    for (sid, g), _ in rooms.groupby(["school_id", "grade"], sort=True):
        yield dict(school=sid, grade=int(g))


def _students(ds, rooms):
    st = ds.students[ds.students["classroom_id"].isin(rooms["classroom_id"])]
    for r in st.sort_values(["school_id", "classroom_id", "student_id"]).itertuples():
        yield dict(school=r.school_id, grade=int(r.grade), classroom=r.classroom_id,
                   student=str(r.student_id))


def _schools(ds, rooms):
    for sid in sorted(rooms["school_id"].unique()):
        yield dict(school=sid)


@dataclass(frozen=True)
class Unit:
    units: object          # (ds, classrooms) -> dicts of the unit's fields
    key: object            # fields -> the job's key (unique within a run)
    where: object          # (fields, slugs, protocol slug) -> path parts under --out


UNITS = {
    "classroom": Unit(_classrooms, lambda u: u["classroom"],
                      lambda u, s, p: (s["school"][u["school"]], s["classroom"][u["classroom"]])),
    "grade": Unit(_grades, lambda u: f"{u['school']}-grade-{grade_label(u['grade'])}",
                  lambda u, s, p: (s["school"][u["school"]],
                                   f"{s['school'][u['school']]}-grade-{grade_label(u['grade'])}")),
    "student": Unit(_students, lambda u: f"{u['classroom']}-{u['student']}",
                    lambda u, s, p: (s["school"][u["school"]], s["classroom"][u["classroom"]],
                                     s["student"][u["student"]])),
    "school": Unit(_schools, lambda u: f"{u['school']}-{u['protocol']}",
                   lambda u, s, p: (s["school"][u["school"]], p)),
}


def describe(notebook) -> dict:
    """A protocol's own description: unit, title and label from its metadata, and the
    parameters its parameters cell declares (papermill.inspect_notebook)."""
    import nbformat
    from papermill.translators import papermill_translators
    nb = nbformat.read(str(notebook), as_version=4)
    cell = next((i for i, c in enumerate(nb.cells)
                 if "parameters" in c.get("metadata", {}).get("tags", [])), -1)
    # papermill.inspect_notebook's own reading, for notebooks without a kernelspec too
    # (they run on the warm python3 kernel)
    translator = papermill_translators.find_translator(
        nb.metadata.get("kernelspec", {}).get("name") or "python3",
        nb.metadata.get("language_info", {}).get("name") or "python")
    declared = {p.name for p in translator.inspect(nb.cells[cell])} if cell >= 0 else set()
    meta = dict(nb.metadata.get("coachkit") or {})
    unit = meta.get("unit", "classroom")
    if unit not in UNITS:
        raise ValueError(f"{notebook}: metadata.coachkit.unit: expected one of "
                         f"{', '.join(UNITS)}, got {unit!r}")
    name = Path(notebook).stem.replace("_", " ").capitalize()
    return {"unit": unit, "title": meta.get("title", f"{name}: {{classroom}}"),
            "label": meta.get("label", "{classroom}"),
            "parameters": declared}


def plan_jobs(ds, *, data: str, cycle: int, out: Path, protocol: str = "data_talk",
              school: str | None = None, language: str = "en",
              method: str | None = None, classrooms=None) -> list[Job]:
    """One job per unit the protocol's metadata names: classroom, school grade, student
    or school. Each gets only the parameters its notebook declares; report files are
    slugs of the ids, unique and inside OUT."""
    nb = str(protocol_path(protocol))
    about = describe(nb)
    unit = UNITS[about["unit"]]
    rooms = ds.classrooms
    if school:
        if school not in set(ds.schools["school_id"]):
            raise ValueError(f"unknown school {school!r}; expected one of "
                             f"{', '.join(ds.schools['school_id'])}")
        rooms = rooms[rooms["school_id"] == school]
    if classrooms is not None:
        rooms = rooms[rooms["classroom_id"].isin(list(classrooms))]
    names = dict(zip(ds.schools["school_id"], ds.schools["name"]))
    units = [dict(u, protocol=slug(Path(nb).stem)) for u in unit.units(ds, rooms)]
    slugs = {kind: unique_slugs(u[kind] for u in units if kind in u)
             for kind in ("school", "classroom", "student")}
    common = dict(data=str(data), cycle=int(cycle), language=language, method=method)
    jobs, keys = [], set()
    for u in units:
        fields = dict(u, school_name=names.get(u["school"], u["school"]),
                      grade_label=grade_label(u["grade"]) if "grade" in u else "")
        given = dict(common, **{k: u[k] for k in ("school", "grade", "classroom", "student")
                                if k in u})
        key = unit.key(u)
        if key in keys:                          # two ids that join alike
            key = f"{key}-{short_hash(repr(sorted(u.items())))}"
        keys.add(key)
        path = inside(out, *unit.where(u, slugs, u["protocol"]))
        # a protocol that declares `sheet` writes its printable decision sheet beside it
        given["sheet"] = str(path.with_name(decision_sheet.file_name(path)))
        jobs.append(Job(key, nb, {k: v for k, v in given.items() if k in about["parameters"]},
                        str(path),
                        about["title"].format_map(fields), str(fields["school_name"]),
                        fields["grade_label"], about["label"].format_map(fields)))
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


def _run_in_worker(jobs: list[Job]) -> list[Outcome]:
    return [run_job(job, _kernel) for job in jobs]


def batches(jobs: list[Job], workers: int) -> list[list[Job]]:
    """Jobs in runs of one school grade each (a grade's classrooms share what the worker
    keeps, e.g. the grade's suppression table), a run cut where it would hold more than
    its share of the jobs, so the workers stay evenly loaded."""
    most = max(1, -(-len(jobs) // (workers * 2)))
    out: list[list[Job]] = []
    for job in jobs:
        last = out[-1] if out else None
        if (last and (last[-1].school, last[-1].grade) == (job.school, job.grade)
                and len(last) < most):
            last.append(job)
        else:
            out.append([job])
    return out


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
        futures = {pool.submit(_run_in_worker, batch): batch for batch in batches(jobs, workers)}
        with tqdm(total=len(jobs), desc=desc, unit="report", disable=not progress) as bar:
            for fut in as_completed(futures):
                try:
                    done = fut.result()
                except Exception as err:   # the worker itself died
                    done = [Outcome(job.key, False, 0.0, error_text(err)) for job in futures[fut]]
                outcomes += done
                bar.update(len(done))
    order = {j.key: i for i, j in enumerate(jobs)}
    return sorted(outcomes, key=lambda o: order[o.key])


def run_cycle(data, *, cycle: int = 6, out="reports", protocol: str = "data_talk",
              school: str | None = None, language: str = "en", method: str | None = None,
              workers: int | None = None, progress: bool = True, classrooms=None,
              scheduler: str | None = None) -> RunResult:
    """Run PROTOCOL for every classroom of DATA (or of one school) into OUT, with an index.

    Returns the outcomes; `result.failed` counts reports that did not build.
    """
    from ..io import load_dataset
    data = Path(data).resolve()
    out = Path(out).resolve()
    ds = load_dataset(data)
    cycle = ds.check_cycle(cycle)
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
        href = urllib.parse.quote(Path(os.path.relpath(job.out, out)).as_posix())
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
