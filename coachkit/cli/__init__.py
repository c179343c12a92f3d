"""The `coachkit` command: a module per command, each a few lines over a library call.

The library raises its own errors (CoachkitDataError, ValueError); this group turns them
into one-line messages and exit codes, never a traceback (``--debug`` shows one):

    0  ok
    1  findings (rejected rows, failed reports, refused output) or bad data
    2  usage: a wrong option or argument value

Commands load only when run, so `coachkit --help` is instant.
"""
from __future__ import annotations

import importlib

import click

from ..errors import CoachkitDataError

# name -> (module under coachkit.cli, one-line help); each module defines a click command
# of the same name
COMMANDS = {
    "sample": ("sample", "Generate a synthetic district."),
    "validate": ("validate", "Load a dataset and report what was read and rejected."),
    "demo": ("demo", "Build the sample district and run the six-week protocol for it."),
    "cycle": ("cycle", "Run a protocol for every classroom into offline HTML reports."),
    "dashboard": ("dashboard", "Serve the Voila dashboards on this machine."),
    "showcase": ("showcase", "Build a de-identified inquiry-lab showcase."),
    "profiles": ("profiles", "Write every student's learner profile for a school or classroom."),
    "serve": ("serve", "Serve the pages behind JupyterHub, each person seeing their own scope."),
    "log": ("log", "The meeting log: add, list and export records."),
    "audit": ("audit", "Who opened which student's page, and who changed which record."),
}


def fail(message: str, code: int = 1):
    """Print ``error: MESSAGE`` on stderr and exit with CODE."""
    click.echo(f"error: {message}", err=True)
    raise SystemExit(code)


class CommandGroup(click.Group):
    """Loads a command's module on first use and turns library errors into exit codes."""

    def list_commands(self, ctx):
        return list(COMMANDS)

    def get_command(self, ctx, name):
        if name not in COMMANDS:
            return None
        module = importlib.import_module(f"{__name__}.{COMMANDS[name][0]}")
        return getattr(module, name)

    def format_commands(self, ctx, formatter):
        with formatter.section("Commands"):
            formatter.write_dl([(n, h) for n, (_, h) in COMMANDS.items()])

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort,
                SystemExit, KeyboardInterrupt):
            raise
        except Exception as err:
            if ctx.params.get("debug"):
                raise
            if isinstance(err, (CoachkitDataError, OSError)):
                fail(str(err), 1)
            if isinstance(err, ValueError):    # a value the user gave does not fit the data
                raise click.UsageError(str(err)) from None
            fail(f"{type(err).__name__}: {err} (run `coachkit --debug ...` for the details)", 1)


@click.group(cls=CommandGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="Show the full traceback when a command fails.")
@click.version_option(package_name="coachkit")
def main(debug):
    """coachkit: data talks, flexible groups and progress on the continuum for
    personalized, competency-based schools."""
