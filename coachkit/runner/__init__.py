"""The batch runner: a protocol for every classroom, as offline HTML, with an index.

    from coachkit.runner import run_cycle
    result = run_cycle("sample_data/district", cycle=6, out="reports")
"""
from .export import to_html, write_html
from .jobs import Job, Outcome
from .run import RunResult, describe, plan_jobs, protocol_path, run_cycle, run_jobs

__all__ = ["run_cycle", "run_jobs", "plan_jobs", "protocol_path", "to_html", "write_html",
           "describe", "Job", "Outcome", "RunResult"]
