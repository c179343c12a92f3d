"""The one-page decision sheet of a data talk, for one classroom, to print (issue 19 item 2).

    html = ck.sheet.page(view, log, ds=ds)           # the whole page (US Letter)
    ck.sheet.write(view, "reports/S101/S101-3A.decision-sheet.html", log, ds=ds)

On one printed page: the proposed groups with their focus targets (code and statement)
and members, the students who need us with a blank line for the team's planned action,
last time's open commitments with owner and due date, blank commitment rows (due by the
next cycle, or "the next school year" after the year's last cycle) and lines for notes.
Rendered from ``templates/decision_sheet.html.j2`` with autoescape: text from data
cannot become markup. ``coachkit cycle`` writes one beside every data-talk report.
"""
from __future__ import annotations

from pathlib import Path

import jinja2
import pandas as pd

from . import summary as summaries
from . import talk
from .schema import grade_label
from .tables import date_text

TEMPLATES = Path(__file__).parent / "templates"
BLANK_COMMITMENTS = 3
NOTE_LINES = 3


def environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)), autoescape=True,
                              trim_blocks=True, lstrip_blocks=True)


def file_name(report) -> str:
    """The decision sheet's file name beside a report: ``S101-3A.decision-sheet.html``."""
    return f"{Path(report).stem}.decision-sheet.html"


def context(view: talk.ClassroomView, log=None, *, ds=None) -> dict:
    """What the sheet shows, as plain values (the template's input)."""
    s = summaries.summary(view, log, ds=ds)
    names = view.names()
    groups = []
    for subject in view.subjects:
        g = view.groups.get(subject)
        rows = s.groups[s.groups["subject"] == subject]
        if g is None or not len(rows):
            continue
        g = g[g["group"].notna()]
        cards = []
        for r in rows.itertuples(index=False):
            ids = g.loc[g["group"] == r.group, "student_id"].astype(str)
            cards.append({"number": r.group, "code": r.code, "statement": r.statement,
                          "extension": r.extension,
                          "members": sorted(names.reindex(ids).fillna("").tolist())})
        groups.append({"subject": subject, "groups": cards})
    needs = (s.needs_us.groupby("student_id", sort=False)
             .agg(student=("student", "first"), subjects=("subject", ", ".join))
             .sort_values("student").to_dict("records"))
    room, cyc = view.classroom, view.cycle
    return {
        "title": f"Decision sheet: {room['classroom_id']} ({room['teacher']})",
        "grade": grade_label(int(room["grade"])), "cycle": int(cyc.name),
        "cycle_dates": f"{date_text(cyc['start'])} to {date_text(cyc['end'])}",
        "period": s.period, "groups": groups, "needs": needs,
        "commitments": s.commitments.to_dict("records"),
        "has_log": s.has_log,
        "blank_commitments": BLANK_COMMITMENTS, "note_lines": NOTE_LINES,
        "due": summaries.due_text(ds.cycles, int(cyc.name) + 1) if ds is not None else s.period,
    }


def page(view: talk.ClassroomView, log=None, *, ds=None) -> str:
    """The decision sheet as one HTML page that prints on one US Letter sheet."""
    return environment().get_template("decision_sheet.html.j2").render(**context(view, log, ds=ds))


def write(view: talk.ClassroomView, path, log=None, *, ds=None) -> Path:
    """Write the decision sheet to PATH (its folder is made if needed)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(page(view, log, ds=ds), encoding="utf-8")
    return path
