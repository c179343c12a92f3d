"""`coachkit profiles`: every student's learner profile for a school or a classroom."""
from __future__ import annotations

import click


@click.command()
@click.option("--data", type=click.Path(exists=True), required=True,
              help="The district's data (folder of tables, workbook, OneRoster zip).")
@click.option("--cycle", type=int, required=True, help="The six-week cycle the pages show.")
@click.option("--school", default=None, help="Only this school's students (school_id).")
@click.option("--classroom", default=None, help="Only this classroom's students.")
@click.option("--language", type=click.Choice(["en", "es"]), default="en", show_default=True)
@click.option("--out", type=click.Path(file_okay=False), default="profiles", show_default=True)
@click.option("--db", default=None, help="The meeting log (goals, plans, reflections); "
              "default $COACHKIT_DB when set.")
def profiles(data, cycle, school, classroom, language, out, db):
    """Write one learner profile page per student, and OUT/index.html."""
    import os

    from ..runner.profiles import write_profiles
    result = write_profiles(data, cycle=cycle, out=out, school=school, classroom=classroom,
                            language=language, db=db or os.environ.get("COACHKIT_DB"))
    click.echo(f"{result.pages} learner profiles in {result.seconds:.1f} s: {result.index}")
