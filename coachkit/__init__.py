"""coachkit: a workbench for instructional coaches in personalized, competency-based schools.

    import coachkit as ck
    ds = ck.load_dataset("sample_data/district")
    m = ck.progress.mastery(ds.evidence, method="decaying_average")
"""
from __future__ import annotations

import importlib

from .dataset import Dataset
from .errors import CoachkitDataError
from .io import load_dataset, load_table, save_dataset
from .schema import LEVELS, MASTERY_LINE, STAGES, TABLES

__version__ = "0.1.0"
__all__ = ["Dataset", "CoachkitDataError", "load_dataset", "load_table", "save_dataset",
           "LEVELS", "MASTERY_LINE", "STAGES", "TABLES"]

# Analyses load on first use, so `import coachkit` stays quick in every kernel.
_SUBMODULES = {"progress", "grouping", "surveys", "conditions", "privacy", "charts",
               "widgets", "runner", "store", "sample", "io", "talk", "review", "binder", "i18n",
               "tables", "agenda", "caching", "plans"}


def __getattr__(name):
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'coachkit' has no attribute {name!r}")


def load_plugins(spec: str | None = None) -> list[str]:
    """Import the modules named in COACHKIT_PLUGINS (comma-separated), so a district's own
    mastery methods and grouping rules are registered in every kernel: protocols run by
    the batch runner and dashboards included."""
    import os
    names = [n.strip() for n in (spec or os.environ.get("COACHKIT_PLUGINS", "")).split(",")
             if n.strip()]
    for name in names:
        importlib.import_module(name)
    return names


load_plugins()
