"""The data talk's agenda: five parts that fit a 45-minute grade-level meeting, each
with its time and its prompt (issue 19 item 1).

    agenda.table(minutes)                 # the agenda at the top of the report
    agenda.heading("describe", minutes)   # "2. Describe what you see · 10 min" + prompt
``minutes`` overrides the default time of any part, e.g. ``{"interpret": 20}``.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from . import tables


@dataclass(frozen=True)
class Part:
    key: str
    title: str
    minutes: int
    prompt: str


# The protocol's order; each part's default minutes and its opening prompt.
PARTS: tuple[Part, ...] = (
    Part("get grounded", "Get grounded", 5,
         "Did we do what we said last time? Which students, which cycle and which evidence "
         "are we looking at?"),
    Part("describe", "Describe what you see", 10,
         "What do you notice? Start each sentence with \u201cI notice\u2026\u201d and say only "
         "what the data show. No \u201cbecause\u201d yet."),
    Part("interpret", "Interpret", 15,
         "Now ask why. Which students and which targets need us next, and what do we know "
         "that the data don't show?"),
    Part("decide", "Decide: flexible groups for the next cycle", 10,
         "Which groups do we form, around which targets, and are any of them turning into "
         "tracks?"),
    Part("commit", "Commit", 5,
         "Who does what before the next meeting, and what will we look at to know it worked?"),
)
_BY_KEY = {p.key: p for p in PARTS}


def durations(minutes: dict | None = None) -> dict[str, int]:
    """Minutes per part: the defaults, with MINUTES (part -> whole minutes) over them."""
    minutes = dict(minutes or {})
    unknown = [k for k in minutes if k not in _BY_KEY]
    if unknown:
        raise ValueError(f"minutes: expected parts {', '.join(_BY_KEY)}, got {', '.join(map(repr, unknown))}")
    out = {}
    for p in PARTS:
        m = minutes.get(p.key, p.minutes)
        if isinstance(m, bool) or not isinstance(m, (int, float)) or m != int(m) or m < 1:
            raise ValueError(f"minutes[{p.key!r}]: expected a whole number of minutes >= 1, got {m!r}")
        out[p.key] = int(m)
    return out


def agenda(minutes: dict | None = None) -> pd.DataFrame:
    """One row per part: number, part, minutes, from/to (minutes into the meeting), prompt."""
    d = durations(minutes)
    rows, start = [], 0
    for i, p in enumerate(PARTS, 1):
        rows.append({"": i, "part": p.title, "minutes": d[p.key],
                     "when": f"{start}\u2013{start + d[p.key]} min", "prompt": p.prompt})
        start += d[p.key]
    return pd.DataFrame(rows)


def table(minutes: dict | None = None) -> tables.Table:
    """The agenda as the report shows it, with the meeting's total in the caption."""
    a = agenda(minutes)
    return tables.table(a, caption=f"Agenda: {int(a['minutes'].sum())} minutes")


def heading_html(part: str, minutes: dict | None = None) -> str:
    if part not in _BY_KEY:
        raise ValueError(f"part: expected one of {', '.join(_BY_KEY)}, got {part!r}")
    d = durations(minutes)
    number = [p.key for p in PARTS].index(part) + 1
    p = _BY_KEY[part]
    return (f'<h2 class="ck-part">{number}. {tables.escape(p.title)} '
            f'<span class="ck-minutes">\u00b7 {d[part]} min</span></h2>'
            f'<blockquote class="ck-prompt"><b>Prompt:</b> {tables.escape(p.prompt)}</blockquote>')


def heading(part: str, minutes: dict | None = None) -> None:
    """Display a part's heading: its number, title and time, and its prompt."""
    from IPython.display import HTML, display
    display(HTML(heading_html(part, minutes)))
