"""`coachkit showcase`: a de-identified inquiry-lab showcase of one school's year."""
from __future__ import annotations

from pathlib import Path

import click

from ..showcase import CSV_PREFIX, KEY_ENV


@click.command()
@click.option("--data", type=click.Path(exists=True), required=True,
              help="The district's data (folder of tables, workbook, OneRoster zip).")
@click.option("--school", required=True, help="The school to show (school_id).")
@click.option("--out", type=click.Path(file_okay=False), default="showcase", show_default=True,
              help="Folder for showcase.html and its CSV tables.")
@click.option("--key-file", type=click.Path(exists=True, dir_okay=False),
              help=f"File holding the pseudonym key (else ${KEY_ENV}; else a one-time "
                   "random key that is never saved).")
@click.option("--min-n", type=click.IntRange(min=1), default=10, show_default=True,
              help="Smallest group any number may describe (your state's rule).")
@click.option("--cycle", type=int, default=None,
              help="End the story at this cycle (default: the last cycle with evidence).")
@click.option("--method", default=None,
              help="Mastery method for this build only (default: the district's policy, "
                   "coachkit.toml in the data folder; see coachkit.progress.METHODS).")
def showcase(data, school, out, key_file, min_n, cycle, method):
    """Build a de-identified inquiry-lab showcase of SCHOOL's year: one offline HTML page
    with speaker notes, and CSVs of its (suppressed) tables.

    The output is scanned for real names, ids, birth dates and groups under --min-n
    before it is kept; on any finding nothing is written and the command exits 1."""
    from ..io import load_dataset
    from ..privacy import DisclosureError
    from ..progress.methods import get_method
    from ..showcase import ShowcaseRefused, build_showcase, read_key
    from . import fail
    key, where = read_key(key_file)
    if method is not None:
        get_method(method)                   # an unknown method is a usage error, before loading
    ds = load_dataset(data)
    if cycle is not None:
        ds.check_cycle(cycle)
    if where == "random":
        click.echo("no key given: using a one-time random key (not saved), so these "
                   "pseudonyms can never be re-linked", err=True)
    try:
        path = build_showcase(ds, school, out, key=key, cycle=cycle, min_n=min_n, method=method)
    except ShowcaseRefused as err:
        click.echo(f"refused: {err}", err=True)
        click.echo(err.findings[["path", "kind", "value", "count"]].to_string(index=False), err=True)
        raise SystemExit(1)
    except DisclosureError as err:
        fail(f"refused: {err}", 1)
    csvs = sorted(p.name for p in Path(out).glob(f"{CSV_PREFIX}*.csv"))
    click.echo(f"showcase: {path}  ({path.stat().st_size / 1e6:.1f} MB, "
               f"{len(csvs)} CSV tables beside it); scanned: nothing found")
