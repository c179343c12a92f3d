"""`coachkit cycle`: run a protocol for every classroom into offline HTML reports."""
from __future__ import annotations

import click


@click.command()
@click.option("--data", type=click.Path(exists=True), required=True,
              help="The district's data (folder of tables, workbook, OneRoster zip).")
@click.option("--cycle", type=int, required=True, help="Which six-week cycle to review (1-6).")
@click.option("--school", default=None, help="Only this school's classrooms (school_id).")
@click.option("--protocol", default="data_talk", show_default=True,
              help="data_talk, grade_overview, student_binder or implementation_review "
                   "(or a path to a notebook).")
@click.option("--out", type=click.Path(file_okay=False), default="reports", show_default=True)
@click.option("--language", type=click.Choice(["en", "es"]), default="en", show_default=True)
@click.option("--method", default=None,
              help="Mastery method for this run only (default: the district's policy, "
                   "coachkit.toml in the data folder; see docs/policy.md).")
@click.option("--workers", type=int, default=None, help="Parallel workers (default: cores).")
@click.option("--scheduler", default=None,
              help="Run on a Dask cluster: a scheduler address, or 'local' for a LocalCluster.")
def cycle(data, cycle, school, protocol, out, language, method, workers, scheduler):
    """Run PROTOCOL for every classroom of DATA and write OUT/index.html.

    One failing classroom does not stop the rest; it is listed in the index with its
    error, and the command exits 1 at the end."""
    from ..runner import run_cycle
    result = run_cycle(data, cycle=cycle, out=out, protocol=protocol, school=school,
                       language=language, method=method, workers=workers, scheduler=scheduler)
    click.echo(f"{result.ok} reports built, {result.failed} failed: {result.index}")
    for o in result.outcomes:
        if not o.ok:
            click.echo(f"  failed {o.key}: {o.error}", err=True)
    raise SystemExit(1 if result.failed else 0)
