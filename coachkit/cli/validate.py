"""`coachkit validate`: what was read, what was rejected and why."""
from __future__ import annotations

import warnings

import click


@click.command()
@click.argument("path")
@click.option("--show", type=int, default=20, show_default=True,
              help="How many rejected rows to print.")
@click.option("--rejected-out", type=click.Path(dir_okay=False),
              help="Write every rejected row (table, file, row, column, value, reason) to this CSV.")
def validate(path, show, rejected_out):
    """Load PATH (a folder of tables, a workbook, a OneRoster zip or a database URL) and report
    what was read, what was rejected and why. Exit 1 when anything was rejected."""
    from ..io import load_dataset
    from . import fail
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            ds = load_dataset(path, errors="report")
        except (ValueError, OSError) as err:   # unreadable data is a finding, not a usage error
            fail(str(err), 1)
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
        raise SystemExit(1)
    click.echo("\nok: every row loaded and every rule holds")
