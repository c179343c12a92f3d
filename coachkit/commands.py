"""The foundation commands: `coachkit sample`, `coachkit validate`, `coachkit demo`."""
from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from .errors import CoachkitDataError

DEFAULT_SAMPLE = Path("sample_data/district")


@click.command()
@click.option("--out", type=click.Path(file_okay=False), default="district", show_default=True,
              help="Folder to write the district's table files into.")
@click.option("--students", "n_students", type=click.IntRange(min=13), default=600,
              show_default=True, help="How many students (the district is sized to fit).")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Random seed; the same seed gives the same district.")
@click.option("--format", "fmt", type=click.Choice(["csv", "parquet"]), default="csv",
              show_default=True, help="File format (parquet is faster for big districts).")
def sample(out, n_students, seed, fmt):
    """Generate a realistic synthetic district (K-12, six six-week cycles)."""
    from .sample import make_district
    from .io import save_dataset
    start = time.perf_counter()
    ds = make_district(n_students, seed, progress=sys.stderr.isatty() or n_students > 5000)
    save_dataset(ds, out, format=fmt)
    click.echo(ds.summary()[["table", "rows"]].to_string(index=False))
    click.echo(f"wrote {out}/ in {time.perf_counter() - start:.1f} s")


@click.command()
@click.argument("path")
@click.option("--show", type=int, default=20, show_default=True,
              help="How many rejected rows to print.")
@click.option("--rejected-out", type=click.Path(dir_okay=False),
              help="Write every rejected row (table, file, row, column, value, reason) to this CSV.")
def validate(path, show, rejected_out):
    """Load PATH (a folder of tables, a workbook, a OneRoster zip or a database URL) and report
    what was read, what was rejected and why. Exit 1 when anything was rejected."""
    import warnings

    from .io import load_dataset
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            ds = load_dataset(path, errors="report")
    except (CoachkitDataError, FileNotFoundError) as err:
        click.echo(f"error: {err}", err=True)
        sys.exit(1)
    notes = list(dict.fromkeys(str(w.message) for w in caught
                               if not issubclass(w.category, (DeprecationWarning, FutureWarning))))
    summary = ds.summary()
    click.echo(summary[(summary["rows"] > 0) | (summary["rejected"] > 0)].to_string(index=False))
    problems = ds.problems()
    if len(ds.rejected):
        click.echo(f"\n{len(ds.rejected)} rows rejected:")
        click.echo(ds.rejected.head(show).to_string(index=False))
        if rejected_out:
            ds.rejected.to_csv(rejected_out, index=False)
            click.echo(f"all rejected rows written to {rejected_out}")
    if len(problems):
        click.echo(f"\n{len(problems)} problems across tables:")
        click.echo(problems.head(show).to_string(index=False))
    if notes:
        click.echo("\nread with notes:")
        for note in notes:
            click.echo(f"  - {note}")
    if len(ds.rejected) or len(problems):
        sys.exit(1)
    click.echo("\nok: every row loaded and every rule holds")


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
    from .io import load_dataset
    data = Path(data)
    if not any(data.glob("evidence.*")):
        from .sample import write_district
        click.echo(f"building the sample district in {data}/ …")
        write_district(data, progress=True)
    ds = load_dataset(data).validate()
    click.echo("The district:")
    click.echo(ds.summary()[["table", "rows"]].to_string(index=False))
    click.echo(_district_overview(ds).to_string(index=False))
    try:
        from .runner import run_cycle
    except ImportError:
        click.echo("\n(the protocol runner is not installed yet)")
        return
    result = run_cycle(data, cycle=cycle, out=out, workers=workers, progress=True)
    click.echo(f"\nreports: open {Path(out).resolve() / 'index.html'} in a browser "
               f"({result.ok} built, {result.failed} failed; they work offline)")
    click.echo(f"dashboards: run `make dashboard` (or `.venv/bin/coachkit dashboard --data {data}`) "
               "and open the URL it prints")
    if result.failed:
        sys.exit(1)


def _district_overview(ds):
    s = ds.students
    by = s.groupby("school_id").agg(students=("student_id", "size"),
                                    classrooms=("classroom_id", "nunique"),
                                    grades=("grade", lambda g: f"{_g(g.min())}-{_g(g.max())}"),
                                    ell_pct=("ell", lambda x: round(100 * x.mean())),
                                    iep_pct=("iep", lambda x: round(100 * x.mean())))
    return ds.schools.merge(by.reset_index(), on="school_id")


def _g(grade) -> str:
    return "K" if grade == 0 else str(grade)
