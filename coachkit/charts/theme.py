"""One look for every figure: stage colours, fonts, margins."""
from __future__ import annotations

import plotly.graph_objects as go

# i-learn -> i-practice -> i-show, colour-blind-safe and readable when printed in grey
STAGE_COLORS = {"i-learn": "#d9d9d9", "i-practice": "#f2b134", "i-show": "#2a7ab0"}
LEVEL_COLORS = {1: "#d7301f", 2: "#f2b134", 3: "#2a7ab0", 4: "#1b4f72"}
FONT = dict(family="Segoe UI, Helvetica, Arial, sans-serif", size=13)


def style(fig: go.Figure, *, title: str | None = None, height: int | None = None) -> go.Figure:
    """Apply coachkit's layout to a figure (in place) and return it."""
    # a figure with a legend keeps it in its own row between the title and the plot, so
    # the two never overlap: the title sits at the top of the figure, the legend just
    # above the plot area, and the top margin holds both
    legend = sum(1 for tr in fig.data if getattr(tr, "showlegend", False) is not False
                 and getattr(tr, "type", "") not in ("heatmap", "sankey", "table")) > 1
    fig.update_layout(template="plotly_white", font=FONT,
                      margin=dict(l=60, r=20, t=96 if legend and title else 60, b=50),
                      title=dict(text=title, x=0.01, y=1, yref="container", yanchor="top",
                                 pad=dict(t=12)) if title else None,
                      legend=dict(orientation="h", yanchor="bottom", y=1.01, x=0))
    if height:
        fig.update_layout(height=height)
    return fig


def new_figure(title: str | None = None, height: int | None = None) -> go.Figure:
    return style(go.Figure(), title=title, height=height)
