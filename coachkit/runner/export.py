"""Executed notebook -> one self-contained HTML file, in-process (no nbconvert subprocess)."""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import nbformat

TEMPLATES = Path(__file__).parent / "templates"
HIDE_TAG = "report-hide"


@lru_cache(maxsize=1)
def _exporter():
    from nbconvert import HTMLExporter
    from nbconvert.preprocessors import TagRemovePreprocessor
    exporter = HTMLExporter(template_name="coachkit_offline",
                            extra_template_basedirs=[str(TEMPLATES)], exclude_input=True,
                            exclude_input_prompt=True, exclude_output_prompt=True)
    # cells tagged report-hide speak to the analyst in JupyterLab, not to the reader
    exporter.register_preprocessor(TagRemovePreprocessor(remove_cell_tags={HIDE_TAG}),
                                   enabled=True)
    return exporter


@lru_cache(maxsize=1)
def _plotlyjs() -> str:
    from plotly.offline import get_plotlyjs
    return get_plotlyjs()


def _uses_plotly(nb) -> bool:
    return any("Plotly.newPlot" in str(out.get("data", {}).get("text/html", ""))
               for cell in nb.cells for out in cell.get("outputs", []))


def to_html(nb, *, title: str | None = None) -> str:
    """Code hidden, plotly.js embedded once (only if there are figures), nothing fetched."""
    nb = nbformat.from_dict(nb) if isinstance(nb, dict) else nb
    # papermill's injected cell gets a random id; ids by position keep re-runs identical
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"
    # papermill's bookkeeping cells (injected parameters) are code: hidden with the rest
    resources = {"plotlyjs": _plotlyjs() if _uses_plotly(nb) else ""}
    if title:
        resources["metadata"] = {"name": title}
    body, _ = _exporter().from_notebook_node(nb, resources=resources)
    return _stable_styler_ids(body)


def _stable_styler_ids(html: str) -> str:
    """pandas Styler tables get a random 5-hex id (T_1a2b3); number them in order of
    appearance instead, so the same inputs give byte-identical reports."""
    seen: dict[str, str] = {}

    def number(m):
        return seen.setdefault(m.group(0), f"T_ck{len(seen)}")
    return re.sub(r"(?<![0-9A-Za-z])T_[0-9a-f]{5}(?![0-9a-f])", number, html)


def write_html(nb, path, *, title: str | None = None) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_html(nb, title=title), encoding="utf-8")
    return path
