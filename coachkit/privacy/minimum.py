"""The district's minimum group size: one place to read it from.

A page never lets its viewer lower it (``?min_n=1`` in a dashboard's address, a notebook
parameter): :func:`minimum_n` returns the policy, or a stricter value when one is asked.
"""
from __future__ import annotations

import importlib
import importlib.util
import numbers

DEFAULT_MIN_N = 10      # NCES 2011-603: the most common state rule


def _policy_min_n() -> int:
    """The district policy's min_n (``coachkit.policy`` when it exists), else 10."""
    if importlib.util.find_spec("coachkit.policy") is None:
        return DEFAULT_MIN_N
    policy = importlib.import_module("coachkit.policy")
    for name in ("minimum_n", "min_n", "DEFAULT"):
        value = getattr(policy, name, None)
        if callable(value):
            try:
                value = value()
            except TypeError:       # needs a data folder: the caller passes policy=
                continue
        if value is not None and hasattr(value, "min_n"):
            value = value.min_n
        if isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= 1:
            return int(value)
    return DEFAULT_MIN_N


def minimum_n(requested=None, *, policy=None) -> int:
    """The minimum group size every published table uses.

    ``requested`` (a notebook or page parameter) can only make it stricter: a value below
    the district's policy (``1``, ``0``, ``-1``) gives the policy, so nobody can switch
    suppression off from an address bar. ``None`` gives the policy.

    ``policy``: the district's policy for this data (anything with ``min_n``, e.g.
    ``coachkit.policy.load(data_folder)``); by default ``coachkit.policy``'s default when
    that module exists, else 10.
    """
    if policy is not None:
        floor = getattr(policy, "min_n", policy)
        if isinstance(floor, bool) or not isinstance(floor, numbers.Integral) or floor < 1:
            raise ValueError(f"policy min_n: expected a whole number >= 1, got {floor!r}")
        policy = int(floor)
    else:
        policy = _policy_min_n()
    if requested is None:
        return policy
    if isinstance(requested, bool) or not isinstance(requested, numbers.Real) \
            or float(requested) != int(requested):
        raise ValueError(f"min_n: expected a whole number of students, got {requested!r}")
    return max(policy, int(requested))
