"""Figures about flexible groups: group cards, membership across cycles (Sankey), and the
composition of groups against the classroom."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from .theme import STAGE_COLORS, style

LOWEST = "#d7301f"
GROUP_FILL = "#eef4f9"
GROUP_LINE = STAGE_COLORS["i-show"]


def _wrap(text: str, width: int) -> str:
    words, lines, line = str(text).split(), [], ""
    for w in words:
        if line and len(line) + 1 + len(w) > width:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    if line:
        lines.append(line)
    return "<br>".join(lines)


def _who(groups: pd.DataFrame, students: pd.DataFrame | None, label: str) -> pd.Series:
    ids = groups["student_id"].astype(str)
    if label == "id" or students is None:
        return ids
    if label != "name":
        raise ValueError(f"label must be 'name' or 'id'; received {label!r}")
    names = (students["first_name"].astype(str) + " " + students["last_name"].astype(str))
    lookup = dict(zip(students["student_id"].astype(str), names))
    return ids.map(lambda s: lookup.get(s, s))


def group_cards(groups: pd.DataFrame, students: pd.DataFrame | None = None, *,
                label: str = "id", columns: int = 3, title: str | None = "Flexible groups"
                ) -> go.Figure:
    """One card per group: group number, focus target, the reason, and its members.

    ``groups``: flexible_groups() or peer_groups() output for one classroom. Members are
    shown by student id, or by name with ``students`` and ``label="name"`` (teacher's team
    only). Students a teacher pinned or moved carry a ✎ mark; peer experts a ★.
    """
    if not isinstance(groups, pd.DataFrame) or not {"student_id", "group", "reason"} <= set(groups):
        raise ValueError("group_cards needs flexible_groups() output (student_id, group, reason)")
    if not isinstance(columns, int) or columns < 1:
        raise ValueError(f"columns must be a whole number >= 1; received {columns!r}")
    # students not in a group (too few in the class to form one) have no card
    g = groups[groups["group"].notna()].copy()
    if not len(g):
        fig = go.Figure()
        fig.add_annotation(x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False,
                           text="No groups: too few students are working on this continuum "
                                "to form one.", font=dict(size=14))
        fig.update_xaxes(visible=False)
        fig.update_yaxes(visible=False)
        return style(fig, title=title, height=200)
    g["_who"] = _who(g, students, label).to_numpy()
    mark = pd.Series("", index=g.index)
    if "changed_by" in g:
        mark = mark.where(g["changed_by"].isna(), " ✎")
    if "role" in g:
        mark = mark + np.where(g["role"].astype(str) == "peer expert", " ★", "")
    g["_who"] = g["_who"] + mark
    numbers = sorted(g["group"].unique())
    rows = max(1, math.ceil(len(numbers) / columns))
    w, h = 1.0 / columns, 1.0 / rows
    fig = go.Figure()
    for i, num in enumerate(numbers):
        part = g[g["group"] == num]
        col, row = i % columns, i // columns
        x0, x1 = col * w + 0.01, (col + 1) * w - 0.01
        y1, y0 = 1 - row * h - 0.01, 1 - (row + 1) * h + 0.01
        fig.add_shape(type="rect", x0=x0, x1=x1, y0=y0, y1=y1, xref="paper", yref="paper",
                      line=dict(color=GROUP_LINE, width=1.5), fillcolor=GROUP_FILL, layer="below")
        focus = part["focus_target_id"].iloc[0] if "focus_target_id" in part else ""
        head = f"<b>Group {num}</b> · focus {focus} · {len(part)} students"
        body = _wrap(part["reason"].iloc[0], 48)
        members = _wrap(", ".join(part["_who"].tolist()), 48)
        fig.add_annotation(x=x0 + 0.01, y=y1 - 0.01, xref="paper", yref="paper",
                           xanchor="left", yanchor="top", align="left", showarrow=False,
                           text=f"{head}<br><i>{body}</i><br><br>{members}",
                           font=dict(size=12))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return style(fig, title=title, height=max(260, 230 * rows))


def group_flow(history: pd.DataFrame, *, cycle: str = "cycle_id",
               title: str | None = "Group membership across cycles") -> go.Figure:
    """Sankey of students flowing between groups from one cycle to the next (one
    classroom). Nodes are "cycle c · group g", sized by students; the lowest group of each
    cycle (smallest focus_position or focus_sequence, else group number) is drawn in red so a band of the same
    students staying low is visible at a glance."""
    need = {cycle, "student_id", "group"}
    if not isinstance(history, pd.DataFrame) or not need <= set(history):
        raise ValueError(f"group_flow needs a history with columns {sorted(need)}")
    if "classroom_id" in history and history["classroom_id"].nunique() > 1:
        raise ValueError("group_flow draws one classroom; filter the history to one classroom_id")
    level = next((c for c in ("focus_position", "focus_sequence") if c in history), "group")
    h = history[[cycle, "student_id", "group"] + ([level] if level != "group" else [])].copy()
    nodes = h.groupby([cycle, "group"], sort=True).agg(n=("student_id", "size"),
                                                        level=(level, "first")).reset_index()
    low = nodes.groupby(cycle)["level"].transform("min")
    many = nodes.groupby(cycle)["group"].transform("nunique") > 1
    nodes["lowest"] = (nodes["level"] == low) & many
    nodes["idx"] = np.arange(len(nodes))
    cycles = sorted(h[cycle].unique())
    nxt = dict(zip(cycles[:-1], cycles[1:]))
    a = h.assign(_to=h[cycle].map(nxt)).dropna(subset=["_to"])
    a["_to"] = a["_to"].astype(h[cycle].dtype)
    b = h.rename(columns={cycle: "_to", "group": "group_to"})[["_to", "student_id", "group_to"]]
    links = a.merge(b, on=["_to", "student_id"]).groupby([cycle, "group", "_to", "group_to"]) \
        .size().rename("value").reset_index()
    idx = nodes.set_index([cycle, "group"])["idx"]
    src = idx.loc[list(zip(links[cycle], links["group"]))].to_numpy()
    dst = idx.loc[list(zip(links["_to"], links["group_to"]))].to_numpy()
    pos = {c: i for i, c in enumerate(cycles)}
    x = [0.01 + 0.98 * pos[c] / max(1, len(cycles) - 1) for c in nodes[cycle]]
    colors = np.where(nodes["lowest"], LOWEST, GROUP_LINE).tolist()
    fig = go.Figure(go.Sankey(
        arrangement="snap",
        node=dict(label=[f"cycle {c} · group {g}" for c, g in zip(nodes[cycle], nodes["group"])],
                  color=colors, x=x, pad=12, thickness=14,
                  customdata=nodes["n"].to_numpy(),
                  hovertemplate="%{label}: %{customdata} students<extra></extra>"),
        link=dict(source=src, target=dst, value=links["value"].to_numpy(),
                  color="rgba(42,122,176,0.25)")))
    return style(fig, title=title, height=420)


def group_composition(comp: pd.DataFrame, *, title: str | None = "Who is in each group"
                      ) -> go.Figure:
    """Heatmap of the disproportion ratio (group share ÷ classroom share) per group and
    characteristic, from ``coachkit.grouping.composition`` for one classroom. Cells show the
    counts ("2 of 5 · class 20%"); red is over-represented, blue under, grey suppressed."""
    need = {"group", "characteristic", "ratio", "count", "group_n", "classroom_share", "flag"}
    if not isinstance(comp, pd.DataFrame) or not need <= set(comp):
        raise ValueError(f"group_composition needs composition() output with {sorted(need)}")
    if "classroom_id" in comp and comp["classroom_id"].nunique() > 1:
        raise ValueError("group_composition draws one classroom; filter to one classroom_id")
    chars = list(dict.fromkeys(comp["characteristic"]))
    groups = sorted(comp["group"].unique())
    z = np.full((len(groups), len(chars)), np.nan)
    text = np.full((len(groups), len(chars)), "", dtype=object)
    gi = {g: i for i, g in enumerate(groups)}
    ci = {c: i for i, c in enumerate(chars)}
    for r in comp.itertuples(index=False):
        i, j = gi[r.group], ci[r.characteristic]
        if pd.isna(r.ratio) and bool(getattr(r, "suppressed", False)):
            text[i, j] = "suppressed"
            continue
        z[i, j] = np.log2(max(r.ratio, 1 / 8)) if pd.notna(r.ratio) else np.nan
        flag = f" · {r.flag}" if isinstance(r.flag, str) and r.flag else ""
        text[i, j] = f"{int(r.count)} of {int(r.group_n)}<br>class {r.classroom_share:.0%}{flag}"
    fig = go.Figure(go.Heatmap(
        z=z, x=chars, y=[f"group {g}" for g in groups], text=text, texttemplate="%{text}",
        zmin=-2, zmax=2, colorscale="RdBu_r", xgap=2, ygap=2,
        colorbar=dict(title="ratio", tickvals=[-2, -1, 0, 1, 2],
                      ticktext=["¼×", "½×", "1×", "2×", "4×"]),
        hovertemplate="%{y}, %{x}: %{text}<extra></extra>"))
    fig.update_yaxes(autorange="reversed")
    return style(fig, title=title, height=max(300, 70 * len(groups) + 120))
