"""Figures about flexible groups: group cards, membership across cycles (Sankey), and the
composition of groups against the classroom."""
from __future__ import annotations

import html
import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ..talk import student_names
from .theme import STAGE_COLORS, style

LOWEST = "#d7301f"
GROUP_FILL = "#eef4f9"
GROUP_LINE = STAGE_COLORS["i-show"]
EXTENSION_FILL = "#eef7ee"
EXTENSION_LINE = "#1b7837"


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
        raise ValueError(f"label must be 'name' or 'id'; got {label!r}")
    lookup = student_names(students)              # same-name students told apart
    return ids.map(lambda s: lookup.get(s, s))


def composition_notes(comp: pd.DataFrame | None) -> dict:
    """group -> "2 English learners, 1 with an IEP · ⚑ English learners concentrated" from
    ``coachkit.grouping.composition`` (teacher's view: counts as they are). A flag is
    raised where a subgroup is over-represented in the group (composition's "over")."""
    if comp is None or not len(comp):
        return {}
    words = {"ell": ("English learner", "English learners"),
             "iep": ("with an IEP", "with IEPs")}
    out = {}
    for g, part in comp.groupby("group", sort=True):
        bits, flags = [], []
        for ch, (one, many) in words.items():
            row = part[part["characteristic"] == ch]
            if not len(row):
                continue
            r = row.iloc[0]
            if pd.isna(r["count"]):
                bits.append(f"{one if ch == 'iep' else many}: hidden")
                continue
            c = int(r["count"])
            bits.append(f"{c} {one if c == 1 else many}")
            if r.get("flag") == "over":
                flags.append(many if ch == "ell" else "students " + many)
        for r in part[part["characteristic"].astype(str).str.startswith("home_language")
                      & (part["flag"] == "over")].itertuples(index=False):
            flags.append(str(r.characteristic).replace("home_language: ", "home language "))
        text = ", ".join(bits)
        if flags:
            text += " · ⚑ concentrated: " + ", ".join(flags)
        out[g] = text
    return out


def group_cards(groups: pd.DataFrame, students: pd.DataFrame | None = None, *,
                label: str = "id", columns: int = 3, title: str | None = "Flexible groups",
                composition: pd.DataFrame | None = None) -> go.Figure:
    """One card per group: group number, focus target, the reason, and its members.

    ``groups``: flexible_groups() or peer_groups() output for one classroom. Members are
    shown by student id, or by name with ``students`` and ``label="name"`` (teacher's team
    only; two students with the same name carry the end of their id). Students a teacher
    pinned or moved carry a ✎ mark; peer experts a ★. Extension groups (students who
    finished the grade) say so in their heading. Gaps (``method="need"``: an earlier
    target to re-teach) are listed under the members. ``composition``: the groups'
    ``coachkit.grouping.composition`` table, shown on each card with a ⚑ where one
    subgroup is concentrated.
    """
    if not isinstance(groups, pd.DataFrame) or not {"student_id", "group", "reason"} <= set(groups):
        raise ValueError("group_cards needs flexible_groups() output (student_id, group, reason)")
    if not isinstance(columns, int) or columns < 1:
        raise ValueError(f"columns must be a whole number >= 1; got {columns!r}")
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
    name_of = dict(zip(g["student_id"].astype(str), g["_who"]))
    mark = pd.Series("", index=g.index)
    if "changed_by" in g:
        mark = mark.where(g["changed_by"].isna(), " ✎")
    if "role" in g:
        mark = mark + np.where(g["role"].astype(str) == "peer expert", " ★", "")
    g["_who"] = g["_who"] + mark
    notes = composition_notes(composition)
    numbers = sorted(g["group"].unique())
    rows = max(1, math.ceil(len(numbers) / columns))
    w = 1.0 / columns
    fig = go.Figure()
    cards = []
    for i, num in enumerate(numbers):
        part = g[g["group"] == num]
        extension = "kind" in part and (part["kind"] == "extension").any()
        # the focus is named (code and statement) in the reason, not by its internal id
        kind = " · extension" if extension else ""
        head = f"<b>Group {num}</b>{kind} · {len(part)} students"
        body = _wrap(html.escape(str(part["reason"].iloc[0])), 48)
        members = _wrap(html.escape(", ".join(part["_who"].tolist())), 48)
        text = f"{head}<br><i>{body}</i><br><br>{members}"
        if "gaps" in part:
            gaps = [f"{name_of[str(s)]}: {gp}" for s, gp in zip(part["student_id"], part["gaps"])
                    if isinstance(gp, str) and gp]
            if gaps:
                text += "<br><br>" + _wrap(html.escape("Also re-teach: " + "; ".join(gaps)), 48)
        if num in notes and notes[num]:
            text += "<br><br>" + _wrap(html.escape(notes[num]), 48)
        cards.append((num, extension, text))
    # each row of cards as tall as its longest card (lines of 12 px text), so no text
    # runs past its card's border
    line_px, pad_px = 16, 22
    lines = [c[2].count("<br>") + 1 for c in cards]
    row_px = [max(lines[r * columns:(r + 1) * columns]) * line_px + pad_px for r in range(rows)]
    total = float(sum(row_px))
    tops = np.concatenate([[0.0], np.cumsum(row_px)]) / total
    for i, (num, extension, text) in enumerate(cards):
        col, row = i % columns, i // columns
        x0, x1 = col * w + 0.01, (col + 1) * w - 0.01
        y1, y0 = 1 - tops[row] - 4 / total, 1 - tops[row + 1] + 4 / total
        fig.add_shape(type="rect", x0=x0, x1=x1, y0=y0, y1=y1, xref="paper", yref="paper",
                      line=dict(color=EXTENSION_LINE if extension else GROUP_LINE, width=1.5),
                      fillcolor=EXTENSION_FILL if extension else GROUP_FILL, layer="below")
        fig.add_annotation(x=x0 + 0.01, y=y1 - 6 / total, xref="paper", yref="paper",
                           xanchor="left", yanchor="top", align="left", showarrow=False,
                           text=text, font=dict(size=12))
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return style(fig, title=title, height=max(260, int(total) + 110))


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
    h["_ext"] = (history["kind"] == "extension").to_numpy() if "kind" in history else False
    nodes = h.groupby([cycle, "group"], sort=True).agg(n=("student_id", "size"),
                                                        level=(level, "first"),
                                                        ext=("_ext", "any")).reset_index()
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
    column = {c: 0.01 + 0.98 * i / max(1, len(cycles) - 1) for i, c in enumerate(cycles)}
    x = [column[c] for c in nodes[cycle]]
    colors = np.where(nodes["lowest"], LOWEST, GROUP_LINE).tolist()
    # short node labels (the group's number, "4 (ext.)" for an extension group): the
    # column's heading says "cycle 3", so labels fit between the columns even
    # where the last column's labels (drawn left of its nodes) meet the column before's;
    # the hover says it all
    full = [f"cycle {c} · group {g}" + (" (extension)" if e else "")
            for c, g, e in zip(nodes[cycle], nodes["group"], nodes["ext"])]
    fig = go.Figure(go.Sankey(
        arrangement="snap",
        node=dict(label=[f"{g}" + (" (ext.)" if e else "")
                         for g, e in zip(nodes["group"], nodes["ext"])],
                  color=colors, x=x, pad=12, thickness=14,
                  customdata=np.stack([full, nodes["n"].to_numpy()], axis=1),
                  hovertemplate="%{customdata[0]}: %{customdata[1]} students<extra></extra>"),
        link=dict(source=src, target=dst, value=links["value"].to_numpy(),
                  color="rgba(42,122,176,0.25)")))
    for c in cycles:
        fig.add_annotation(x=column[c], y=1.0, xanchor="right" if c == cycles[-1] else "left",
                           xref="paper", yref="paper", yanchor="bottom", showarrow=False,
                           text=f"<b>cycle {c}</b>", font=dict(size=12))
    if nodes["lowest"].any():
        fig.add_annotation(x=0, y=-0.02, xref="paper", yref="paper", xanchor="left",
                           yanchor="top", showarrow=False, align="left",
                           text=f"<span style='color:{LOWEST}'>■</span> red: the lowest group "
                                "of each cycle (working on the earliest target). A red band that "
                                "keeps the same students is a group turning into a track."
                                "<br>Each column is a cycle, each block one of its groups (by "
                                "number); ext.: an extension group (the next grade's targets).")
    fig = style(fig, title=title, height=420)
    fig.update_layout(margin=dict(t=84, b=70))
    return fig


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
