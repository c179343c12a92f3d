"""`coachkit audit`: who opened which student's page (or was refused), who changed which record."""
from __future__ import annotations

import json
from pathlib import Path

import click


@click.command()
@click.option("--folder", type=click.Path(exists=True, file_okay=False), default=None,
              help="The Hub's folder (`coachkit serve --folder`): its data, roles, audit file "
                   "and meeting log are found there.")
@click.option("--data", type=click.Path(exists=True), default=None,
              help="The district's data (default: the one the Hub serves).")
@click.option("--roles", type=click.Path(dir_okay=False), default=None,
              help="The roles file, for people's names (default: the Hub's).")
@click.option("--audit-file", type=click.Path(dir_okay=False), default=None,
              help="The audit file (default: FOLDER/audit.jsonl).")
@click.option("--log-url", default=None, metavar="URL",
              help="The meeting log (default: the Hub's, else $COACHKIT_DB).")
@click.option("--person", default=None, help="Only what this person did (sign-in name or name).")
@click.option("--student", default=None, help="Only this student's pages and records (id or name).")
@click.option("--since", default=None, metavar="YYYY-MM-DD", help="Only from this day on.")
@click.option("--format", "fmt", type=click.Choice(["table", "csv"]), default="table",
              show_default=True)
def audit(folder, data, roles, audit_file, log_url, person, student, since, fmt):
    """Who opened which page or was refused, and who changed which record."""
    from .. import access
    from ..audit import as_csv, as_text, trail
    from ..io import load_dataset
    from ..store import MeetingLog
    settings = {}
    if folder:
        path = Path(folder) / "coachkit-serve.json"
        if not path.exists():
            raise click.UsageError(f"--folder: expected a folder written by `coachkit serve` "
                                   f"(with coachkit-serve.json), got {folder}")
        settings = json.loads(path.read_text(encoding="utf-8"))
    data = data or settings.get("data")
    if not data:
        raise click.UsageError("--data: expected the district's data (or --folder), got none")
    ds = load_dataset(data)
    roles = roles or settings.get("roles")
    known = access.scopes(ds, roles=access.load_roles(roles)) if roles else access.scopes(ds)
    audit_file = audit_file or settings.get("audit")
    with MeetingLog(log_url or settings.get("log_url")) as log:
        rows = trail(ds, audit_path=audit_file, log=log, known=known, person=person,
                     student=student, since=since)
    click.echo(as_csv(rows) if fmt == "csv" else as_text(rows), nl=fmt != "csv")
