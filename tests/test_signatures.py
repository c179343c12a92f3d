"""Public analyses take their tables first and every option by keyword.

A positional option reads wrong in a call (``suppress(t, 5)``: five what?) and breaks
callers when a parameter is added before it. Tables, and the one choice a function is
about (the mastery method, the cycles compared, the school reviewed), may be positional;
every other parameter with a default is an option and comes after ``*``.
"""
from __future__ import annotations

import importlib
import inspect

import pytest

ANALYSES = ["coachkit.progress", "coachkit.grouping", "coachkit.surveys",
            "coachkit.conditions", "coachkit.privacy", "coachkit.talk", "coachkit.review"]

# defaulted parameters that are data a function is applied to, or the one thing it is about
POSITIONAL = {
    # tables
    "evidence", "m", "mastery", "now", "before", "targets", "students", "cycles", "scores",
    "table", "responses", "items", "conditions", "change", "ds", "room", "subjects",
    "frontier", "x",
    # the subject of the call
    "method", "methods", "from_cycle", "to_cycle", "year", "school", "classroom", "grade",
    "cycle", "family", "group", "labels", "page", "requested", "k", "min_size", "max_size",
    "cls",
}


def public_functions():
    for name in ANALYSES:
        mod = importlib.import_module(name)
        for attr in getattr(mod, "__all__", None) or [n for n in dir(mod) if n[0] != "_"]:
            f = getattr(mod, attr)
            if inspect.isfunction(f) and f.__module__.startswith("coachkit"):
                yield f"{name}.{attr}", f


def test_the_check_sees_the_analyses():
    names = dict(public_functions())
    assert {"coachkit.progress.mastery", "coachkit.privacy.suppress",
            "coachkit.surveys.construct_scores"} <= set(names)


@pytest.mark.parametrize("name,f", list(public_functions()), ids=lambda v: v if isinstance(v, str) else "")
def test_options_are_keyword_only(name, f):
    options = [p.name for p in inspect.signature(f).parameters.values()
               if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
               and p.default is not p.empty and p.name not in POSITIONAL]
    assert not options, f"{name}: make {options} keyword-only (after *)"


def test_the_rule_would_catch_a_positional_option():
    def suppress(table, min_n=10):
        return table
    def suppress_ok(table, *, min_n=10):
        return table
    for f, want in ((suppress, ["min_n"]), (suppress_ok, [])):
        options = [p.name for p in inspect.signature(f).parameters.values()
                   if p.kind is p.POSITIONAL_OR_KEYWORD and p.default is not p.empty
                   and p.name not in POSITIONAL]
        assert options == want
