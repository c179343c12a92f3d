"""Per-kernel caches that hold data, and one way to empty them all.

A foundation module: any layer may keep a cache here without the layers above knowing
who holds one. The batch runner empties them all between notebooks (``clear()``), so one
district's tables never leak into the next report run in the same kernel. A registry
rather than a clear function per owner, because the runner's kernel reset must not have
to import (or know) every module that caches.

One thing outlives ``clear()``: what a worker *keeps* (``keep(True)``, set by the batch
runner's warm kernel only). ``kept(key, load)`` loads a value once per worker, e.g. the
district's tables (``load_dataset`` keys them by path and every file's mtime and size).
Kept values are read-only: the owner hands out copy-on-write copies (pandas 3), so
a notebook that edits its tables edits its copy, and ``check_kept()`` (run by the
reset) recomputes each kept value's fingerprint and drops one that ever changed. Nothing
a notebook defines is kept; the reset still wipes every variable.
"""
from __future__ import annotations

from collections import OrderedDict
from functools import lru_cache

_registered: list = []
_kept: OrderedDict = OrderedDict()     # key -> [value, fingerprint function, fingerprint]
_keeping = False
KEPT_LIMIT = 2                         # values of one kind kept at once (key[0] is the kind)


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


def clear(*, kept: bool = False) -> None:
    """Empty every registered cache; with ``kept=True`` the kept values too."""
    for c in _registered:
        c.cache_clear()
    if kept:
        _kept.clear()


def keep(on: bool = True) -> None:
    """Keep loaded values across notebooks in this process (the runner's kernels);
    ``keep(False)`` stops and drops them."""
    global _keeping
    _keeping = bool(on)
    if not on:
        _kept.clear()


def keeping() -> bool:
    return _keeping


def kept(key, load, *, fingerprint=None):
    """``load()``, once per KEY (a tuple: its kind, then what the value depends on) while
    keeping (else every time). FINGERPRINT(value), if
    given, is recorded now and checked by ``check_kept()``. The caller must hand out
    only read-only views or copy-on-write copies of the value."""
    if not _keeping:
        return load()
    if key in _kept:
        _kept.move_to_end(key)
        return _kept[key][0]
    value = load()
    same = [k for k in _kept if k[0] == key[0]]
    for old in same[:max(0, len(same) - KEPT_LIMIT + 1)]:      # least recently used first
        del _kept[old]
    _kept[key] = [value, fingerprint, fingerprint(value) if fingerprint else None]
    return value


def kept_keys() -> list:
    return list(_kept)


def check_kept() -> list:
    """Drop every kept value that changed since it was loaded (a notebook reached the kept
    tables themselves rather than its copy) and return their keys: the next notebook
    loads them afresh, never the changed ones."""
    changed = [key for key, (value, fp, was) in _kept.items()
               if fp is not None and fp(value) != was]
    for key in changed:
        del _kept[key]
    return changed


__all__ = ["cached", "clear", "registered", "keep", "keeping", "kept", "kept_keys",
           "check_kept"]
