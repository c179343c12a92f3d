"""Figures for the implementation survey and the twelve conditions.

    scores = ck.surveys.construct_scores(responses, items, by=("year", "respondent"))
    ck.charts.construct_bars(scores)          # two years side by side, student and staff panels
    ck.charts.conditions_heatmap(conditions)  # school x condition, latest year
    ck.charts.conditions_radar(conditions, school_id="district")

Every function takes the tidy table the analysis returns and gives a plotly figure styled
with :func:`coachkit.charts.theme.style`. Suppressed groups draw no bar; the caption says
how many were suppressed.
"""
from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..errors import CoachkitDataError
from ..schema import CONDITIONS, DISTRICT, RESPONDENTS
from .theme import LEVEL_COLORS, style

__all__ = ["construct_bars", "n_caption", "conditions_heatmap", "conditions_radar",
           "YEAR_COLORS"]

# earlier years lighter, the latest year the theme's strong blue
YEAR_COLORS = ("#b9d3e6", "#6fa8d0", "#2a7ab0", "#1b4f72")
BAND_LINES = ((2.0, "moderate to strong (2)"), (3.0, "strong (3)"))
PANEL_TITLES = {"student": "Students", "staff": "Staff"}
BARGAP = 0.25


def _wrap(label: str, width: int = 16) -> str:
    return "<br>".join(textwrap.wrap(str(label), width)) or str(label)


def _year_colors(years) -> dict:
    palette = YEAR_COLORS[-len(years):] if len(years) <= len(YEAR_COLORS) else \
        [YEAR_COLORS[i % len(YEAR_COLORS)] for i in range(len(years))]
    return dict(zip(years, palette))


def _pick_years(scores: pd.DataFrame, years) -> list:
    present = sorted(pd.unique(scores["year"]).tolist())
    if years is None:
        return present[-2:]
    years = list(years) if np.ndim(years) else [years]
    unknown = [y for y in years if y not in present]
    if unknown:
        raise CoachkitDataError(f"year(s) {unknown} not in the scores (years: {present})",
                                table="construct scores", column="year", found=unknown)
    return years


def n_caption(scores: pd.DataFrame, *, years=None, min_n: int | None = None) -> str:
    """The caption line of n ranges, as survey reports print it.

    ``"Students: n=1229-1455 (2022); n=1415-1723 (2023). Staff: n=108-121 (2022); ..."``
    from a :func:`coachkit.surveys.construct_scores` table, plus how many constructs were
    suppressed (fewer than ``min_n`` respondents, read from ``n_label`` when not given).
    """
    from ..surveys import n_ranges
    years = _pick_years(scores, years)
    sub = scores[scores["year"].isin(years)]
    ranges = n_ranges(sub, by=("respondent", "year"))
    parts, suppressed = [], 0
    for respondent in [r for r in RESPONDENTS if r in set(ranges["respondent"])]:
        bits = []
        for _, r in ranges[ranges["respondent"] == respondent].iterrows():
            suppressed += int(r["n_suppressed"])
            if pd.isna(r["n_min"]):
                bits.append(f"all suppressed ({r['year']})")
            elif r["n_min"] == r["n_max"]:
                bits.append(f"n={r['n_min']} ({r['year']})")
            else:
                bits.append(f"n={r['n_min']}\u2013{r['n_max']} ({r['year']})")
        parts.append(f"{PANEL_TITLES.get(respondent, respondent)}: {'; '.join(bits)}.")
    text = " ".join(parts)
    if suppressed:
        if min_n is None and "n_label" in sub.columns:
            labels = sub.loc[sub["suppressed"].astype(bool), "n_label"].dropna()
            first = labels.iloc[0] if len(labels) else ""
            min_n = first.lstrip("<") if first.startswith("<") else None
        under = f" (under {min_n} respondents)" if min_n is not None else ""
        text += f" {suppressed} construct result(s) suppressed{under}."
    return text


def construct_bars(scores: pd.DataFrame, *, years=None, title: str | None = None,
                   show_ci: bool = True, height: int | None = None) -> go.Figure:
    """Grouped bars of construct means, two years side by side, student and staff panels.

    ``scores`` is a :func:`coachkit.surveys.construct_scores` table with one row per
    year, respondent type and construct (group ``by=("year", "respondent")``, or filter to
    one school or subgroup first). ``years`` defaults to the last two. Dotted lines at 2
    and 3 mark the evidence bands; the caption gives the n ranges; 95% intervals are
    drawn as error bars unless ``show_ci=False``.
    """
    need = ["year", "respondent", "construct", "mean"]
    missing = [c for c in need if c not in scores.columns]
    if missing:
        raise CoachkitDataError(f"construct_bars: the scores table lacks {missing}; pass the "
                                "table construct_scores returns", table="construct scores",
                                column=missing[0])
    years = _pick_years(scores, years)
    data = scores[scores["year"].isin(years)]
    if data.duplicated(["year", "respondent", "construct"]).any():
        extra = [c for c in data.columns if c not in (
            "year", "respondent", "construct", "n_items", "n", "n_excluded", "mean", "sd",
            "ci_low", "ci_high", "band", "suppressed", "n_label")]
        raise CoachkitDataError(
            "construct_bars: more than one row per year, respondent and construct (grouped "
            f"also by {extra}); filter to one group first, e.g. scores[scores.school_id == 'A']",
            table="construct scores")
    panels = [r for r in RESPONDENTS if r in set(data["respondent"])]
    panels += [r for r in pd.unique(data["respondent"]) if r not in panels]
    fig = make_subplots(rows=max(len(panels), 1), cols=1, vertical_spacing=0.16,
                        subplot_titles=[PANEL_TITLES.get(p, str(p)) for p in panels])
    colors = _year_colors(years)
    for row, panel in enumerate(panels, start=1):
        sub = data[data["respondent"] == panel]
        order = list(pd.unique(sub["construct"]))
        for year in years:
            d = sub[sub["year"] == year].set_index("construct").reindex(order)
            mean = d["mean"].astype("float64")
            error = None
            if show_ci and {"ci_low", "ci_high"} <= set(d.columns):
                error = dict(type="data", symmetric=False, thickness=1, width=3,
                             color="#555555",
                             array=(d["ci_high"].astype("float64") - mean).to_numpy(),
                             arrayminus=(mean - d["ci_low"].astype("float64")).to_numpy())
            n_label = d["n_label"].astype(object) if "n_label" in d.columns else \
                d.get("n", pd.Series(np.nan, index=d.index)).astype(object)
            band = d["band"].astype(object) if "band" in d.columns else \
                pd.Series("", index=d.index)
            fig.add_trace(go.Bar(
                x=[_wrap(c) for c in order], y=mean.to_numpy(), name=str(year),
                legendgroup=str(year), showlegend=row == 1,
                marker_color=colors[year], error_y=error,
                text=[f"{m:.2f}" if np.isfinite(m) else "" for m in mean],
                textposition="inside", insidetextanchor="end",
                customdata=np.column_stack([order, n_label.fillna("").to_numpy(),
                                            band.fillna("suppressed").to_numpy()]),
                hovertemplate="%{customdata[0]}<br>" + str(year) +
                              ": %{y:.2f} (%{customdata[2]})<br>n = %{customdata[1]}"
                              "<extra></extra>"),
                row=row, col=1)
            # a suppressed group draws no bar: say so where the bar would be
            sup = (d["suppressed"].astype("boolean").fillna(False).to_numpy(dtype=bool)
                   if "suppressed" in d.columns else np.zeros(len(d), dtype=bool))
            slot = (1 - BARGAP) / len(years)
            centre = -(1 - BARGAP) / 2 + (years.index(year) + 0.5) * slot
            for i in np.flatnonzero(sup):
                fig.add_annotation(
                    x=i + centre, y=1, xref=f"x{'' if row == 1 else row}",
                    yref=f"y{'' if row == 1 else row}",
                    text=(f"n {n_label.iloc[i]}" if str(n_label.iloc[i]).isalpha()
                          else f"n{n_label.iloc[i]}"),
                    showarrow=False, yanchor="bottom",
                    font=dict(size=10, color="#7f7f7f"),
                    hovertext=(f"{year}: too few respondents here, or hidden to protect "
                               "a group that has too few: not reported"))
        for y, label in BAND_LINES:
            # lines in every panel, labelled in the right margin (clear of the bars)
            fig.add_hline(y=y, line_dash="dot", line_color="#7f7f7f", line_width=1,
                          row=row, col=1)
            fig.add_annotation(x=1.005, xref="paper", y=y, yref=f"y{'' if row == 1 else row}",
                               text=_wrap(label, 12), showarrow=False, xanchor="left",
                               yanchor="middle", align="left",
                               font=dict(size=10, color="#7f7f7f"))
        fig.update_yaxes(range=[1, 4.05], dtick=1, title_text="mean (1\u20134)", row=row, col=1)
    fig.update_layout(barmode="group", bargap=BARGAP, bargroupgap=0.05)
    style(fig, title=title or "Implementation survey by construct",
          height=height or 380 * max(len(panels), 1) + 80)
    # the year legend top right, clear of the title (top left) and the panel titles
    fig.update_layout(legend=dict(orientation="h", x=1, xanchor="right", y=1.0,
                                  yanchor="bottom"))
    caption = n_caption(data, years=years)
    fig.add_annotation(text=_wrap(caption, 140), xref="paper", yref="paper", x=0, y=0,
                       yshift=-110, showarrow=False, xanchor="left", yanchor="top",
                       align="left", font=dict(size=11, color="#555555"))
    fig.update_layout(margin=dict(b=150, r=110, t=80))
    return fig


def _ratings(conditions: pd.DataFrame, year=None):
    from ..conditions import condition_ratings
    r = condition_ratings(conditions)
    years = sorted(pd.unique(r["year"]).tolist())
    if year is None:
        year = years[-1]
    elif year not in years:
        raise CoachkitDataError(f"year {year!r} not in the conditions table (years: {years})",
                                table="conditions", column="year", found=year)
    return r, year


_RATING_SCALE = [(0.0, LEVEL_COLORS[1]), (1 / 3, LEVEL_COLORS[2]),
                 (2 / 3, LEVEL_COLORS[3]), (1.0, LEVEL_COLORS[4])]


def conditions_heatmap(conditions: pd.DataFrame, *, year=None, title: str | None = None,
                       height: int | None = None) -> go.Figure:
    """A school x condition heat map of the ratings (1-4) for one year (default the latest).

    The district's own rating is the first row; hovering a cell shows its note. Unrated
    cells stay blank.
    """
    r, year = _ratings(conditions, year)
    r = r[r["year"] == year]
    schools = list(pd.unique(r["school_id"]))
    z = r.pivot(index="school_id", columns="condition", values="rating") \
        .reindex(index=schools, columns=list(CONDITIONS))
    notes = r.pivot(index="school_id", columns="condition", values="note") \
        .reindex(index=schools, columns=list(CONDITIONS)).astype(object)
    notes = notes.where(notes.notna(), "")
    text = z.map(lambda v: "" if pd.isna(v) else f"{v:g}")
    fig = go.Figure(go.Heatmap(
        z=z.to_numpy(dtype="float64"), x=[_wrap(c, 14) for c in CONDITIONS],
        y=["District" if s == DISTRICT else s for s in schools], zmin=1, zmax=4,
        colorscale=_RATING_SCALE, text=text.to_numpy(), texttemplate="%{text}",
        customdata=np.dstack([np.broadcast_to(np.array(CONDITIONS, dtype=object), z.shape),
                              notes.to_numpy()]),
        hovertemplate="%{y} \u00b7 %{customdata[0]}: %{z}<br>%{customdata[1]}<extra></extra>",
        colorbar=dict(title="rating", tickvals=[1, 2, 3, 4]), xgap=2, ygap=2))
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(side="top", tickangle=0)
    return style(fig, title=title or f"Conditions for scaling, {year}",
                 height=height or 140 + 34 * len(schools))


def conditions_radar(conditions: pd.DataFrame, *, school_id: str = DISTRICT, years=None,
                     title: str | None = None, height: int | None = None) -> go.Figure:
    """A radar of one school's (default the district's) twelve ratings, one trace a year."""
    r, _ = _ratings(conditions)
    r = r[r["school_id"] == str(school_id)]
    if r.empty:
        raise CoachkitDataError(f"no conditions ratings for school_id {school_id!r}",
                                table="conditions", column="school_id", found=school_id)
    present = sorted(pd.unique(r["year"]).tolist())
    years = present if years is None else (list(years) if np.ndim(years) else [years])
    colors = _year_colors(years)
    fig = go.Figure()
    for year in years:
        d = r[r["year"] == year].set_index("condition").reindex(list(CONDITIONS))
        theta = list(CONDITIONS) + [CONDITIONS[0]]
        vals = d["rating"].astype("float64").tolist()
        fig.add_trace(go.Scatterpolar(
            r=vals + vals[:1], theta=theta, name=str(year), line_color=colors[year],
            fill="toself", opacity=0.55, connectgaps=False,
            customdata=(d["note"].astype(object).where(d["note"].notna(), "").tolist()
                        + [""]),
            hovertemplate="%{theta}: %{r}<br>%{customdata}<extra>" + str(year) + "</extra>"))
    fig.update_layout(polar=dict(radialaxis=dict(range=[0, 4], tickvals=[1, 2, 3, 4])))
    who = "District" if str(school_id) == DISTRICT else str(school_id)
    return style(fig, title=title or f"Conditions for scaling: {who}", height=height or 520)
