"""The learner-progress engine: mastery by the methods gradebooks use, and progress on
the continuum (stage, frontier, pace, projection, growth).

    import coachkit as ck
    m = ck.progress.mastery(ds.evidence, method="decaying_average", mastery_line=3.0)
    f = ck.progress.frontier(m, ds.targets)

Every function takes tables and returns a tidy table; nothing reads files or prints.
All work is vectorized over pairs (see ``prepare``); docs/progress.md has the formulas.
"""
from .continuum import (attempts_to_proficiency, frontier, growth, newly_mastered, pace,
                        projection, stage, summarize_by)
from .mastery import compare_methods, mastery, ship_method
from .methods import METHODS, available_methods, register_method
from .prepare import COUNTED
from .tracing import fit_knowledge_tracing

__all__ = ["COUNTED", "mastery", "compare_methods", "ship_method", "register_method", "available_methods", "METHODS",
           "fit_knowledge_tracing", "stage", "newly_mastered", "frontier", "pace", "projection", "growth",
           "attempts_to_proficiency", "summarize_by"]
