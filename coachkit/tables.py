"""Tables for people: the one way every protocol, dashboard and widget shows a table.

    ck.tables.table(talk.who_is_stuck(view), targets=view.targets)   # last line of a cell
    html = ck.tables.to_html(df, formats={"share": "{:.0%}"})        # inside a widget

Every text that comes from data is HTML-escaped (a teacher's name, a home language or a
target statement may hold markup: pandas' Styler writes it live). Headings are words
(``HEADINGS``, a registry by column name), there is no index, dates read as dates,
missing values and yes/no read as words, target ids show their code and statement, and
nothing is cut short. One style (``CSS``) for all of them.
"""
from __future__ import annotations

import datetime as dt
import html
import numbers

import numpy as np
import pandas as pd

# Column names the analyses use -> the words a team reads. Unknown columns lose their
# underscores; add a column here rather than renaming it in a notebook.
HEADINGS: dict[str, str] = {
    "student": "student",
    "subject": "subject",
    "classroom": "classroom",
    "teacher": "teacher",
    "group": "group",
    "code": "target",
    "statement": "what the target asks",
    "target_id": "target",
    "focus_target_id": "focus target",
    "mastered_cycle": "targets mastered this cycle",
    "remaining": "targets still to go",
    "projected_date": "projected to finish the continuum",
    "on_track": "on track",
    "working": "students working on it",
    "not_yet": "not yet shown",
    "share_not_yet": "share not yet shown",
    "mean_attempts": "average attempts to proficient",
    "n_students": "students",
    "share_mastered": "share of the grade's targets mastered",
    "share_on_track": "share on track",
    "note": "note",
    "new_this_cycle": "targets newly mastered per student",
    "groups": "groups",
    "changed_group": "changed group last cycle",
    "stuck_low_3_cycles": "in the lowest group 3+ cycles in a row",
    "students": "students",
    "cycle": "cycle",
    "action": "what we committed to",
    "owner": "who",
    "due_cycle": "due by cycle",
    "due": "due by",
    "status": "status",
    "carried_over": "carried over",
    "follow_up": "follow-up",
    "frontier_before": "next target then",
    "frontier_now": "next target now",
    "targets_moved": "targets moved",
    "new_evidence": "new scores",
    "n_label": "students",
    "why": "why",
}

# Columns holding a target_id: shown as the target's code and statement when the table
# is given the targets.
TARGET_COLUMNS = {"target_id", "focus_target_id", "frontier_before", "frontier_now"}

# The class is doubled to outrank JupyterLab's own ":not(.jp-RenderedMarkdown)
# .jp-RenderedHTMLCommon td" (right-aligned cells) in reports, Voila and the notebook.
CSS = """<style>
table.ck-table.ck-table { border-collapse: collapse; margin: .4em 0 1.2em; font-size: 14px;
  font-family: inherit; table-layout: auto; }
table.ck-table.ck-table caption { caption-side: top; text-align: left; font-weight: 600;
  padding: .2em 0 .4em; }
table.ck-table.ck-table th { background: #eef3f8; color: #1f2d3a; text-align: left;
  vertical-align: bottom; padding: .35em .7em; border-bottom: 2px solid #9bb7d0;
  white-space: normal; }
table.ck-table.ck-table td { text-align: left; vertical-align: top; padding: .3em .7em;
  border-bottom: 1px solid #e3e8ee; white-space: normal; overflow-wrap: anywhere;
  max-width: 38em; }
table.ck-table.ck-table .ck-num { text-align: right; font-variant-numeric: tabular-nums; }
table.ck-table.ck-table tbody tr:nth-child(even) td { background: #f8fafc; }
table.ck-table.ck-table .ck-code { font-weight: 600; white-space: nowrap; }
table.ck-table.ck-table .ck-statement { color: #4a5a6a; }
p.ck-empty { color: #4a5a6a; font-style: italic; }
</style>"""

NA = "—"


def escape(value) -> str:
    """Any value as HTML-safe text (quotes too: safe inside attributes)."""
    return html.escape(str(value), quote=True)


def heading(column) -> str:
    """The words shown above a column."""
    return HEADINGS.get(str(column), str(column).replace("_", " "))


def date_text(value) -> str:
    """A date as people write it: Mar 4, 2026."""
    ts = pd.Timestamp(value)
    return f"{ts:%b} {ts.day}, {ts.year}"


def _missing(value) -> bool:
    if value is None or value is pd.NaT or value is pd.NA:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def cell_text(value, *, fmt=None, precision: int = 2, na: str = NA) -> str:
    """One cell as plain text (not yet escaped)."""
    if not isinstance(value, (list, tuple, set, dict)) and _missing(value):
        return na
    if fmt is not None:
        return fmt(value) if callable(fmt) else fmt.format(value)
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (pd.Timestamp, dt.datetime, dt.date)):
        return date_text(value)
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        v = float(value)
        return str(int(v)) if v.is_integer() else f"{v:.{precision}f}"
    if isinstance(value, (list, tuple, set)):
        return ", ".join(str(v) for v in value)
    return str(value)


def _target_lookup(targets) -> dict:
    if targets is None:
        return {}
    t = targets.drop_duplicates("target_id")
    return {str(tid): (str(code), "" if _missing(stmt) else str(stmt))
            for tid, code, stmt in zip(t["target_id"], t["code"], t["statement"])}


def _target_cell(value, lookup, na) -> str:
    if _missing(value):
        return escape(na)
    code, stmt = lookup.get(str(value), (str(value), ""))
    out = f'<span class="ck-code">{escape(code)}</span>'
    return out + (f' <span class="ck-statement">{escape(stmt)}</span>' if stmt else "")


def _numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


def to_html(df: pd.DataFrame, *, formats: dict | None = None, headings: dict | None = None,
            targets: pd.DataFrame | None = None, caption: str | None = None,
            na: str | dict = NA, precision: int = 2, header: bool = True,
            empty: str = "Nothing to show here.", style: bool = True) -> str:
    """DF as one escaped HTML table in the shared style (see the module docstring).

    ``formats``: column -> format string ("{:.0%}") or function of the value.
    ``headings``: column -> words, over ``HEADINGS``. ``targets``: the targets table, so
    target-id columns read "3.OA.A.1 Interpret products…". ``na``: the word for a missing
    value, or a dict by column. ``header=False`` for a two-column "what / value" table.
    """
    if isinstance(df, pd.Series):
        df = df.to_frame()
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"tables.to_html: expected a DataFrame, got {type(df).__name__}")
    css = CSS if style else ""
    if not len(df):
        return f'{css}<p class="ck-empty">{escape(empty)}</p>'
    formats, names = formats or {}, {**HEADINGS, **(headings or {})}
    lookup = _target_lookup(targets)
    columns = []
    for c in df.columns:
        col = df[c]
        miss = na.get(str(c), NA) if isinstance(na, dict) else na
        if lookup and str(c) in TARGET_COLUMNS:
            cells = [_target_cell(v, lookup, miss) for v in col]
            cls = ""
        else:
            fmt = formats.get(c)
            if fmt is None and str(c).startswith("share") and _numeric(col):
                fmt = "{:.0%}"
            cells = [escape(cell_text(v, fmt=fmt, precision=precision, na=miss)) for v in col]
            cls = ' class="ck-num"' if _numeric(col) else ""
        columns.append((cls, cells))
    head = ""
    if header:
        head = "<thead><tr>" + "".join(
            f"<th{cls}>{escape(names.get(str(c), str(c).replace('_', ' ')))}</th>"
            for c, (cls, _) in zip(df.columns, columns)) + "</tr></thead>"
    rows = []
    for i in range(len(df)):
        rows.append("<tr>" + "".join(f"<td{cls}>{cells[i]}</td>" for cls, cells in columns)
                    + "</tr>")
    cap = f"<caption>{escape(caption)}</caption>" if caption else ""
    return (f'{css}<table class="ck-table">{cap}{head}<tbody>{"".join(rows)}</tbody></table>')


class Table:
    """A table that notebooks, Voila and nbconvert show as HTML (its ``_repr_html_``)."""

    def __init__(self, df: pd.DataFrame, **options):
        self.html = to_html(df, **options)
        self._rows = len(df)

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return f"<table of {self._rows} rows>"


def table(df: pd.DataFrame, **options) -> Table:
    """DF as a :class:`Table` (the options of :func:`to_html`): end a cell with it."""
    return Table(df, **options)


def show(df: pd.DataFrame, **options) -> None:
    """Display DF as a table now (for loops and branches inside a cell)."""
    from IPython.display import HTML, display
    display(HTML(to_html(df, **options)))


def text_html(text: str, *, heading: str | None = None, strong: bool = False,
              level: int = 3) -> str:
    """Escaped prose built from data (a takeaway sentence, a heading), where a notebook
    would otherwise write Markdown: Markdown passes raw HTML through."""
    body = escape(text)
    body = f"<p><b>{body}</b></p>" if strong else f"<p>{body}</p>"
    return (f"<h{level}>{escape(heading)}</h{level}>" if heading else "") + body


def say(text: str, **options) -> None:
    """Display escaped prose (see :func:`text_html`)."""
    from IPython.display import HTML, display
    display(HTML(text_html(text, **options)))
