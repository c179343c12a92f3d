"""Figures about progress on the continuum: the data wall, targets many students miss,
pace and projection, growth, retakes and the equity view."""
from __future__ import annotations

import html

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ..i18n import t
from ..schema import STAGES
from .theme import STAGE_COLORS, style


def _names(students: pd.DataFrame) -> pd.Series:
    return (students["first_name"].astype(str) + " " + students["last_name"].astype(str)).set_axis(
        students["student_id"].astype(str))


def data_wall(mastery: pd.DataFrame, targets: pd.DataFrame, students: pd.DataFrame, *,
              subject: str | None = None, language: str = "en", label: str = "name") -> go.Figure:
    """Students x targets, coloured by stage (i-learn, i-practice, i-show).

    Rows are the classroom's students (those without evidence too), ordered by how far
    along the continuum they are; columns are the subject's targets in sequence order.
    Hover shows the level, how many scores it rests on and the date of the latest one.
    label="name" shows names (for the teacher's team); "id" shows student ids.
    """
    tg = targets if subject is None else targets[targets["subject"] == subject]
    tg = tg.sort_values(["subject", "grade", "sequence"])
    tg = tg[tg["grade"].isin(students["grade"].unique())] if "grade" in students else tg
    ids = students["student_id"].astype(str).tolist()
    m = mastery.assign(student_id=mastery["student_id"].astype(str),
                       target_id=mastery["target_id"].astype(str))
    m = m[m["student_id"].isin(ids) & m["target_id"].isin(tg["target_id"].astype(str))]
    stage_code = {s: i for i, s in enumerate(STAGES)}
    z = pd.DataFrame(0, index=ids, columns=tg["target_id"].astype(str).tolist(), dtype=float)
    hover = pd.DataFrame(t("not started", language), index=z.index, columns=z.columns, dtype=object)
    if len(m):
        codes = m["stage"].astype(str).map(stage_code).to_numpy(dtype=float)
        z_long = pd.Series(codes, index=pd.MultiIndex.from_arrays([m["student_id"], m["target_id"]]))
        z.update(z_long.unstack())
        text = (m["stage"].astype(str) + "<br>" + t("level", language) + " "
                + m["mastery"].round(2).astype(str) + " (" + m["n_evidence"].astype(str) + " "
                + t("scores", language) + ", " + t("latest", language) + " "
                + pd.to_datetime(m["last_date"]).dt.strftime("%Y-%m-%d") + ")")
        if "n_evidence" in m.columns:             # a pair with a level set by hand only
            bare = m["n_evidence"].fillna(0).to_numpy() == 0
            text = text.where(~bare, m["stage"].astype(str) + "<br>" + t("level", language)
                              + " " + m["mastery"].round(2).astype(str))
        if "override_note" in m.columns:          # the teacher's judgment, said as such
            note = m["override_note"].astype(object)
            has = note.notna() & (note.astype(str) != "")
            text = text.where(~has, text + "<br>" + note.map(lambda x: html.escape(str(x))))
        hover.update(pd.Series(text.to_numpy(), index=z_long.index).unstack())
    order = z.sum(axis=1).sort_values(ascending=False, kind="stable").index
    z, hover = z.loc[order], hover.loc[order]
    who = _names(students) if label == "name" else pd.Series(ids, index=ids)
    rows = [who.get(i, i) for i in z.index]
    codes = dict(zip(tg["target_id"].astype(str), tg["code"].astype(str)))
    statements = dict(zip(tg["target_id"].astype(str), tg["statement"].astype(str)))
    cols = [codes[c] for c in z.columns]
    custom = np.array([[statements[c] for c in z.columns]] * len(z.index), dtype=object)
    colors = [STAGE_COLORS[s] for s in STAGES]
    scale = [[0, colors[0]], [1 / 3, colors[0]], [1 / 3, colors[1]], [2 / 3, colors[1]],
             [2 / 3, colors[2]], [1, colors[2]]]
    fig = go.Figure(go.Heatmap(
        z=z.to_numpy(), x=cols, y=rows, text=hover.to_numpy(), customdata=custom,
        zmin=-0.5, zmax=2.5, colorscale=scale, xgap=1, ygap=1,
        hovertemplate="%{y}<br><b>%{x}</b> %{customdata}<br>%{text}<extra></extra>",
        colorbar=dict(tickvals=[0, 1, 2], ticktext=list(STAGES), title=""),
    ))
    fig.update_yaxes(autorange="reversed", tickfont=dict(size=11))
    fig.update_xaxes(tickangle=-60, tickfont=dict(size=10), side="top")
    return style(fig, title=t("Data wall", language) + (f": {subject}" if subject else ""),
                 height=max(320, 22 * len(rows) + 160))


def stage_counts(mastery: pd.DataFrame, targets: pd.DataFrame, *, subject: str | None = None,
                 n_students: int | None = None, language: str = "en") -> go.Figure:
    """For each target in sequence: how many students are at each stage.

    Students with no evidence on a target count as i-learn when n_students is given.
    """
    tg = targets if subject is None else targets[targets["subject"] == subject]
    tg = tg.sort_values("sequence")
    m = mastery[mastery["target_id"].astype(str).isin(tg["target_id"].astype(str))]
    counts = (m.groupby([m["target_id"].astype(str), m["stage"].astype(str)]).size()
              .unstack(fill_value=0).reindex(index=tg["target_id"].astype(str),
                                             columns=list(STAGES), fill_value=0))
    if n_students is not None:
        counts["i-learn"] += n_students - counts.sum(axis=1)
    codes = tg["code"].astype(str).tolist()
    fig = go.Figure([go.Bar(name=s, x=codes, y=counts[s], marker_color=STAGE_COLORS[s],
                            hovertemplate="%{x}: %{y} " + t("students", language) + f" ({s})<extra></extra>")
                     for s in STAGES])
    fig.update_layout(barmode="stack", xaxis_tickangle=-60)
    fig.update_yaxes(title=t("students", language))
    title = t("Where students are, target by target", language)
    return style(fig, title=f"{title}: {subject}" if subject else title)


def bars(table: pd.DataFrame, x: str, y: str, *, title: str, color: str | None = None,
         text: str | None = None, orientation: str = "v", hover: str | None = None,
         height: int | None = None) -> go.Figure:
    """A plain bar chart in coachkit's style (used for pace, growth, retakes, equity)."""
    kw = dict(x=table[x], y=table[y]) if orientation == "v" else dict(x=table[y], y=table[x])
    fig = go.Figure(go.Bar(orientation=orientation, marker_color=color or "#2a7ab0",
                           text=table[text] if text else None, textposition="auto",
                           hovertext=table[hover] if hover else None, **kw))
    if orientation == "h":
        fig.update_yaxes(autorange="reversed")
    return style(fig, title=title, height=height)


def continuum_progress(projection: pd.DataFrame, names: pd.Series | None = None, *,
                       subject: str | None = None, language: str = "en") -> go.Figure:
    """Per student: targets of the grade mastered (solid) and remaining (light), with the
    projected finish in the hover and on-track students' bars in blue, others in amber."""
    p = projection if subject is None else projection[projection["subject"] == subject]
    p = p.sort_values(["targets_mastered", "student_id"], ascending=[True, True])
    who = p["student_id"].astype(str)
    if names is not None:
        who = who.map(names).fillna(who)
    finish = pd.to_datetime(p["projected_date"]).dt.strftime("%b %d, %Y").fillna("not at this pace")
    hover = ("on track" if language == "en" else "a tiempo")
    on = p["on_track"].astype(bool).to_numpy()
    custom = np.stack([finish, p["on_track"].map({True: hover, False: "—"})], axis=1)
    mastered = t("targets mastered", language)
    # one trace per colour, so the legend names each: blue on track, amber not yet, grey to go
    fig = go.Figure([
        go.Bar(y=who[on], x=p["targets_mastered"][on], orientation="h", marker_color="#2a7ab0",
               name=f"{mastered}: {hover}", customdata=custom[on],
               hovertemplate="%{y}: %{x} " + mastered
                             + "<br>finish: %{customdata[0]} %{customdata[1]}<extra></extra>"),
        go.Bar(y=who[~on], x=p["targets_mastered"][~on], orientation="h",
               marker_color="#f2b134", name=f"{mastered}: not on track yet",
               customdata=custom[~on],
               hovertemplate="%{y}: %{x} " + mastered
                             + "<br>finish: %{customdata[0]} %{customdata[1]}<extra></extra>"),
        go.Bar(y=who, x=p["remaining"], orientation="h", marker_color="#e6e6e6",
               name="targets still to go", hoverinfo="skip"),
    ])
    fig.update_yaxes(categoryorder="array", categoryarray=list(who))
    fig.update_layout(legend_traceorder="normal")
    fig.update_layout(barmode="stack")
    fig.update_xaxes(title=t("targets mastered", language))
    title = "Progress on the grade's continuum" + (f": {subject}" if subject else "")
    return style(fig, title=title, height=max(300, 20 * len(p) + 140))


def growth_bars(growth: pd.DataFrame, names: pd.Series | None = None, *,
                subject: str | None = None) -> go.Figure:
    """Targets newly mastered between two cycles, per student."""
    g = growth if subject is None else growth[growth["subject"] == subject]
    g = g.sort_values("mastered_change", kind="stable")
    who = g["student_id"].astype(str)
    if names is not None:
        who = who.map(names).fillna(who)
    fig = go.Figure(go.Bar(x=g["mastered_change"], y=who, orientation="h",
                           marker_color=np.where(g["mastered_change"] > 0, "#2a7ab0", "#d7301f"),
                           hovertemplate="%{y}: %{x} targets this cycle<extra></extra>"))
    fig.update_xaxes(title="targets newly mastered this cycle")
    c0, c1 = (int(g["from_cycle"].iloc[0]), int(g["to_cycle"].iloc[0])) if len(g) else ("?", "?")
    return style(fig, title=f"Growth from cycle {c0} to cycle {c1}" + (f": {subject}" if subject else ""),
                 height=max(300, 20 * len(g) + 140))


def retakes(attempts: pd.DataFrame, targets: pd.DataFrame, *, subject: str | None = None,
            top: int = 15) -> go.Figure:
    """Mean attempts students needed to reach proficient, for the targets needing most."""
    a = attempts.merge(targets[["target_id", "code", "subject", "statement"]], on="target_id")
    if subject is not None:
        a = a[a["subject"] == subject]
    a = a.sort_values("mean_attempts", ascending=False).head(top)
    fig = go.Figure(go.Bar(
        x=a["code"], y=a["mean_attempts"], marker_color="#8c6bb1",
        customdata=np.stack([a["statement"], a["n_reached"], a["n_students"]], axis=1),
        hovertemplate="<b>%{x}</b> %{customdata[0]}<br>%{y:.1f} attempts on average; "
                      "%{customdata[1]} of %{customdata[2]} students proficient<extra></extra>"))
    fig.update_yaxes(title="attempts to proficient (mean)")
    return style(fig, title="Where students needed the most retakes" + (f": {subject}" if subject else ""))
