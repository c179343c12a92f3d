"""The principal's school dashboard: progress on the continuum by grade and subject
against the year plan, pace and on-track share, growth since the last cycle, the equity
view with minimum-n suppression, group fluidity and the lowest-group check per
classroom, and the implementation survey headline. Every chart comes with one sentence
computed from the data.

District-wide tables are computed once per kernel and (cycle, method) by
:mod:`coachkit.widgets.data`; picking a school only filters them, except the group
history, which is computed for the school's classrooms together on first use.
"""
from __future__ import annotations

import html
import time

import ipywidgets as W
import numpy as np
import pandas as pd

from .. import privacy, talk
from ..charts import dashboard as dch
from . import data as D
from .common import grade_name, marker, pct, set_figure, set_html, table_html

MIN_N = privacy.DEFAULT_MIN_N     # a default only: pages use privacy.minimum_n()


# ------------------------------------------------------------------ tables

def by_grade(d: D.District, school_id: str) -> pd.DataFrame:
    """One row per grade and subject of the school: n_students, share_mastered (mean
    share of the grade's targets mastered), expected (the year plan), share_on_track,
    pace (targets per week, last cycle), growth (targets newly mastered per student)."""
    s = d.students[d.students["school_id"] == school_id]
    out = s.groupby(["subject", "grade"], sort=True).agg(
        n_students=("student_id", "nunique"), share_mastered=("share_mastered", "mean"),
        share_on_track=("on_track", "mean"), pace=("pace", "mean"),
        growth=("growth", "mean")).reset_index()
    out["expected"] = d.expected
    order = {s: i for i, s in enumerate(D.SUBJECTS)}
    return out.sort_values(["subject", "grade"], key=lambda c: c.map(order) if c.name == "subject" else c,
                           ignore_index=True)


_GROUPS: dict = {}


def school_groups(d: D.District, school_id: str, *, min_n: int | None = None) -> pd.DataFrame:
    """The school's rows of the one suppression table for its dashboard and its grade
    overviews (:func:`coachkit.privacy.student_groups`), computed once per district
    tables, school and minimum n."""
    min_n = privacy.minimum_n(min_n)
    key = (id(d), school_id, min_n)
    if key not in _GROUPS:
        if len(_GROUPS) > 32:
            _GROUPS.clear()
        s = d.students[d.students["school_id"] == school_id]
        _GROUPS[key] = (d, privacy.student_groups(s, min_n=min_n))   # d kept: id stays its own
    return _GROUPS[key][1]


def equity(d: D.District, school_id: str, *, min_n: int | None = None) -> pd.DataFrame:
    """Share of the grade's targets mastered and share on track by subgroup and subject.

    Which groups are hidden is the one rule of :func:`coachkit.privacy.suppress_groups`,
    decided for this page together with the school's grade overviews: a group under the
    district's minimum n and enough others that no hidden count follows by subtraction
    (``n_label`` "hidden", figures blank, the same for all of them). ``min_n`` can only
    be stricter than the district policy. ``n_students`` is the true count, for computing.
    """
    min_n = privacy.minimum_n(min_n)
    s = d.students[d.students["school_id"] == school_id]
    page = privacy.shown_groups(school_groups(d, school_id, min_n=min_n),
                                {"school_id": school_id}, level=("school_id",))
    labels = dict(D.SUBGROUPS)
    parts = []
    for subj, ss in s.groupby("subject", sort=False):
        f = talk.equity_figures(ss, page, labels=labels).rename(
            columns={"n_students": "n_label", "hidden": "suppressed"})
        parts.append(f.assign(subject=subj, n_students=page["n"].to_numpy()))
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        columns=["subject", "family", "group", "n_label", "suppressed", "share_mastered",
                 "share_on_track", "n_students"])
    out["why"] = np.where(out["suppressed"].astype(bool), talk.hidden_note(min_n), "")
    return out[["subject", "family", "group", "n_students", "share_mastered",
                "share_on_track", "suppressed", "why", "n_label"]]


# ------------------------------------------------------------------ takeaways

def progress_takeaway(t: pd.DataFrame) -> str:
    if not len(t):
        return "No students with targets in this school."
    gap = t.assign(gap=t["expected"] - t["share_mastered"]).sort_values("gap", ascending=False)
    r = gap.iloc[0]
    who = grade_name(r["grade"]).capitalize()
    if r["gap"] <= 0 and r["expected"] >= 1:
        return (f"At the end of the year every grade has mastered the whole year plan; "
                f"{who} {r['subject']} is closest at {pct(r['share_mastered'])}.")
    if r["gap"] <= 0:
        return (f"Every grade is at or ahead of the year plan ({pct(r['expected'])} of the "
                f"targets by this cycle); {who} {r['subject']} is closest at {pct(r['share_mastered'])}.")
    if r["expected"] >= 1:                   # the last cycle: a result, not a plan
        return (f"At the end of the year {who} has mastered {pct(r['share_mastered'])} of its "
                f"{r['subject']} targets (the year plan was all of them).")
    return (f"{who} has mastered {pct(r['share_mastered'])} of its {r['subject']} targets; "
            f"by this cycle the year plan expects {pct(r['expected'])}.")


def on_track_takeaway(t: pd.DataFrame) -> str:
    if not len(t):
        return ""
    w = t.assign(k=t["share_on_track"] * t["n_students"])
    subj = w.groupby("subject", sort=False).apply(lambda g: g["k"].sum() / g["n_students"].sum(),
                                                  include_groups=False)
    low = t.sort_values("share_on_track").iloc[0]
    parts = ", ".join(f"{s} {pct(v)}" for s, v in subj.items())
    return (f"On track to finish their grade's continuum this year at their recent pace: {parts}; "
            f"lowest is {grade_name(low['grade'])} {low['subject']} at {pct(low['share_on_track'])}.")


def growth_takeaway(t: pd.DataFrame, cycle: int) -> str:
    if int(cycle) <= 1 or not len(t) or t["growth"].isna().all():
        return "This is the first cycle of the year: growth starts next cycle."
    w = (t["growth"] * t["n_students"]).sum() / t["n_students"].sum()
    hi = t.sort_values("growth").iloc[-1]
    lo = t.sort_values("growth").iloc[0]
    return (f"Since cycle {int(cycle) - 1}, students mastered {w:.1f} new targets on average; "
            f"most in {grade_name(hi['grade'])} {hi['subject']} ({hi['growth']:.1f}), fewest in "
            f"{grade_name(lo['grade'])} {lo['subject']} ({lo['growth']:.1f}).")


def equity_takeaway(e: pd.DataFrame, min_n: int | None = None) -> str:
    min_n = privacy.minimum_n(min_n)
    n_sup = int(e["suppressed"].sum())
    note = (f" {n_sup} group figure{'s' if n_sup != 1 else ''} not shown (fewer than {min_n} "
            "students, or needed to protect a group that is)." if n_sup else "")
    best = None
    for (subj, fam), g in e[~e["suppressed"]].groupby(["subject", "family"], sort=False):
        if len(g) < 2:
            continue
        g = g.sort_values("share_mastered")
        gap = g["share_mastered"].iloc[-1] - g["share_mastered"].iloc[0]
        if best is None or gap > best[0]:
            best = (gap, subj, g.iloc[0], g.iloc[-1])
    if best is None:
        return "Every subgroup is too small to compare." + note
    gap, subj, lo, hi = best
    return (f"The widest gap: {lo['group']} have mastered {pct(lo['share_mastered'])} of their "
            f"{subj} targets, {hi['group']} {pct(hi['share_mastered'])} "
            f"({gap * 100:.0f} points).{note}")


def fluidity_takeaway(f: pd.DataFrame) -> str:
    if not len(f):
        return "No classroom has flexible groups yet."
    per_room = f.groupby("classroom_id").agg(changed=("share_changed", "mean"), stuck=("n_stuck", "sum"))
    known = per_room["changed"].dropna()
    moved = int((known >= 1 / 3).sum())
    stuck_rooms = int((per_room["stuck"] > 0).sum())
    first = (f"In {moved} of {len(known)} classrooms at least a third of students changed group "
             "last cycle" if len(known) else "Groups have been formed for one cycle only")
    return (f"{first}; {int(per_room['stuck'].sum())} students in {stuck_rooms} classrooms have "
            "sat in the lowest group 3 or more cycles in a row.")


def survey_part(path: str, school_id: str):
    """(takeaway, figure, headline table) for the school's implementation survey, or None."""
    from .. import surveys
    from ..charts import surveys as sch
    scores = D.survey_scores(path)
    if scores is None:
        return None
    s = scores[scores["school_id"].astype(str) == str(school_id)].drop(columns="school_id")
    if not len(s):
        return None
    yoy = surveys.year_over_year(s) if s["year"].nunique() > 1 else None
    head = surveys.survey_headline(s, yoy)
    bits = []
    for r in head.itertuples(index=False):
        b = f"{'staff' if r.respondent == 'staff' else r.respondent + 's'} rate {r.n_strong} of {r.n_constructs} constructs strong"
        if getattr(r, "n_limited", 0):
            b += f" and {r.n_limited} limited"
        bits.append(b)
    year = int(head["year"].max())
    up = int(head["n_up"].sum()) if "n_up" in head else 0
    down = int(head["n_down"].sum()) if "n_down" in head else 0
    text = (f"In {year}, " + "; ".join(bits) + "."
            + (f" Since last year {up} construct means rose and {down} fell by more than their "
               "uncertainty." if yoy is not None else ""))
    return text[0].upper() + text[1:], sch.construct_bars(s), head


# ------------------------------------------------------------------ sections

SECTIONS = (
    ("progress", "Progress on the continuum"),
    ("on_track", "Pace and on-track share"),
    ("growth", "Growth since the last cycle"),
    ("equity", "Equity view"),
    ("fluidity", "Flexible groups: fluidity and the lowest group"),
    ("survey", "Implementation survey"),
)


def sections(path: str, school_id: str, cycle: int, method: str | None = None, *,
             min_n: int | None = None):
    """Yield (key, takeaway, figure or None, extra html) in page order; the slow parts
    (group history, survey) come last so the first charts appear first. ``min_n`` is the
    district's (:func:`coachkit.privacy.minimum_n`): a lower value, e.g. from the page's
    address, is not used."""
    min_n = privacy.minimum_n(min_n)
    method = method or D.policy_method(path)
    d = D.district(path, int(cycle), method)
    t = by_grade(d, school_id)
    yield "progress", progress_takeaway(t), dch.continuum_by_grade(t), ""
    yield "on_track", on_track_takeaway(t), dch.on_track_by_grade(t), ""
    if int(cycle) > 1:
        yield "growth", growth_takeaway(t, cycle), dch.growth_by_grade(t), ""
    else:
        yield "growth", growth_takeaway(t, cycle), None, ""
    e = equity(d, school_id, min_n=min_n)
    tbl = table_html(e[["subject", "group", "n_label", "share_mastered", "share_on_track", "why"]]
                     .rename(columns={"n_label": "students"}),
                     formats={"share_mastered": "{:.0%}", "share_on_track": "{:.0%}"})
    yield "equity", equity_takeaway(e, min_n), dch.equity_bars(e), tbl
    f = D.school_grouping(path, school_id, int(cycle), method)
    yield "fluidity", fluidity_takeaway(f), (dch.classroom_fluidity(f) if len(f) else None), ""
    sv = survey_part(path, school_id)
    if sv is None:
        yield "survey", "No implementation survey data for this school.", None, ""
    else:
        text, fig, head = sv
        yield "survey", text, fig, table_html(head)


def school_options(path: str) -> list[tuple[str, str]]:
    ds = D.load(path)
    return [(f"{r.name} ({r.school_id})", str(r.school_id))
            for r in ds.schools.sort_values("school_id").itertuples(index=False)]


def _check(path, school, cycle, method):
    ds = D.load(path)
    ids = [s for _, s in school_options(path)]
    if school is None:
        school = ids[0]
    if school not in ids:
        raise ValueError(f"unknown school {school!r}; expected one of {', '.join(ids[:10])}")
    D.cycle_end(ds, cycle)
    from .. import progress
    method = method or D.policy_method(path)
    if method not in set(progress.available_methods()["method"]):
        raise ValueError(f"unknown mastery method {method!r}")
    return school, int(cycle), method


# ------------------------------------------------------------------ the app

def principal_app(data=None, *, school=None, cycle: int = 6, method: str | None = None,
                  min_n: int | None = None, analyst: bool = False):
    """The principal dashboard as one ipywidgets box (see :class:`PrincipalApp`). The
    mastery method is the district policy's (``coachkit.toml``), stated in words on the
    page; ``analyst=True`` adds a method picker for comparing methods."""
    return PrincipalApp(data, school=school, cycle=cycle, method=method, min_n=min_n,
                        analyst=analyst)


class PrincipalApp(W.VBox):
    """School and cycle pickers; one takeaway and one chart per section. The mastery
    method is the district policy's, said in words (``app.method_note``); only an
    analyst's app (``analyst=True``) has a method picker (``controls["method"]``).

    ``app.controls``: dict of the control widgets; ``app.outputs``/``app.takeaways``:
    per section key; ``app.marker``: HTML with data-school, data-cycle, data-version;
    ``app.state``: what is shown (school, cycle, method, takeaways, timings)."""

    def __init__(self, data=None, *, school=None, cycle=6, method=None, min_n=None,
                 analyst=False):
        self.path = D.resolve(data)
        from .. import policy
        # never below the district's policy (coachkit.toml in the data folder)
        self.min_n = privacy.minimum_n(min_n, policy=policy.load(self.path))
        school, cycle, method = _check(self.path, school, cycle, method)
        from .. import progress
        ds = D.load(self.path)
        self.method = method
        self.controls = {
            "school": W.Dropdown(options=school_options(self.path), value=school,
                                 description="School"),
            "cycle": W.Dropdown(options=[(f"cycle {int(c)}", int(c)) for c in ds.cycles["cycle_id"]],
                                value=cycle, description="Cycle"),
        }
        if analyst:                     # comparing methods is an analyst's question
            self.controls["method"] = W.Dropdown(
                options=[(m.replace("_", " "), m) for m in progress.available_methods()["method"]],
                value=method, description="Mastery")
        self.method_note = W.HTML()
        self.method_note.add_class("ck-method")
        self.status = W.HTML()
        self.marker = W.HTML()
        self.takeaways, self.outputs, self.extras, boxes = {}, {}, {}, []
        for key, title in SECTIONS:
            self.takeaways[key] = W.HTML()
            self.outputs[key] = W.Output()
            self.extras[key] = W.HTML()
            boxes.append(W.VBox([W.HTML(f"<h3>{html.escape(title)}</h3>"), self.takeaways[key],
                                 self.outputs[key], self.extras[key]],
                                layout=W.Layout(margin="0 0 18px 0")))
        self.state = {"version": 0}
        for c in self.controls.values():
            c.observe(self._changed, names="value")
        super().__init__([W.HTML("<h2>School dashboard</h2>"),
                          W.HBox(list(self.controls.values())), self.method_note,
                          self.status, self.marker,
                          *boxes])
        self.add_class("ck-principal")
        self.refresh()

    def _changed(self, change):
        self.refresh()

    def refresh(self):
        school = self.controls["school"].value
        cycle = int(self.controls["cycle"].value)
        if "method" in self.controls:
            self.method = self.controls["method"].value
        method = self.method
        self.method_note.value = f"<p>{html.escape(D.method_words(self.path, method))}</p>"
        t0 = time.perf_counter()
        self.state.update(version=self.state["version"] + 1, school=school, cycle=cycle,
                          method=method, takeaways={}, timings={})
        try:
            self.status.value = "<i>Computing…</i>"
            for key, text, fig, extra in sections(self.path, school, cycle, method,
                                                  min_n=self.min_n):
                self.takeaways[key].value = f"<p class='ck-takeaway'><b>{html.escape(text)}</b></p>"
                set_figure(self.outputs[key], fig)
                self.extras[key].value = extra
                self.state["takeaways"][key] = text
                self.state["timings"][key] = time.perf_counter() - t0
                if key == "progress":
                    self._mark(school, cycle, method)
            self._mark(school, cycle, method, complete=1)
            self.status.value = ""
        except Exception as e:          # show it on the page, not as a traceback
            self.status.value = f"<b style='color:#d7301f'>{html.escape(str(e))}</b>"
            if not isinstance(e, ValueError):
                raise

    def _mark(self, school, cycle, method, complete=0):
        name = dict((v, k) for k, v in self.controls["school"].options)[school]
        self.marker.value = marker(f"{name}, cycle {cycle}", chart="principal", school=school,
                                   cycle=cycle, method=method, version=self.state["version"],
                                   complete=complete)


def principal_report(data=None, *, school=None, cycle: int = 6, method: str | None = None,
                     min_n: int | None = None) -> None:
    """The same sections as static output (papermill, nbconvert): escaped takeaways and
    figures through ``ck.charts.show``."""
    from IPython.display import HTML, display
    from ..charts import show
    from ..tables import say
    path = D.resolve(data)
    school, cycle, method = _check(path, school, cycle, method)
    name = dict((v, k) for k, v in school_options(path))[school]
    display(HTML(marker(f"{name}, cycle {cycle}", chart="principal", school=school, cycle=cycle,
                        method=method)))
    say(D.method_words(path, method))
    titles = dict(SECTIONS)
    for key, text, fig, extra in sections(path, school, cycle, method, min_n=min_n):
        say(text, heading=titles[key], strong=True)     # escaped: text comes from data
        if fig is not None:
            show(fig)
        if extra:
            display(HTML(extra))
