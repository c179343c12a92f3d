"""The `coachkit` command: one small click command per job, over the library's functions.

Exit status: 0 ok, 1 findings or failures, 2 usage error.
Subcommands load their module only when run, so `coachkit --help` is instant.
"""
from __future__ import annotations

import importlib
import importlib.util

import click

# name -> "module:attribute" of a click command
COMMANDS = {
    "sample": "coachkit.commands:sample",
    "validate": "coachkit.commands:validate",
    "demo": "coachkit.commands:demo",
    "cycle": "coachkit.runner.cli:cycle",
    "dashboard": "coachkit.dashboard:dashboard",
    "showcase": "coachkit.showcase:showcase",
    "log": "coachkit.store.cli:log",
}
HELP = {
    "sample": "Generate a synthetic district.",
    "validate": "Load a dataset and report what was read and rejected.",
    "demo": "Build the sample district and run the six-week protocol for it.",
    "cycle": "Run a protocol for every classroom into offline HTML reports.",
    "dashboard": "Serve the Voila dashboards on this machine.",
    "showcase": "Build a de-identified inquiry-lab showcase.",
    "log": "The meeting log: add, list and export records.",
}


class LazyGroup(click.Group):
    def list_commands(self, ctx):
        return [n for n in COMMANDS if self._available(n)]

    def _available(self, name):
        module = COMMANDS[name].split(":")[0]
        try:
            return importlib.util.find_spec(module) is not None
        except ModuleNotFoundError:   # its parent package isn't there yet
            return False

    def get_command(self, ctx, name):
        if name not in COMMANDS or not self._available(name):
            return None
        module, attr = COMMANDS[name].split(":")
        return getattr(importlib.import_module(module), attr)

    def format_commands(self, ctx, formatter):
        rows = [(n, HELP[n]) for n in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="coachkit")
def main():
    """coachkit: data talks, flexible groups and progress on the continuum for
    personalized, competency-based schools."""
