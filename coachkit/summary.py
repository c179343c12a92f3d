"""The data talk's one-screen summary: what the team needs before anything else (issue 19
item 1).

    s = ck.summary.summary(view, log)        # a MeetingSummary: four plain tables
    ck.summary.show(view, log)              # the block at the top of the data talk

Four parts, each small enough that the whole block fits one screen (1366×768):
what changed since last cycle (targets newly mastered, counted by
``progress.newly_mastered``), who needs us (named students, ``talk.who_is_stuck``),
the proposed groups (how many, around which focus targets) and last time's commitments
(from the meeting log, or a friendly line when there is none).
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from . import progress, talk
from .tables import escape

# The summary lists at most this many focus targets and commitments; the rest are counted.
MAX_TARGETS = 6
MAX_COMMITMENTS = 4


@dataclass
class MeetingSummary:
    changed: pd.DataFrame       # subject, students, newly_mastered, students_with_new, first_cycle
    needs_us: pd.DataFrame      # subject, student_id, student (one row per student and subject)
    groups: pd.DataFrame        # subject, groups, focus targets (code, statement, members)
    commitments: pd.DataFrame   # action, owner, due, status (last time's; may be empty)
    has_log: bool
    period: str                 # what the groups are for: "cycle 5", "the next school year ..."
    cycle: int


def what_changed(view: talk.ClassroomView) -> pd.DataFrame:
    """Per subject: targets newly mastered this cycle (``progress.newly_mastered``: mastered
    at the cycle's end and not at the end of the cycle before) and how many students
    mastered at least one."""
    before = view.before
    new = progress.newly_mastered(view.mastery, before)
    new = new.merge(view.targets[["target_id", "subject"]], on="target_id")
    rows = []
    for subject in view.subjects:
        n = new[new["subject"] == subject]
        rows.append({"subject": subject, "students": len(view.students),
                     "newly_mastered": int(len(n)),
                     "students_with_new": int(n["student_id"].nunique()),
                     "first_cycle": before is None})
    return pd.DataFrame(rows, columns=["subject", "students", "newly_mastered",
                                       "students_with_new", "first_cycle"])


def proposed_groups(view: talk.ClassroomView, targets: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per subject and proposed group: its focus target (code and statement) and
    how many members. ``targets``: the dataset's targets (extension groups work on the
    next grade's; default: the view's grade only)."""
    rows = []
    t = pd.concat([view.targets, targets] if targets is not None else [view.targets])
    t = t.drop_duplicates("target_id").set_index(t.drop_duplicates("target_id")["target_id"].astype(str))
    for subject in view.subjects:
        g = view.groups.get(subject)
        if g is None or not len(g) or not g["group"].notna().any():
            continue
        g = g[g["group"].notna()]
        for number, members in g.groupby("group", sort=True):
            focus = members["focus_target_id"].iloc[0]
            if pd.isna(focus):      # finished the grade: no one target
                focus, code, stmt = None, "", "deepen and apply the grade's targets"
            else:
                focus = str(focus)
                code, stmt = ((str(t.loc[focus, "code"]), str(t.loc[focus, "statement"]))
                              if focus in t.index else (focus, ""))
            rows.append({"subject": subject, "group": int(number), "focus_target_id": focus,
                         "code": code, "statement": stmt, "members": int(len(members)),
                         "extension": bool((members.get("kind", pd.Series(dtype=object))
                                            .astype(str) == "extension").any())})
    return pd.DataFrame(rows, columns=["subject", "group", "focus_target_id", "code",
                                       "statement", "members", "extension"])


def due_text(cycles: pd.DataFrame, due_cycle) -> str:
    """A commitment's due cycle in words: "cycle 5", or past the year's last cycle
    "the next school year" (never a cycle the calendar doesn't have)."""
    if due_cycle is None or pd.isna(due_cycle):
        return "the next meeting"
    last = int(pd.to_numeric(cycles["cycle_id"]).max())
    return f"cycle {int(due_cycle)}" if int(due_cycle) <= last else "the next school year"


def summary(view: talk.ClassroomView, log=None, *, ds=None) -> MeetingSummary:
    """The four parts of the summary for one classroom at the end of its cycle. ``log``: the
    meeting log (``coachkit.store.MeetingLog``) or None; ``ds``: the dataset, for the
    district's mastery policy (default: the view's method with its defaults)."""
    stuck = talk.who_is_stuck(view)
    needs = stuck[["subject", "student_id", "student"]].drop_duplicates(["subject", "student_id"])
    order = {s: i for i, s in enumerate(view.subjects)}
    needs = needs.sort_values("subject", key=lambda c: c.map(order), kind="stable")
    commitments, _ = talk.last_time(view, log)
    cycles = _cycles(view, ds)
    if len(commitments):
        commitments = commitments.assign(
            due=[due_text(cycles, d) for d in commitments["due_cycle"]])[
            ["action", "owner", "due", "status"]]
    else:
        commitments = pd.DataFrame(columns=["action", "owner", "due", "status"])
    return MeetingSummary(changed=what_changed(view), needs_us=needs.reset_index(drop=True),
                          groups=proposed_groups(view, ds.targets if ds is not None else None), commitments=commitments,
                          has_log=log is not None, period=talk.next_period(cycles, int(view.cycle.name)),
                          cycle=int(view.cycle.name))


def _cycles(view, ds) -> pd.DataFrame:
    if ds is not None:
        return ds.cycles
    # the view knows only its own cycle; without the dataset, assume the year's 6 cycles
    return pd.DataFrame({"cycle_id": list(range(1, max(6, int(view.cycle.name)) + 1))})


CSS = """<style>
.ck-summary { display: grid; grid-template-columns: 1fr 1fr; gap: 10px 16px;
  font-size: 14px; line-height: 1.35; margin: .4em 0 1em; }
.ck-summary > section { border: 1px solid #c9d6e3; border-radius: 6px; padding: 8px 12px;
  background: #fbfcfe; }
.ck-summary h3 { font-size: 15px; margin: 0 0 4px; color: #1f2d3a; }
.ck-summary .ck-groups, .ck-summary .ck-commitments { grid-column: 1 / -1; }
.ck-summary .ck-subjects { display: grid; grid-template-columns: 1fr 1fr; gap: 0 16px; }
.ck-summary p { margin: 2px 0; }
.ck-summary ul { margin: 2px 0; padding-left: 1.1em; }
.ck-summary .ck-code { font-weight: 600; }
.ck-summary .ck-quiet { color: #4a5a6a; }
.ck-summary-title { font-size: 20px; margin: .2em 0 .3em; }
</style>"""


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _clip(text: str, n: int = 70) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1].rstrip() + "\u2026"


def html(s: MeetingSummary, *, sheet: str | None = None) -> str:
    """The summary as one escaped HTML block (``<div class="ck-summary">``). ``sheet``: the
    address of the printable decision sheet (relative to the page), linked under it."""
    changed = []
    for r in s.changed.itertuples(index=False):
        if r.first_cycle:
            changed.append(f"<p><b>{escape(r.subject)}</b>: {_plural(r.newly_mastered, 'target')} "
                           f"mastered in this first cycle, by {r.students_with_new} of "
                           f"{r.students} students.</p>")
        else:
            changed.append(f"<p><b>{escape(r.subject)}</b>: {_plural(r.newly_mastered, 'target')} "
                           f"newly mastered since last cycle; {r.students_with_new} of "
                           f"{r.students} students mastered at least one.</p>")
    if not changed:
        changed = ['<p class="ck-quiet">No learning targets for this grade yet.</p>']
    needs = []
    for subject, rows in s.needs_us.groupby("subject", sort=False):
        needs.append(f"<p><b>{escape(subject)}</b> ({len(rows)}): "
                     f"{escape(', '.join(rows['student']))}</p>")
    if not needs:
        needs = ['<p class="ck-quiet">Nobody: every student mastered something new and is '
                 'on track.</p>']
    groups = []
    for subject, rows in s.groups.groupby("subject", sort=False):
        # groups around the same focus target read as one line ("2 groups, 9 students")
        focus = (rows.assign(_k=rows["code"] + "\0" + rows["statement"])
                 .groupby("_k", sort=False)
                 .agg(code=("code", "first"), statement=("statement", "first"),
                      n=("group", "size"), members=("members", "sum"),
                      extension=("extension", "any")).reset_index(drop=True))
        items = "".join(
            f'<li><span class="ck-code">{escape(r.code)}</span> {escape(_clip(r.statement))} '
            f'<span class="ck-quiet">({"extension, " if r.extension else ""}'
            f'{_plural(r.n, "group") + ", " if r.n > 1 else ""}'
            f'{_plural(r.members, "student")})</span></li>'
            for r in focus.head(MAX_TARGETS).itertuples(index=False))
        more = (f'<li class="ck-quiet">and {len(focus) - MAX_TARGETS} more focus targets '
                f'(below)</li>' if len(focus) > MAX_TARGETS else "")
        groups.append(f"<div><p><b>{escape(subject)}</b>: {_plural(len(rows), 'group')}, focus "
                      f"targets:</p><ul>{items}{more}</ul></div>")
    if not groups:
        groups = ['<p class="ck-quiet">Too few students to form groups: plan for each '
                  'student on their own next target.</p>']
    if len(s.commitments):
        items = "".join(
            f"<li>{escape(_clip(r.action, 90))} <span class=\"ck-quiet\">({escape(r.owner)}, "
            f"due {escape(r.due)}, {escape(r.status)})</span></li>"
            for r in s.commitments.head(MAX_COMMITMENTS).itertuples(index=False))
        more = (f'<li class="ck-quiet">and {len(s.commitments) - MAX_COMMITMENTS} more '
                f'(below)</li>' if len(s.commitments) > MAX_COMMITMENTS else "")
        commit = f"<ul>{items}{more}</ul>"
    elif s.has_log:
        commit = ('<p class="ck-quiet">Nothing was committed for this classroom at an earlier '
                  'meeting: today\u2019s commitments will open the next one.</p>')
    else:
        commit = ('<p class="ck-quiet">This is our first data talk on record: the commitments '
                  'we make today will open the next one.</p>')
    link = (f'<p class="ck-sheet-link">To print for the meeting: <a href="{escape(sheet)}">'
            f'the decision sheet</a> (one page: groups, planned actions, commitments).</p>'
            if sheet else "")
    return (f'{CSS}<div class="ck-summary-block"><h2 class="ck-summary-title">At a glance: '
            f'cycle {s.cycle}</h2><div class="ck-summary">'
            f'<section class="ck-changed"><h3>What changed since last cycle</h3>{"".join(changed)}</section>'
            f'<section class="ck-needs"><h3>Who needs us</h3>{"".join(needs)}</section>'
            f'<section class="ck-groups"><h3>Proposed groups for {escape(s.period)}</h3>'
            f'<div class="ck-subjects">{"".join(groups)}</div></section>'
            f'<section class="ck-commitments"><h3>Last time we committed to</h3>{commit}</section>'
            f'</div>{link}</div>')


class Summary:
    """The summary block as notebooks, Voila and nbconvert show it (``_repr_html_``)."""

    def __init__(self, s: MeetingSummary, *, sheet: str | None = None):
        self.summary = s
        self.html = html(s, sheet=sheet)

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return f"<summary of cycle {self.summary.cycle}>"


def block(view: talk.ClassroomView, log=None, *, ds=None, sheet: str | None = None) -> Summary:
    """The summary block for a notebook cell (end the cell with it); ``sheet``: the
    decision sheet's address, linked under the block."""
    return Summary(summary(view, log, ds=ds), sheet=sheet)
