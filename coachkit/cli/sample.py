"""`coachkit sample`: a synthetic district written to a folder."""
from __future__ import annotations

import sys
import time

import click


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
    from ..io import save_dataset
    from ..sample import make_district
    start = time.perf_counter()
    ds = make_district(n_students, seed, progress=sys.stderr.isatty() or n_students > 5000)
    save_dataset(ds, out, format=fmt)
    click.echo(ds.summary()[["table", "rows"]].to_string(index=False))
    click.echo(f"wrote {out}/ in {time.perf_counter() - start:.1f} s")
