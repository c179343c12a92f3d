"""`coachkit demo`: the sample district, validated, and its six-week data talks."""
from __future__ import annotations

from pathlib import Path

import click

DEFAULT_SAMPLE = Path("sample_data/district")


@click.command()
@click.option("--data", type=click.Path(file_okay=False), default=str(DEFAULT_SAMPLE),
              show_default=True, help="The district to use; built here if it is missing.")
@click.option("--out", type=click.Path(file_okay=False), default="reports", show_default=True,
              help="Where the reports go.")
@click.option("--cycle", type=int, default=6, show_default=True, help="Which cycle to review.")
@click.option("--workers", type=int, default=None, help="Parallel notebook workers.")
def demo(data, out, cycle, workers):
    """Build the sample district (if needed), validate it, run the six-week data talk for
    every classroom and write reports/index.html."""
    from ..io import load_dataset
    from ..runner import run_cycle
    data = Path(data)
    if not any(data.glob("evidence.*")):
        from ..sample import write_district
        click.echo(f"building the sample district in {data}/ …")
        write_district(data, progress=True)
    ds = load_dataset(data).validate()
    click.echo("The district:")
    click.echo(ds.summary()[["table", "rows"]].to_string(index=False))
    click.echo(district_overview(ds).to_string(index=False))
    result = run_cycle(data, cycle=cycle, out=out, workers=workers, progress=True)
    click.echo(f"\nreports: open {Path(out).resolve() / 'index.html'} in a browser "
               f"({result.ok} built, {result.failed} failed; they work offline)")
    click.echo(f"dashboards: run `make dashboard` (or `.venv/bin/coachkit dashboard --data {data}`) "
               "and open the URL it prints")
    if result.failed:
        raise SystemExit(1)


def district_overview(ds):
    """One row per school: students, classrooms, grade span, ELL and IEP shares."""
    from ..schema import grade_label
    by = ds.students.groupby("school_id").agg(
        students=("student_id", "size"), classrooms=("classroom_id", "nunique"),
        grades=("grade", lambda g: f"{grade_label(g.min())}-{grade_label(g.max())}"),
        ell_pct=("ell", lambda x: round(100 * x.mean())),
        iep_pct=("iep", lambda x: round(100 * x.mean())))
    return ds.schools.merge(by.reset_index(), on="school_id")
