"""One report to build (a Job), how it went (an Outcome), and running one on a kernel.

Shared by the local process pool (``run``) and the Dask runner (``distributed``), which
both import it; neither imports the other's internals.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Job:
    key: str                 # unique within a run: the unit's original id(s)
    notebook: str
    parameters: dict
    out: str                 # HTML path, inside the run's output folder
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


def error_text(err: Exception) -> str:
    """One line for the index: the exception's type and its last line (papermill's
    message ends with the notebook's own exception line)."""
    lines = [ln for ln in str(err).strip().splitlines() if ln.strip()]
    tail = lines[-1] if lines else ""
    return f"{type(err).__name__}: {tail}"[:500]


def run_job(job: Job, kernel) -> Outcome:
    """Execute JOB's notebook on KERNEL (a WarmKernel) and write its HTML; a failure is
    returned as an Outcome, never raised."""
    from .export import write_html
    start = time.perf_counter()
    try:
        nb = kernel.execute(job.notebook, job.parameters)
        write_html(nb, job.out, title=job.title, assets=job.assets or None)
        return Outcome(job.key, True, time.perf_counter() - start)
    except Exception as err:   # one report's failure is reported, not fatal
        Path(job.out).unlink(missing_ok=True)
        return Outcome(job.key, False, time.perf_counter() - start, error_text(err))


__all__ = ["Job", "Outcome", "error_text", "run_job"]
