"""What a dashboard notebook does around the app: read its parameters (the URL's query
string under Voila overrides the parameters cell), warm the caches before a preheated
kernel waits for its request, and choose widgets (Voila, JupyterLab) or static figures
(papermill).
"""
from __future__ import annotations

import os
from urllib.parse import parse_qs

from . import data as D

READY_DIR = "COACHKIT_READY_DIR"      # `coachkit dashboard` watches it to say "warm"


def under_voila() -> bool:
    """True in a kernel Voila started (preheated or not)."""
    return bool(os.environ.get("VOILA_KERNEL_ID") or os.environ.get("VOILA_PREHEAT")
                or os.environ.get("VOILA_REQUEST_URL") or os.environ.get("VOILA_APP_PORT"))


def wait_for_request() -> None:
    """In a preheated Voila kernel, block until a browser asks for the page (then the
    request's QUERY_STRING is in os.environ). Anywhere else: return at once."""
    if os.environ.get("VOILA_PREHEAT", "False") != "True":
        return
    ready = os.environ.get(READY_DIR)
    if ready:                                   # tell `coachkit dashboard` this kernel is warm
        try:
            with open(os.path.join(ready, f"{os.getpid()}.warm"), "w") as f:
                f.write(os.environ.get("VOILA_KERNEL_ID", ""))
        except OSError:
            pass
    from voila.utils import wait_for_request as wait
    wait()
    _restore_priority()


_NICE = 10
_niced = False


def _lower_priority() -> None:
    """Warm at a lower CPU priority: a pool refill must not slow the kernel someone is
    using. Only when the priority can be given back after the request (as root)."""
    global _niced
    if hasattr(os, "geteuid") and os.geteuid() == 0 and not _niced:
        try:
            os.nice(_NICE)
            _niced = True
        except OSError:
            pass


def _restore_priority() -> None:
    global _niced
    if _niced:
        try:
            os.setpriority(os.PRIO_PROCESS, 0, os.getpriority(os.PRIO_PROCESS, 0) - _NICE)
        except OSError:
            pass
        _niced = False


def _coerce(value: str, default):
    if isinstance(default, bool):
        return value.lower() in ("1", "true", "yes", "on")
    if isinstance(default, int):
        return int(value)
    if isinstance(default, float):
        return float(value)
    if value.lower() in ("", "none", "null"):
        return None
    return value


def parameters(defaults: dict, query: str | None = None) -> dict:
    """The notebook's parameters, overridden by the URL query string (``?classroom=
    S101-3A&cycle=4``) when running under Voila. Keys not among the parameters are
    ignored; ``cycle`` and other numbers keep their type. ``data`` and ``db`` never come
    from the URL (a visitor must not point the server at other files)."""
    out = dict(defaults)
    if query is None:
        if not under_voila():
            return out
        wait_for_request()
        query = os.environ.get("QUERY_STRING", "")
    for key, values in parse_qs(query or "", keep_blank_values=False).items():
        if key not in out or key in ("data", "db", "interactive") or not values:
            continue
        default = out[key]
        if key == "cycle" or key.endswith("_size") or key == "n_groups":
            default = 0
        try:
            out[key] = _coerce(values[-1], default)
        except ValueError:
            pass
    return out


def warm(data=None, *, dashboard: str, cycle: int = 6, method: str | None = None):
    """In a preheated Voila kernel: load the data and compute what the dashboard's first
    page needs for the default parameters, before anyone asks for the page. Elsewhere
    (papermill, JupyterLab, a kernel started on request) the app computes what it needs
    when it is built, so this returns at once."""
    if os.environ.get("VOILA_PREHEAT", "False") != "True":
        return None
    _lower_priority()
    path = D.resolve(data)
    ds = D.load(path)
    D.room_index(path)
    method = method or D.policy_method(path)
    try:
        if dashboard == "principal":
            from .principal import sections, school_options
            school = school_options(path)[0][1]
            for _ in sections(path, school, cycle, method):
                pass
        else:
            from .meeting import groups_part, wall
            from .. import talk
            cid = talk.pick_classroom(ds)
            for subj in ("math", "ela"):
                wall(path, cid, cycle, method, subj)          # warms plotly's validators too
                groups_part(path, cid, cycle, method, subj, None, 3, 6)
    except ValueError:
        pass                # bad defaults surface when the app is built
    return ds


def error_box(e: Exception):
    """A readable message instead of a traceback (e.g. an unknown classroom in the URL)."""
    import html

    import ipywidgets as W
    return W.HTML(f"<p style='color:#d7301f'><b>{html.escape(type(e).__name__)}:</b> "
                  f"{html.escape(str(e))}</p>")
