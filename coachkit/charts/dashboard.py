"""Figures of the principal dashboard: one school's grades and classrooms at a glance.

Inputs are small aggregated tables (one row per grade and subject, per subgroup, per
classroom) that ``coachkit.widgets.principal`` computes; every figure follows the shared
theme.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ..schema import grade_label
from .theme import style

SUBJECT_COLORS = {"math": "#2a7ab0", "ela": "#8c6bb1"}
PLAN = "#d7301f"



def _x(table: pd.DataFrame) -> list[str]:
    return ["Grade " + grade_label(g) for g in table["grade"]]


def continuum_by_grade(table: pd.DataFrame, *, title: str = "Progress on the continuum by grade"
                       ) -> go.Figure:
    """Share of the grade's targets mastered to date, per grade and subject, with the
    share the year plan expects by this cycle as a red tick. ``table``: grade, subject,
    n_students, share_mastered, expected."""
    fig = go.Figure()
    for subj, t in table.groupby("subject", sort=False):
        fig.add_bar(name=subj, x=_x(t), y=t["share_mastered"],
                    marker_color=SUBJECT_COLORS.get(subj, "#888"), offsetgroup=subj,
                    customdata=np.stack([t["n_students"], t["expected"]], axis=1),
                    hovertemplate="%{x} " + subj + ": %{y:.0%} of targets mastered "
                                  "(%{customdata[0]} students)<br>year plan: "
                                  "%{customdata[1]:.0%}<extra></extra>")
    if len(table):
        plan = float(table["expected"].iloc[0])
        fig.add_hline(y=plan, line=dict(color=PLAN, dash="dash"),
                      annotation_text=("end of year: the year plan was the whole continuum"
                                       if plan >= 1 else "year plan by this cycle"),
                      annotation_position="top left")
    fig.update_layout(barmode="group")
    fig.update_yaxes(tickformat=".0%", range=[0, 1], title="targets of the grade mastered")
    return style(fig, title=title, height=380)


def on_track_by_grade(table: pd.DataFrame, *, title: str = "On track to finish the grade this year"
                      ) -> go.Figure:
    """Share of students on track per grade and subject; hover gives the recent pace.
    ``table``: grade, subject, n_students, share_on_track, pace."""
    fig = go.Figure()
    for subj, t in table.groupby("subject", sort=False):
        fig.add_bar(name=subj, x=_x(t), y=t["share_on_track"],
                    marker_color=SUBJECT_COLORS.get(subj, "#888"),
                    customdata=np.stack([t["n_students"], t["pace"]], axis=1),
                    hovertemplate="%{x} " + subj + ": %{y:.0%} on track of %{customdata[0]}"
                                  "<br>pace %{customdata[1]:.2f} targets/week<extra></extra>")
    fig.update_layout(barmode="group")
    fig.update_yaxes(tickformat=".0%", range=[0, 1], title="students on track")
    return style(fig, title=title, height=360)


def growth_by_grade(table: pd.DataFrame, *, title: str = "Growth since the last cycle"
                    ) -> go.Figure:
    """Mean targets newly mastered per student since the previous cycle, per grade and
    subject. ``table``: grade, subject, n_students, growth."""
    fig = go.Figure()
    for subj, t in table.groupby("subject", sort=False):
        fig.add_bar(name=subj, x=_x(t), y=t["growth"], marker_color=SUBJECT_COLORS.get(subj, "#888"),
                    customdata=t["n_students"],
                    hovertemplate="%{x} " + subj + ": %{y:.1f} targets per student "
                                  "(%{customdata} students)<extra></extra>")
    fig.update_layout(barmode="group")
    fig.update_yaxes(title="targets newly mastered per student")
    return style(fig, title=title, height=360)


def equity_bars(table: pd.DataFrame, value: str = "share_mastered", *,
                title: str = "Share of the grade's targets mastered, by group") -> go.Figure:
    """One bar per subgroup and subject. Suppressed groups have no bar and read
    "suppressed" with their count shown as "<10". ``table``: subject, group, n_label,
    suppressed and the value column."""
    fig = go.Figure()
    for subj, t in table.groupby("subject", sort=False):
        y = t[value].where(~t["suppressed"])
        text = np.where(t["suppressed"], "suppressed", y.map(lambda v: f"{v:.0%}" if pd.notna(v) else ""))
        fig.add_bar(name=subj, x=t["group"] + " (n=" + t["n_label"].astype(str) + ")", y=y,
                    text=text, textposition="outside", cliponaxis=False,
                    marker_color=SUBJECT_COLORS.get(subj, "#888"),
                    hovertemplate="%{x} " + subj + ": %{text}<extra></extra>")
    fig.update_layout(barmode="group")
    fig.update_yaxes(tickformat=".0%", range=[0, 1.1])
    fig.update_xaxes(tickangle=-30)
    return style(fig, title=title, height=420)


def classroom_fluidity(table: pd.DataFrame, *,
                       title: str = "Flexible groups by classroom: change and the lowest group"
                       ) -> go.Figure:
    """Share of students who changed group last cycle per classroom and subject (bars),
    labelled with how many students sat in the lowest group 3+ cycles in a row.
    ``table``: classroom_id, subject, share_changed, n_stuck."""
    fig = go.Figure()
    for subj, t in table.groupby("subject", sort=False):
        fig.add_bar(name=subj, x=t["classroom_id"], y=t["share_changed"],
                    marker_color=SUBJECT_COLORS.get(subj, "#888"),
                    text=[f"{n} stuck" if n else "" for n in t["n_stuck"]], textposition="outside",
                    cliponaxis=False, customdata=t["n_stuck"],
                    hovertemplate="%{x} " + subj + ": %{y:.0%} changed group; "
                                  "%{customdata} in the lowest group 3+ cycles<extra></extra>")
    fig.update_layout(barmode="group")
    fig.update_yaxes(tickformat=".0%", range=[0, 1.1], title="changed group last cycle")
    fig.update_xaxes(tickangle=-45)
    return style(fig, title=title, height=400)
