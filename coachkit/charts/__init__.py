"""Plotly figures shared by every report and dashboard, so they all look the same.

Figures live in modules by subject (``progress``, ``groups``, ``surveys``); every
public function is also reachable here, e.g. ``ck.charts.data_wall(...)``.
"""
from __future__ import annotations

import importlib

from .display import figure_html, reset_ids, show
from .theme import LEVEL_COLORS, STAGE_COLORS, new_figure, style

_MODULES = ("progress", "groups", "surveys")


def __getattr__(name):
    for module in _MODULES:
        try:
            mod = importlib.import_module(f".{module}", __name__)
        except ModuleNotFoundError:
            continue
        if hasattr(mod, name):
            return getattr(mod, name)
    raise AttributeError(f"coachkit.charts has no figure {name!r}")
