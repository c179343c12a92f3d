"""Show a figure so it draws everywhere coachkit runs: JupyterLab and Voila (plotly's
own mime type) and offline HTML reports (a plain div; the report embeds plotly.js once).

plotly 6+ defaults to the mime-type renderer, which nbconvert cannot draw (a blank
figure); the `notebook` renderer pulls in require.js assumptions. Emitting both
representations ourselves sidesteps both. Div ids come from the figure's content, so
re-running a report gives byte-identical HTML.
"""
from __future__ import annotations

import hashlib
import json

import plotly.io as pio

_seen: dict[str, int] = {}
CONFIG = {"displaylogo": False, "responsive": True}


def reset_ids() -> None:
    """Forget ids handed out so far (the runner calls this between notebooks)."""
    _seen.clear()


def _div_id(spec: str) -> str:
    digest = hashlib.sha1(spec.encode()).hexdigest()[:12]
    n = _seen.get(digest, 0)
    _seen[digest] = n + 1
    return f"ck-{digest}" + (f"-{n}" if n else "")


def _fig_dict(fig) -> dict:
    """The figure as plotly's dict, made once (``Figure.to_dict`` deep-copies every
    trace; a figure used to be copied three times to be shown)."""
    return fig if isinstance(fig, dict) else fig.to_dict()


def _without_uids(d: dict) -> dict:
    """What ``pio.to_json(remove_uids=True)`` serializes, without touching D."""
    if not any("uid" in t for t in d.get("data", [])):
        return d
    return dict(d, data=[{k: v for k, v in t.items() if k != "uid"} for t in d["data"]])


def _html(d: dict, spec: str) -> str:
    return pio.to_html(d, full_html=False, include_plotlyjs=False, include_mathjax=False,
                       div_id=_div_id(spec), config=CONFIG, validate=False)


def figure_html(fig) -> str:
    """The figure as a div + script that expects plotly.js already on the page."""
    d = _fig_dict(fig)
    return _html(d, pio.to_json(_without_uids(d), validate=False, pretty=False))


def show(fig) -> None:
    """Display a figure in a notebook, a Voila page or a report."""
    from IPython.display import display
    d = _fig_dict(fig)
    text = pio.to_json(_without_uids(d), validate=False, pretty=False)
    spec = json.loads(text)
    spec["config"] = CONFIG
    display({"application/vnd.plotly.v1+json": spec, "text/html": _html(d, text)}, raw=True)
