"""Small pieces the dashboard apps share: putting a figure into an Output widget, the
machine-readable marker, and number formatting for takeaways."""
from __future__ import annotations

import html
import json

import plotly.io as pio

from ..charts.display import CONFIG, figure_html


def figure_output(fig, *, html: bool = False) -> dict:
    """A figure as one output of an Output widget: plotly's mime type, as
    ``ck.charts.show`` displays it (Voila and JupyterLab draw it with the plotly
    extension). ``html=True`` adds show's plain-div copy too; widgets leave it out: a
    live page never uses it, and it doubles what each update sends."""
    spec = json.loads(pio.to_json(fig, validate=False, remove_uids=True))
    spec["config"] = CONFIG
    data = {"application/vnd.plotly.v1+json": spec,
            "text/plain": f"<{spec.get('layout', {}).get('title', {}).get('text', 'figure')}>"}
    if html:
        data["text/html"] = figure_html(fig)
    return {"output_type": "display_data", "metadata": {}, "data": data}


def set_figure(out, fig) -> None:
    """Replace what an Output widget shows with FIG in one state update (no flicker
    between clearing and drawing)."""
    out.outputs = (figure_output(fig),) if fig is not None else ()


def set_html(out, text: str) -> None:
    out.outputs = ({"output_type": "display_data", "metadata": {},
                    "data": {"text/html": text, "text/plain": text}},)


def marker(text: str, **data) -> str:
    """A span tests and benchmarks read: data-* attributes and plain words."""
    attrs = " ".join(f'data-{k.replace("_", "-")}="{html.escape(str(v), quote=True)}"'
                     for k, v in data.items())
    return f'<span class="ck-marker" {attrs}>{html.escape(text)}</span>'


def pct(x) -> str:
    return "—" if x != x else f"{x:.0%}"


def grade_name(g) -> str:
    return "kindergarten" if int(g) == 0 else f"grade {int(g)}"


def table_html(df, *, formats=None, na="—", **options) -> str:
    """The shared, escaped table of ``coachkit.tables`` (one style everywhere)."""
    from ..tables import to_html
    return to_html(df, formats=formats, na=na, **options)
