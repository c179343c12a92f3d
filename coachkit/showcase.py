"""The inquiry-lab showcase: the story of one school's year, de-identified, for visiting
educators (``coachkit showcase``). See docs/showcase.md.

    import coachkit as ck
    from coachkit.showcase import build_showcase
    page = build_showcase(ck.load_dataset("sample_data/district"), "S101", "showcase",
                          key=secrets.token_hex(16))

What it writes into ``out``: ``showcase.html`` (one self-contained page: plotly.js inline
once, nothing fetched, speaker notes under each section) and ``showcase_<table>.csv``, the
aggregate tables the page shows (suppressed, UTF-8 with BOM for spreadsheets).

How it protects students:

1. Everything is computed from ``pseudonymize(ds, key)``, never from the real rows; the
   key is not written anywhere.
2. Only aggregates leave the computation: groups of a grade (or the school), never a
   student, a classroom or a teacher. A mean is shown only for a group of at least
   ``min_n`` students; count tables go through :func:`coachkit.privacy.suppress`
   (primary, near-0/100 % ranges, complementary cells, LP audit) and are shown as
   :func:`coachkit.privacy.percent_table` strings next to their (>= min_n) row totals.
   Rows with a total below ``min_n`` are left out and columns with a total below
   ``min_n`` are merged with a neighbour before suppressing.
3. Before anything lands in ``out`` the files are built in a hidden staging folder and
   checked twice: every published count is checked against ``min_n``, and
   :func:`coachkit.privacy.scan` reads the files against the *real* dataset (names, ids,
   birth dates, small groups). Any finding deletes the staging folder and raises
   :class:`ShowcaseRefused` (the command exits 1); nothing is written.
"""
from __future__ import annotations

import html
import os
import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from . import grouping, privacy, progress, surveys, talk
from .dataset import Dataset
from .schema import grade_label
from .privacy import DisclosureError, format_percent, percent_table, pseudonymize, scan, suppress

__all__ = ["build_showcase", "read_key", "ShowcaseRefused", "HTML_NAME", "KEY_ENV",
           "COUNT_COLUMNS"]

HTML_NAME = "showcase.html"
CSV_PREFIX = "showcase_"
KEY_ENV = "COACHKIT_SHOWCASE_KEY"
STAGING_PREFIX = ".showcase-building-"
#: names of the columns holding counts of students (or student-target pairs) in the CSVs
#: and HTML tables; the scanner's small-group check reads the same headers.
COUNT_COLUMNS = ("students", "count")
SUBJECT_NAMES = {"math": "Math", "ela": "ELA"}
GRADE_COLORS = ("#1b4f72", "#2a7ab0", "#6fa8d0", "#f2b134", "#d7301f", "#8c6bb1",
                "#41ab5d", "#636363")
SUBJECT_COLORS = {"math": "#2a7ab0", "ela": "#8c6bb1"}
GROUP_MIN, GROUP_MAX = 3, 6


class ShowcaseRefused(RuntimeError):
    """The showcase was not written: its own output failed the privacy checks.

    ``findings`` is the scanner's table (path, kind, value, count, context) plus the
    published counts under min_n, if any.
    """

    def __init__(self, message: str, findings: pd.DataFrame):
        super().__init__(message)
        self.findings = findings


# ----------------------------------------------------------------------- published tables

@dataclass
class Table:
    """One aggregate table as published: written to CSV, shown in the page."""
    name: str
    title: str
    data: pd.DataFrame                    # tidy, as written to CSV
    display: pd.DataFrame | None = None   # as shown in the page (default: data)
    count_columns: tuple = ()             # columns holding counts (all >= min_n or empty)
    note: str = ""


@dataclass
class Section:
    id: str
    title: str
    intro: str
    figures: list = field(default_factory=list)
    tables: list = field(default_factory=list)
    notes: list = field(default_factory=list)


def _subject(s) -> str:
    return SUBJECT_NAMES.get(str(s), str(s))


def _pct(x: float) -> str:
    """A mean share (not a count share) as a whole percent."""
    return "" if pd.isna(x) else f"{100 * x:.0f}%"


def _merge_small_columns(counts: pd.DataFrame, min_n: int) -> pd.DataFrame:
    """Ordered columns whose totals are below min_n are merged with a neighbour (the one
    with the smaller total), so the published column totals show no small group."""
    counts = counts.copy()
    while counts.shape[1] > 1:
        tot = counts.sum(axis=0)
        small = [j for j in range(counts.shape[1]) if tot.iloc[j] < min_n]
        if not small:
            break
        j = small[0]
        if j == 0:
            k = 1
        elif j == counts.shape[1] - 1:
            k = j - 1
        else:
            k = j - 1 if tot.iloc[j - 1] <= tot.iloc[j + 1] else j + 1
        a, b = sorted((j, k))
        name = f"{counts.columns[a]} or {counts.columns[b]}"
        merged = counts.iloc[:, a] + counts.iloc[:, b]
        counts = pd.concat([counts.iloc[:, :a], merged.rename(name).to_frame(),
                            counts.iloc[:, b + 1:]], axis=1)
    return counts


def publish_counts(counts: pd.DataFrame, min_n: int):
    """A count table made safe to publish, or None when nothing of it can be.

    Rows whose total is below ``min_n`` are dropped, then columns whose total is below
    ``min_n`` merged with a neighbour (repeated until stable). Returns ``(counts, shown,
    percents, dropped)``: the table actually published, its suppressed counts (``<NA>``
    hidden), its row percentages as display strings ("42%", "≤5%", "*") and the labels of
    the rows left out.
    """
    counts = counts.astype("int64")
    dropped = []
    while len(counts) and counts.shape[1]:
        rows = counts.sum(axis=1) < min_n
        if rows.any():
            dropped += list(counts.index[rows])
            counts = counts[~rows]
            continue
        merged = _merge_small_columns(counts, min_n)
        if merged.shape == counts.shape:
            break
        counts = merged
    if not len(counts) or counts.shape[1] < 2:
        return None
    try:
        shown = suppress(counts, min_n=min_n)
        pct = percent_table(counts, min_n=min_n)
    except DisclosureError:
        return None
    return counts, shown, pct, dropped


def _long(counts, shown, pct, keys: list, column: str, unit: str = "students") -> pd.DataFrame:
    """Tidy form of a published count table: keys..., column, unit (count), percent."""
    rows = []
    for idx in counts.index:
        key = idx if isinstance(idx, tuple) else (idx,)
        for c in counts.columns:
            v = shown.at[idx, c]
            rows.append((*key, c, "" if pd.isna(v) else int(v), pct.at[idx, c]))
    return pd.DataFrame(rows, columns=[*keys, column, unit, "percent"])


def _wide(counts, pct, keys: list, labels: dict, total: str = "students") -> pd.DataFrame:
    """Display form: keys..., total (row total, >= min_n), one percent column each."""
    out = pct.copy()
    out.insert(0, total, counts.sum(axis=1).astype("int64"))
    out = out.reset_index()
    out.columns = [*keys, *out.columns[len(keys):]]
    for k, f in labels.items():
        out[k] = out[k].map(f)
    return out


# --------------------------------------------------------------------------- computation

def _school_slice(anon: Dataset, school: str) -> Dataset:
    st = anon.students[anon.students["school_id"].astype(str) == school].reset_index(drop=True)
    ids = set(st["student_id"].astype(str))
    ev = anon.evidence
    ev = ev[ev["student_id"].astype(str).isin(ids)]
    ev = ev.assign(student_id=ev["student_id"].astype(str))
    rooms = anon.classrooms[anon.classrooms["school_id"].astype(str) == school]
    resp = anon.survey_responses
    if len(resp):
        resp = resp[resp["school_id"].astype(str) == school]
    st = st.assign(student_id=st["student_id"].astype(str))
    return anon.replace(students=st, evidence=ev.reset_index(drop=True), classrooms=rooms,
                        survey_responses=resp)


@dataclass
class _Year:
    cycles: pd.DataFrame                 # the cycles of the story, in order
    projection: pd.DataFrame             # per student, subject, cycle_id
    growth: pd.DataFrame                 # per student, subject, from/to cycle
    history: dict                        # subject -> groups of every cycle (with classroom)
    attempts: pd.DataFrame               # per student-target pair, through the last cycle


def _compute_year(sub: Dataset, cycles: pd.DataFrame, args: dict) -> _Year:
    """The year's tables from the (pseudonymized) school slice. ``args``: mastery's
    arguments, the district policy's (``talk.mastery_args``). The groups are the data
    talk's, by shared need, formed in each classroom every cycle
    (:func:`coachkit.talk.group_history`), so the showcase's "lowest group" count is the
    principal dashboard's and the data talk's."""
    st, tg, ev = sub.students, sub.targets, sub.evidence
    tg = tg[tg["grade"].isin(st["grade"].unique())] if len(st) else tg
    all_targets = sub.targets
    proj, grow, hist = [], [], {}
    prev_end = None
    masteries = {}
    for cid, end in zip(cycles["cycle_id"], cycles["end"]):
        now = ev[(ev["date"] <= end).to_numpy()]
        if not len(now):
            continue
        m = progress.mastery(now, **args)
        masteries[int(cid)] = m
        p = progress.projection(m, tg, st, sub.cycles, as_of=end)
        proj.append(p.assign(cycle_id=int(cid)))
        if prev_end is not None:
            grow.append(progress.growth(ev, sub.cycles, prev_cid, cid, targets=all_targets,
                                        **args))
        prev_end, prev_cid = end, cid
    if masteries:
        last_c = max(masteries)
        for room_id, members in st.groupby("classroom_id", sort=True):
            room = sub.replace(students=members.reset_index(drop=True),
                               classrooms=sub.classrooms[sub.classrooms["classroom_id"]
                                                         == room_id])
            ids = set(members["student_id"].astype(str))
            grade = int(members["grade"].iloc[0])
            targets = all_targets[all_targets["grade"] == grade]
            subjects = sorted(set(targets["subject"].astype(str)))

            def mastery_at(c, ids=ids):
                m = masteries.get(int(c))
                return None if m is None else m[m["student_id"].astype(str).isin(ids)]
            h = talk.group_history(room, last_c, targets, subjects, mastery_at=mastery_at,
                                   min_size=GROUP_MIN, max_size=GROUP_MAX)
            for subject, g in h.items():
                if len(g):
                    hist.setdefault(subject, []).append(
                        g[["student_id", "group", "focus_sequence", "focus_position",
                           "progress", "cycle_id"]].assign(classroom_id=room_id))
    last_end = cycles["end"].iloc[-1]
    attempts = progress.attempts_to_proficiency(ev[(ev["date"] <= last_end).to_numpy()],
                                                per="pair")
    return _Year(
        cycles=cycles,
        projection=pd.concat(proj, ignore_index=True) if proj else pd.DataFrame(),
        growth=pd.concat(grow, ignore_index=True) if grow else pd.DataFrame(),
        history={s: pd.concat(h, ignore_index=True) for s, h in hist.items()},
        attempts=attempts)


# ---------------------------------------------------------------------------- sections

def _line_figure(frame: pd.DataFrame, x: str, y: str, series: str, *, title: str,
                 y_title: str, percent: bool = False):
    from .charts import style
    fig = go.Figure()
    for k, (name, part) in enumerate(frame.groupby(series, sort=False)):
        fig.add_trace(go.Scatter(
            x=part[x], y=part[y], mode="lines+markers", name=str(name),
            line=dict(color=GRADE_COLORS[k % len(GRADE_COLORS)], width=2),
            hovertemplate=f"{name}, %{{x}}: %{{y:{'.0%' if percent else '.1f'}}}<extra></extra>"))
    fig.update_yaxes(title=y_title, tickformat=".0%" if percent else None, rangemode="tozero")
    return style(fig, title=title, height=380)


def _lines_by_subject(sec: Section, data: pd.DataFrame, cycle: str, y: str, title: str,
                      y_title: str, *, percent: bool = False) -> None:
    """One line chart per subject: a line per grade across the cycles (column CYCLE)."""
    for subject in sorted(data["subject"].unique()):
        d = data[data["subject"] == subject].sort_values(["grade", cycle],
                                                         key=lambda s: s.map(_sort_key))
        d = d.assign(series="Grade " + d["grade"], x="Cycle " + d[cycle].astype(str))
        sec.figures.append(_line_figure(d, "x", y, "series", percent=percent,
                                        title=f"{_subject(subject)}: {title}", y_title=y_title))


def _progress_section(year: _Year, min_n: int) -> Section:
    p = year.projection
    p = p.assign(share=p["targets_mastered"] / p["targets_total"])
    by = p.groupby(["grade", "subject", "cycle_id"], observed=True).agg(
        students=("student_id", "nunique"), mean_share=("share", "mean")).reset_index()
    by = by[by["students"] >= min_n]
    first, last = int(year.cycles["cycle_id"].iloc[0]), int(year.cycles["cycle_id"].iloc[-1])
    data = pd.DataFrame({
        "grade": by["grade"].map(grade_label), "subject": by["subject"].astype(str),
        "cycle": by["cycle_id"].astype(int), "students": by["students"].astype(int),
        "mean_pct_of_grade_targets_mastered": (100 * by["mean_share"]).round(1)})
    sec = Section("progress", "Progress on the continuum",
                  "How much of their grade's continuum students had shown mastery of at the "
                  "end of each six-week cycle: the average share of the grade's learning "
                  "targets mastered, by grade and subject.")
    _lines_by_subject(sec, data.assign(y=data["mean_pct_of_grade_targets_mastered"] / 100),
                      "cycle", "y", "share of the grade's targets mastered, cycle by cycle",
                      "targets mastered (mean share)", percent=True)
    sec.tables.append(Table("progress_by_cycle", "Share of the grade's targets mastered "
                            "(mean over the grade's students)", data,
                            display=_pivot_cycles(data, "mean_pct_of_grade_targets_mastered",
                                                  lambda v: f"{v:.0f}%"),
                            count_columns=("students",)))

    # where students ended: bands of the share mastered, a suppressed count table
    end = p[p["cycle_id"] == last]
    bands = ["under 25%", "25–49%", "50–74%", "75% or more"]
    end = end.assign(band=pd.cut(end["share"], [-0.01, 0.25, 0.5, 0.75, 1.01], right=False,
                                 labels=bands))
    counts = pd.crosstab([end["grade"], end["subject"].astype(str)], end["band"],
                         dropna=False).reindex(columns=bands, fill_value=0)
    pub = publish_counts(counts, min_n)
    if pub:
        c, shown, pct, dropped = pub
        sec.tables.append(Table(
            "progress_bands", f"Students by share of the grade's targets mastered, end of "
            f"cycle {last} (row percentages)",
            _long(c, shown, pct, ["grade", "subject"], "share_mastered").assign(
                grade=lambda d: d["grade"].map(grade_label)),
            display=_wide(c, pct, ["grade", "subject"], {"grade": grade_label, "subject": _subject}),
            count_columns=("students",), note=_note(dropped, min_n)))
    school = p.groupby(["subject", "cycle_id"], observed=True)["share"].mean()
    for subject in sorted(data["subject"].unique()):
        a, b = school.get((subject, first)), school.get((subject, last))
        if a is None or b is None:
            continue
        d = data[(data["subject"] == subject) & (data["cycle"] == last)]
        top = d.sort_values("mean_pct_of_grade_targets_mastered").iloc[-1] if len(d) else None
        sec.notes.append(
            f"In {_subject(subject)}, students had shown mastery of {_pct(a)} of their grade's "
            f"targets on average after cycle {first}, and {_pct(b)} after cycle {last}."
            + (f" Grade {top['grade']} ended highest, at "
               f"{top['mean_pct_of_grade_targets_mastered']:.0f}%." if top is not None else ""))
    sec.notes.append("Each line is a whole grade, never a student or a classroom: the "
                     "continuum is the same for every classroom of a grade, and students move "
                     "along it when they show mastery, not when the calendar says so.")
    if pub:
        tot = pub[0].sum()
        top_band = tot.index[-1]
        sec.notes.append(f"By the end of cycle {last}, {format_percent(100 * tot[top_band] / tot.sum())} "
                         f"of students (each subject counted separately) had mastered "
                         f"{top_band} of their grade's targets.")
    return sec


def _sort_key(v):
    """Grades sort K, 1, 2 … (as text they would sort 1, 10, 2, K)."""
    s = str(v)
    return -1 if s == "K" else (int(s) if s.isdigit() else 10**6)


def _pivot_cycles(data: pd.DataFrame, value: str, fmt) -> pd.DataFrame:
    wide = data.pivot_table(index=["grade", "subject"], columns="cycle", values=value,
                            aggfunc="first")
    n = data.groupby(["grade", "subject"])["students"].min()
    wide = wide.map(lambda v: "" if pd.isna(v) else fmt(v))
    wide.columns = [f"cycle {c}" for c in wide.columns]
    wide.insert(0, "students", n.reindex(wide.index).astype(int))
    wide = wide.reset_index()
    wide = wide.iloc[sorted(range(len(wide)), key=lambda i: (_sort_key(wide["grade"].iloc[i]),
                                                              wide["subject"].iloc[i]))]
    wide["subject"] = wide["subject"].map(_subject)
    return wide.reset_index(drop=True)


def _note(dropped, min_n) -> str:
    if not dropped:
        return ""
    return (f"{len(dropped)} group(s) with fewer than {min_n} students are left out of this "
            "table.")


def _growth_section(year: _Year, students: pd.DataFrame, min_n: int) -> Section | None:
    g = year.growth
    if not len(g):
        return None
    g = g.merge(students[["student_id", "grade"]], on="student_id", how="inner")
    g = g[~g["subject"].astype(str).str.startswith("(")]      # "(unknown target)"
    by = g.groupby(["grade", "subject", "from_cycle", "to_cycle"], observed=True).agg(
        students=("student_id", "nunique"), mean_new=("newly_mastered", "mean"),
        moved=("newly_mastered", lambda s: (s > 0).mean())).reset_index()
    by = by[by["students"] >= min_n]
    data = pd.DataFrame({
        "grade": by["grade"].map(grade_label), "subject": by["subject"].astype(str),
        "from_cycle": by["from_cycle"].astype(int), "to_cycle": by["to_cycle"].astype(int),
        "students": by["students"].astype(int),
        "mean_targets_newly_mastered": by["mean_new"].round(2)})
    sec = Section("growth", "Growth, cycle by cycle",
                  "How many learning targets students newly mastered in each cycle (mastery "
                  "at the end of the cycle compared with the end of the one before), on "
                  "average per student, by grade and subject.")
    _lines_by_subject(sec, data, "to_cycle", "mean_targets_newly_mastered",
                      "targets newly mastered per student in each cycle",
                      "targets per student (mean)")
    disp = _pivot_cycles(data.rename(columns={"to_cycle": "cycle"}),
                         "mean_targets_newly_mastered", lambda v: f"{v:.1f}")
    sec.tables.append(Table("growth_by_cycle", "Targets newly mastered per student in each "
                            "cycle (mean over the grade's students)", data, display=disp,
                            count_columns=("students",)))
    last = g[g["to_cycle"] == g["to_cycle"].max()]
    bands = ["none", "1–2 targets", "3–4 targets", "5 or more"]
    last = last.assign(band=pd.cut(last["newly_mastered"], [-10**6, 1, 3, 5, 10**6],
                                   right=False, labels=bands))
    counts = pd.crosstab([last["grade"], last["subject"].astype(str)], last["band"],
                         dropna=False).reindex(columns=bands, fill_value=0)
    to_c = int(g["to_cycle"].max())
    pub = publish_counts(counts, min_n)
    if pub:
        c, shown, pct, dropped = pub
        sec.tables.append(Table(
            "growth_last_cycle", f"Students by targets newly mastered in cycle {to_c} "
            "(row percentages)",
            _long(c, shown, pct, ["grade", "subject"], "newly_mastered").assign(
                grade=lambda d: d["grade"].map(grade_label)),
            display=_wide(c, pct, ["grade", "subject"], {"grade": grade_label, "subject": _subject}),
            count_columns=("students",), note=_note(dropped, min_n)))
    per_cycle = g.groupby("to_cycle")["newly_mastered"].mean()
    if len(per_cycle):
        best = per_cycle.idxmax()
        sec.notes.append(
            f"On average a student newly mastered {per_cycle.min():.1f} to "
            f"{per_cycle.max():.1f} targets per subject in a cycle; cycle {int(best)} was the "
            "strongest.")
    sec.notes.append("Growth counts targets newly shown at the mastery line, whatever the "
                     "grade of the target: a student who finishes the grade's continuum keeps "
                     "growing into the next grade's targets.")
    if pub:
        tot = pub[0].sum()
        moved = 1 - tot.get("none", 0) / tot.sum() if "none" in tot.index else None
        if moved is not None:
            sec.notes.append(f"In cycle {to_c}, {format_percent(100 * moved)} of students "
                             "mastered at least one new target (math and ELA counted "
                             "separately): even late in the year, almost everyone moved.")
    return sec


def _groups_section(year: _Year, min_n: int) -> Section | None:
    if not year.history:
        return None
    sec = Section("groups", "How flexible groups changed",
                  "Each cycle, every classroom re-formed its small groups (3 to 6 students) "
                  "around the next target students need. Here: how many students moved to a "
                  "different group from one cycle to the next, added up over all classrooms. "
                  "Groups themselves are never shown: a group of five is five children.")
    rows, summary, stuck_rows = [], [], []
    for subject, h in sorted(year.history.items()):
        fl = grouping.fluidity(h, by="classroom_id")
        if not len(fl):
            continue
        agg = fl.groupby(["from_cycle", "to_cycle"]).apply(
            lambda d: pd.Series({"students": int(d["n_students"].sum()),
                                 "changed": int(d["n_changed"].sum()),
                                 "ari": float(np.average(d["ari"].fillna(0),
                                                         weights=d["n_students"]))}),
            include_groups=False).reset_index()
        for r in agg.itertuples(index=False):
            rows.append((subject, f"cycle {int(r.from_cycle)} → {int(r.to_cycle)}",
                         int(r.changed), int(r.students - r.changed), r.ari))
        st = grouping.stuck_students(h, by="classroom_id")
        n_now = int(st["current"].sum()) if len(st) else 0
        n_grouped = int(h.loc[h["cycle_id"] == h["cycle_id"].max(), "student_id"].nunique())
        stuck_rows.append((subject, n_now, n_grouped))
    if not rows:
        return None
    t = pd.DataFrame(rows, columns=["subject", "cycles", "changed group", "stayed with most "
                                    "of their group", "ari"])
    counts = t.set_index(["subject", "cycles"])[["changed group",
                                                 "stayed with most of their group"]]
    pub = publish_counts(counts, min_n)
    if pub:
        c, shown, pct, dropped = pub
        data = _long(c, shown, pct, ["subject", "cycles"], "outcome")
        ari = t.set_index(["subject", "cycles"])["ari"]
        disp = _wide(c, pct, ["subject", "cycles"], {"subject": _subject})
        disp["agreement of groupings (ARI, 1 = same groups)"] = [
            f"{ari[(s, cy)]:.2f}" for s, cy in zip(c.index.get_level_values(0),
                                                   c.index.get_level_values(1))]
        sec.tables.append(Table("group_changes", "Students who changed group from one cycle to "
                                "the next (all classrooms together)", data, display=disp,
                                count_columns=("students",), note=_note(dropped, min_n)))
        share = c.iloc[:, 0] / c.sum(axis=1)
        shown_share = pct.iloc[:, 0]
        fig = go.Figure()
        for subject in c.index.get_level_values(0).unique():
            mask = (c.index.get_level_values(0) == subject) & (shown_share != "*").to_numpy()
            fig.add_trace(go.Bar(
                x=list(c.index.get_level_values(1)[mask]), y=share[mask].to_numpy(),
                name=_subject(subject), marker_color=SUBJECT_COLORS.get(subject, "#2a7ab0"),
                text=list(shown_share[mask]), textposition="outside",
                hovertemplate=f"{_subject(subject)}, %{{x}}: %{{text}} changed group"
                              "<extra></extra>"))
        from .charts import style
        fig.update_layout(barmode="group")
        fig.update_yaxes(title="students who changed group", tickformat=".0%", range=[0, 1])
        sec.figures.append(style(fig, title="Share of students in a new group each cycle",
                                 height=380))
        overall = c.iloc[:, 0].sum() / c.to_numpy().sum()
        sec.notes.append(f"Over the year, {format_percent(100 * overall)} of the moves from one "
                         "cycle to the next put a student in a different group (a student "
                         "counts as staying when they moved on together with most of their "
                         "old group).")
        first_pair, last_pair = t.iloc[0], t[t["subject"] == t["subject"].iloc[0]].iloc[-1]
        sec.notes.append(f"Groups changed most at the start of the year ({first_pair['cycles']}) "
                         f"and settled later ({last_pair['cycles']}): ask the hosts how they "
                         "keep late-year groups from hardening into tracks.")
    stuck = pd.DataFrame(stuck_rows, columns=["subject", "stuck", "grouped"])
    stuck_disp = []
    for r in stuck.itertuples(index=False):
        # stuck and not stuck split the grouped students: the one rule for a family
        hidden = privacy.suppress_family([r.stuck, r.grouped - r.stuck], min_n=min_n)
        if not hidden[0]:
            text = f"{r.stuck} ({format_percent(100 * r.stuck / r.grouped)})"
        else:
            text = privacy.HIDDEN
        stuck_disp.append((_subject(r.subject), text))
    sdata = pd.DataFrame(stuck_disp, columns=["subject", "in the lowest group 3+ cycles running"])
    sec.tables.append(Table("lowest_group", "Students in the lowest group three or more cycles "
                            "in a row, now (the check that grouping has not become tracking)",
                            sdata))
    sec.notes.append("Flexible groups are not ability tracks. Every cycle the grade team "
                     "looks at who has sat in the lowest group three cycles running and talks "
                     "about those students first. The count is for the whole school and reads "
                     f"'hidden' when it, or the rest of the grouped students, is under {min_n}.")
    sec.notes.append("The agreement column (adjusted Rand index) is near 1 when groupings "
                     "repeat and near 0 when they are reshuffled; low values are what "
                     "re-forming groups every cycle looks like.")
    return sec


def _retakes_section(year: _Year, targets: pd.DataFrame, students: pd.DataFrame,
                     min_n: int) -> Section | None:
    a = year.attempts
    if not len(a):
        return None
    a = a[a["n_evidence"] > 0].assign(student_id=lambda d: d["student_id"].astype(str),
                                      target_id=lambda d: d["target_id"].astype(str))
    tg = targets[["target_id", "subject", "grade", "code", "statement"]].assign(
        target_id=lambda d: d["target_id"].astype(str))
    a = a.merge(tg, on="target_id", how="inner")
    a = a[a["grade"].isin(students["grade"].unique())]
    labels = ["first try", "2nd attempt", "3rd attempt", "4th or later", "not yet"]
    att = a["attempts"].to_numpy()
    cat = np.select([np.isnan(att), att == 1, att == 2, att == 3], [4, 0, 1, 2], 3)
    a = a.assign(bucket=pd.Categorical.from_codes(cat, categories=labels))
    counts = pd.crosstab([a["grade"], a["subject"].astype(str)], a["bucket"],
                         dropna=False).reindex(columns=labels, fill_value=0)
    sec = Section("retakes", "Retakes: how many tries it took",
                  "Students show mastery when they are ready and may retake an assessment "
                  "after more practice. For every student and learning target of the grade: "
                  "on which attempt the student first scored Proficient (3) or above.")
    pub = publish_counts(counts, min_n)
    if pub:
        c, shown, pct, dropped = pub
        sec.tables.append(Table(
            "retakes_by_grade", "Student-target pairs by the attempt that first reached "
            "Proficient (row percentages)",
            _long(c, shown, pct, ["grade", "subject"], "reached_on", unit="count").assign(
                grade=lambda d: d["grade"].map(grade_label)),
            display=_wide(c, pct, ["grade", "subject"], {"grade": grade_label, "subject": _subject},
                          total="count"),
            count_columns=("count",), note=_note(dropped, min_n)))
    reached = a[a["reached"]]
    by = reached.groupby(["grade", "subject"], observed=True).agg(
        students=("student_id", "nunique"), mean_attempts=("attempts", "mean")).reset_index()
    by = by[by["students"] >= min_n]
    if len(by):
        from .charts import style
        fig = go.Figure()
        for subject in sorted(by["subject"].astype(str).unique()):
            d = by[by["subject"] == subject].sort_values("grade")
            fig.add_trace(go.Bar(x=["Grade " + grade_label(x) for x in d["grade"]],
                                 y=d["mean_attempts"].round(2), name=_subject(subject),
                                 marker_color=SUBJECT_COLORS.get(subject, "#2a7ab0"),
                                 hovertemplate=f"{_subject(subject)}, %{{x}}: %{{y:.1f}} "
                                               "attempts on average<extra></extra>"))
        fig.update_layout(barmode="group")
        fig.update_yaxes(title="attempts to reach Proficient (mean)", rangemode="tozero")
        sec.figures.append(style(fig, title="Attempts students needed to reach Proficient",
                                 height=380))
    per_target = reached.groupby(["target_id"], observed=True).agg(
        students=("student_id", "nunique"), mean_attempts=("attempts", "mean")).reset_index()
    per_target = per_target[per_target["students"] >= min_n]
    top = per_target.merge(tg, on="target_id").sort_values(
        ["mean_attempts", "code"], ascending=[False, True]).head(10)
    if len(top):
        data = pd.DataFrame({"subject": top["subject"].astype(str), "grade": top["grade"].map(grade_label),
                             "code": top["code"].astype(str),
                             "statement": top["statement"].astype(str),
                             "students": top["students"].astype(int),
                             "mean_attempts": top["mean_attempts"].round(2)})
        disp = data.assign(subject=data["subject"].map(_subject)).rename(
            columns={"students": "students", "mean_attempts": "attempts (mean)"})
        sec.tables.append(Table("retake_targets", "The ten targets that took the most attempts "
                                "(students who reached Proficient; targets with fewer than "
                                f"{min_n} such students left out)", data, display=disp,
                                count_columns=("students",)))
        first = top.iloc[0]
        sec.notes.append(f"The target that took the most tries was {first['code']} "
                         f"({first['statement']}): {first['mean_attempts']:.1f} attempts on "
                         "average before students showed Proficient. That is where the grade "
                         "teams put their reteaching groups.")
    if pub:
        tot = pub[0].sum()
        if "first try" in tot.index:
            sec.notes.append(f"{format_percent(100 * tot['first try'] / tot.sum())} of "
                             "student-target pairs reached Proficient on the first try; most "
                             "took two or three. A retake is part of learning here, not a "
                             "penalty: the latest evidence counts most.")
    return sec


def _survey_section(sub: Dataset, min_n: int) -> Section | None:
    resp, items = sub.survey_responses, sub.survey_items
    if not len(resp) or not len(items):
        return None
    scores = surveys.construct_scores(resp, items, by=("year", "respondent"), min_n=min_n)
    if not len(scores) or scores["suppressed"].all():
        return None
    years = sorted(scores["year"].unique())[-2:]
    scores = scores[scores["year"].isin(years)]
    sec = Section("surveys", "What students and staff said",
                  "The implementation survey, two years side by side: each construct is a "
                  "set of 4-point items averaged (1 most negative, 4 most positive). Bands: "
                  "below 2 limited, 2 to below 3 moderate to strong, 3 and above strong.")
    from .charts import construct_bars, n_caption
    sec.figures.append(construct_bars(scores, years=years,
                                      title="Implementation survey constructs"))
    data = pd.DataFrame({
        "respondent": scores["respondent"].astype(str), "construct": scores["construct"].astype(str),
        "year": scores["year"].astype(int),
        "n": scores["n"].where(~scores["suppressed"].astype(bool)).astype("Int64"),
        "mean": scores["mean"].round(2), "band": scores["band"].astype(object)})
    data.loc[scores["suppressed"].astype(bool).to_numpy(), ["mean", "band"]] = [np.nan, None]
    disp_rows = []
    change = surveys.year_over_year(scores) if len(years) == 2 else pd.DataFrame()
    for (resp_type, construct), d in data.groupby(["respondent", "construct"], sort=False):
        row = {"respondent": resp_type, "construct": construct}
        for y in years:
            r = d[d["year"] == y]
            ok = len(r) and pd.notna(r["mean"].iloc[0])
            row[f"{y}"] = f"{r['mean'].iloc[0]:.2f} ({r['band'].iloc[0]})" if ok else \
                f"fewer than {min_n} respondents"
        if len(change):
            ch = change[(change["respondent"].astype(str) == resp_type)
                        & (change["construct"].astype(str) == construct)]
            if len(ch) and not bool(ch["suppressed"].iloc[0]):
                c = ch.iloc[0]
                row["change"] = f"{c['change']:+.2f}" + (
                    "" if c["exceeds_uncertainty"] else " (within uncertainty)")
        disp_rows.append(row)
    disp = pd.DataFrame(disp_rows)
    sec.tables.append(Table("surveys", "Construct means by year (suppressed when fewer than "
                            f"{min_n} respondents)", data, display=disp, count_columns=("n",),
                            note=n_caption(scores, years=years, min_n=min_n)))
    if len(change):
        ok = change[~change["suppressed"].astype(bool)]
        up = ok[ok["direction"] == "up"]
        for resp_type in ("student", "staff"):
            u = up[up["respondent"].astype(str) == resp_type]
            n = ok[ok["respondent"].astype(str) == resp_type]
            if len(n):
                best = n.sort_values("change").iloc[-1]
                sec.notes.append(
                    f"{'Students' if resp_type == 'student' else 'Staff'}: {len(u)} of "
                    f"{len(n)} constructs rose from {years[0]} to {years[-1]} by more than "
                    f"their uncertainty; the largest change was '{best['construct']}' "
                    f"({best['mean_from']:.2f} → {best['mean_to']:.2f}).")
    sec.notes.append("Surveys are anonymous; a construct answered by fewer than "
                     f"{min_n} people is not reported.")
    return sec


# ------------------------------------------------------------------------------- render

CSS = """
body { font-family: "Segoe UI", Helvetica, Arial, sans-serif; color: #222; max-width: 1100px;
       margin: 0 auto; padding: 0 1.2rem 3rem; line-height: 1.45; }
header { border-bottom: 3px solid #2a7ab0; margin-bottom: 1rem; }
h1 { margin-bottom: .2rem; } h2 { margin-top: 2.5rem; color: #1b4f72; }
.lede { font-size: 1.1rem; }
.privacy { background: #eef4f9; border-left: 4px solid #2a7ab0; padding: .6rem .9rem; }
nav ol { columns: 2; }
table.ck { border-collapse: collapse; margin: .6rem 0 .3rem; font-size: .9rem; }
table.ck th, table.ck td { border: 1px solid #ccd; padding: .25rem .5rem; text-align: right; }
table.ck th { background: #eef4f9; }
table.ck td:first-child, table.ck th:first-child { text-align: left; }
.caption { font-weight: 600; margin-top: 1.2rem; }
.tnote { font-size: .85rem; color: #555; }
aside.notes { background: #fff8e6; border-left: 4px solid #f2b134; padding: .5rem 1rem;
              margin-top: 1rem; }
aside.notes h3 { margin: .2rem 0; font-size: 1rem; }
footer { margin-top: 3rem; font-size: .85rem; color: #555; border-top: 1px solid #ccd; }
@media print { aside.notes { break-inside: avoid; } section { break-before: page; } }
"""


def _esc(x) -> str:
    return html.escape(str(x), quote=True)


def _table_html(t: Table) -> str:
    df = t.display if t.display is not None else t.data
    head = "".join(f"<th>{_esc(c)}</th>" for c in df.columns)
    body = []
    for row in df.itertuples(index=False):
        cells = "".join(f"<td>{_esc('' if pd.isna(v) else v)}</td>" for v in row)
        body.append(f"<tr>{cells}</tr>")
    note = f'<p class="tnote">{_esc(t.note)}</p>' if t.note else ""
    return (f'<p class="caption">{_esc(t.title)}</p>'
            f'<table class="ck"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}'
            f"</tbody></table>{note}")


def _render(title: str, lede: str, sections: list, footer: str, min_n: int) -> str:
    """The whole page as one string: plotly.js inline once, nothing fetched."""
    from plotly.offline import get_plotlyjs
    from .charts import figure_html, reset_ids
    reset_ids()
    parts = []
    for s in sections:
        figs = "".join(f'<div class="fig">{figure_html(f)}</div>' for f in s.figures)
        tables = "".join(_table_html(t) for t in s.tables)
        notes = "".join(f"<li>{_esc(n)}</li>" for n in s.notes)
        parts.append(
            f'<section id="{s.id}"><h2>{_esc(s.title)}</h2><p>{_esc(s.intro)}</p>{figs}{tables}'
            f'<aside class="notes"><h3>Speaker notes</h3><ul>{notes}</ul></aside></section>')
    toc = "".join(f'<li><a href="#{s.id}">{_esc(s.title)}</a></li>' for s in sections)
    privacy = (f"De-identified: built from pseudonymized data; every number describes a group "
               f"of at least {min_n} students (a grade or the whole school), never a student, "
               f"a classroom or a teacher. Cells marked * are hidden so that no small group can "
               f"be worked out from the totals; shares near 0 or 100% are shown as ranges "
               f"(≤5%, ≥95%).")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_esc(title)}</title><style>{CSS}</style>"
        f'<script type="text/javascript">{get_plotlyjs()}</script></head><body>'
        f'<header><h1>{_esc(title)}</h1><p class="lede">{_esc(lede)}</p>'
        f'<p class="privacy">{_esc(privacy)}</p></header>'
        f"<nav><ol>{toc}</ol></nav>{''.join(parts)}"
        f"<footer><p>{_esc(footer)}</p></footer></body></html>\n")


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    df.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")


# -------------------------------------------------------------------------------- checks

def small_counts(tables, min_n: int) -> pd.DataFrame:
    """Every published count below min_n (the showcase's own check, before the scanner)."""
    rows = []
    for t in tables:
        for frame, where in ((t.data, "csv"), (t.display, "page")):
            if frame is None:
                continue
            for col in frame.columns:
                if col not in t.count_columns and col not in COUNT_COLUMNS:
                    continue
                v = pd.to_numeric(frame[col], errors="coerce")
                bad = frame[(v < min_n).fillna(False).to_numpy()]
                for x in bad[col]:
                    rows.append((f"{CSV_PREFIX}{t.name} ({where})", "small_group",
                                 f"{col}={x}", 1, t.title))
    return pd.DataFrame(rows, columns=["path", "kind", "value", "count", "context"])


# --------------------------------------------------------------------------------- build

def _story(anon: Dataset, school: str, cycle, min_n: int, args: dict):
    sub = _school_slice(anon, school)
    cycles = sub.cycles.assign(cycle_id=sub.cycles["cycle_id"].astype(int)).sort_values("start")
    if cycle is not None:
        cycle = sub.check_cycle(cycle)
        cycles = cycles[cycles["start"] <= cycles.loc[cycles["cycle_id"] == int(cycle),
                                                      "start"].iloc[0]]
    if len(sub.evidence):
        first_ev = sub.evidence["date"].min()
        cycles = cycles[cycles["end"] >= first_ev]
        # the story runs through the last cycle with evidence
        last_ev = sub.evidence["date"].max()
        cycles = cycles[cycles["start"] <= last_ev]
    cycles = cycles.reset_index(drop=True)
    sections = []
    if len(sub.students) and len(cycles) and len(sub.evidence):
        year = _compute_year(sub, cycles, args)
        sections.append(_progress_section(year, min_n))
        for s in (_growth_section(year, sub.students, min_n),
                  _groups_section(year, min_n),
                  _retakes_section(year, sub.targets, sub.students, min_n)):
            if s is not None:
                sections.append(s)
    s = _survey_section(sub, min_n)
    if s is not None:
        sections.append(s)
    return sub, cycles, sections


def build_showcase(ds: Dataset, school: str, out, *, key, cycle=None, min_n: int = 10,
                   method: str | None = None) -> Path:
    """Build the de-identified showcase of SCHOOL's year into OUT; return the HTML path.

    ``ds`` is the real dataset; everything shown is computed from ``pseudonymize(ds,
    key)`` and aggregated to groups of at least ``min_n`` students. ``cycle`` ends the
    story at that cycle (default: the last cycle with evidence). The files are checked
    (published counts >= min_n, then :func:`coachkit.privacy.scan` against ``ds``) before
    they are moved into ``out``; on any finding nothing is written and
    :class:`ShowcaseRefused` is raised with the findings.
    """
    school = str(school)
    known = set(ds.schools["school_id"].astype(str)) | set(ds.students["school_id"].astype(str))
    if school not in known:
        raise ValueError(f"unknown school {school!r}; the data has "
                         f"{', '.join(sorted(known)) or 'no schools'}")
    if not isinstance(min_n, (int, np.integer)) or min_n < 1:
        raise ValueError(f"min_n must be a whole number >= 1; got {min_n!r}")
    anon = pseudonymize(ds, key)
    # the district policy's method, line, counted kinds and parameters (coachkit.toml of the
    # real data's folder); ``method`` overrides the policy's method for this build
    args = talk.mastery_args(ds, method)
    method = args["method"]
    sub, cycles, sections = _story(anon, school, cycle, int(min_n), args)
    if not sections:
        raise ValueError(f"school {school!r} has no evidence or survey data to show")
    names = ds.schools.set_index(ds.schools["school_id"].astype(str))["name"] \
        if len(ds.schools) else pd.Series(dtype=object)
    school_name = str(names.get(school, school))
    n_students = len(sub.students)
    grades = sorted(sub.students["grade"].unique()) if n_students else []
    span = f"grades {grade_label(grades[0])}–{grade_label(grades[-1])}" if grades else ""
    if len(cycles):
        lede = (f"The story of the {cycles['school_year'].iloc[0]} school year in "
                f"{len(cycles)} six-week cycles: {n_students if n_students >= min_n else 'a few'}"
                f" students, {span}, {sub.classrooms['classroom_id'].nunique()} classrooms.")
        through = (f"Data through the end of cycle {int(cycles['cycle_id'].iloc[-1])} "
                   f"({cycles['end'].iloc[-1]:%B %d, %Y}).")
    else:
        lede, through = "The implementation survey.", ""
    footer = (f"{through} Mastery method: {method.replace('_', ' ')}; mastery line: "
              f"Proficient (3). Minimum group size: {min_n}. Made with coachkit showcase.")
    page = _render(f"Inquiry lab: {school_name}", lede, sections, footer, int(min_n))
    tables = [t for s in sections for t in s.tables]

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    staging = out / f"{STAGING_PREFIX}{secrets.token_hex(4)}"
    staging.mkdir()
    try:
        (staging / HTML_NAME).write_text(page, encoding="utf-8")
        for t in tables:
            _write_csv(t.data, staging / f"{CSV_PREFIX}{t.name}.csv")
        findings = pd.concat([small_counts(tables, int(min_n)),
                              scan([staging], ds, min_n=int(min_n))], ignore_index=True)
        if len(findings):
            findings["path"] = findings["path"].map(lambda p: Path(p).name)
            raise ShowcaseRefused(
                f"the showcase for {school} was NOT written: its own output shows "
                f"{len(findings)} finding(s) ({', '.join(sorted(set(findings['kind'])))}); "
                "the files were deleted", findings)
        for old in list(out.glob(f"{CSV_PREFIX}*.csv")) + [out / HTML_NAME]:
            if old.is_file():
                old.unlink()
        for f in staging.iterdir():
            os.replace(f, out / f.name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return out / HTML_NAME


def _random_key() -> str:
    """A one-time key for a build nobody needs to reproduce; it is never written."""
    return secrets.token_hex(16)


def read_key(key_file=None) -> tuple[str | bytes, str]:
    """The pseudonym key and where it came from: KEY_FILE, else $COACHKIT_SHOWCASE_KEY,
    else a one-time random key (``where == "random"``). ValueError for a key shorter than
    16 bytes."""
    if key_file:
        key = Path(key_file).read_bytes().strip()
        where = f"--key-file {key_file}"
    elif os.environ.get(KEY_ENV):
        key = os.environ[KEY_ENV].strip().encode("utf-8")
        where = f"${KEY_ENV}"
    else:
        return _random_key(), "random"
    if len(key) < 16:
        raise ValueError(f"the key from {where} is {len(key)} bytes; use at least 16 "
                         "(e.g. python -c 'import secrets; print(secrets.token_hex(16))')")
    return key, where
