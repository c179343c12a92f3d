"""Executed notebook -> one offline HTML file, in-process (no nbconvert subprocess).

A report written into a folder of reports (``write_html(..., assets=folder)``) loads
plotly.js from one shared file beside the index (``plotly.min.js``) by a relative
``<script src>``: 26 classrooms carry one 4.8 MB copy instead of 26. A report made on its
own (``to_html(nb)``) still embeds plotly.js whole. See docs/protocols.md, "Report size".
"""
from __future__ import annotations

import os
import posixpath
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


ASSET = "plotly.min.js"


@lru_cache(maxsize=1)
def _plotlyjs() -> str:
    from plotly.offline import get_plotlyjs
    return get_plotlyjs()


def write_assets(folder) -> Path:
    """Put the shared plotly.js into FOLDER (once; replaced if plotly changed). Written
    to a temporary name and renamed, so parallel workers never see half a file."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / ASSET
    data = _plotlyjs().encode("utf-8")
    if path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data:
        return path
    tmp = folder / f".{ASSET}.{os.getpid()}.tmp"
    tmp.write_bytes(data)
    os.replace(tmp, path)
    return path


def asset_src(report, assets) -> str | None:
    """The relative address of the shared plotly.js as seen from REPORT (None: embed)."""
    if not assets:
        return None
    rel = os.path.relpath(Path(assets) / ASSET, Path(report).parent)
    return posixpath.join(*Path(rel).parts)


def _uses_plotly(nb) -> bool:
    return any("Plotly.newPlot" in str(out.get("data", {}).get("text/html", ""))
               for cell in nb.cells for out in cell.get("outputs", []))


def to_html(nb, *, title: str | None = None, plotlyjs: str | None = None) -> str:
    """Code hidden, nothing fetched. plotly.js (only if there are figures) is embedded
    once, or, with ``plotlyjs="../plotly.min.js"``, loaded from that relative file."""
    nb = nbformat.from_dict(nb) if isinstance(nb, dict) else nb
    # papermill's injected cell gets a random id; ids by position keep re-runs identical
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"
    # papermill's bookkeeping cells (injected parameters) are code: hidden with the rest
    figures = _uses_plotly(nb)
    if plotlyjs and re.search(r"^[a-z][a-z0-9+.-]*:|^/|\\", plotlyjs, re.I):
        raise ValueError(f"plotlyjs must be a relative path such as ../{ASSET}; got {plotlyjs!r}")
    resources = {"plotlyjs": _plotlyjs() if figures and not plotlyjs else "",
                 "plotlyjs_src": plotlyjs if figures and plotlyjs else ""}
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


def write_html(nb, path, *, title: str | None = None, assets=None) -> Path:
    """Write the report to PATH; with ASSETS (the reports' folder, where the index is)
    the report uses the shared plotly.js there, which is written if missing."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if assets:
        write_assets(assets)
    path.write_text(to_html(nb, title=title, plotlyjs=asset_src(path, assets)), encoding="utf-8")
    return path
