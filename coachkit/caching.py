"""Per-kernel caches that hold data, and one way to empty them all.

A foundation module: any layer may keep a cache here without the layers above knowing
who holds one. The batch runner empties them all between notebooks (``clear()``), so one
district's tables never leak into the next report run in the same kernel. A registry
rather than a clear function per owner, because the runner's kernel reset must not have
to import (or know) every module that caches.
"""
from __future__ import annotations

from functools import lru_cache

_registered: list = []


def cached(maxsize: int = 128):
    """``functools.lru_cache(maxsize)`` that ``clear()`` empties. Keys must be plain
    values (paths, ids, ints), never DataFrames."""
    def deco(fn):
        c = lru_cache(maxsize=maxsize)(fn)
        _registered.append(c)
        return c
    return deco


def registered() -> list:
    """The registered caches (read-only view, for tests and diagnostics)."""
    return list(_registered)


def clear() -> None:
    """Empty every registered cache."""
    for c in _registered:
        c.cache_clear()


__all__ = ["cached", "clear", "registered"]
