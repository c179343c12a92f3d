"""One look for every figure: stage colours, fonts, margins."""
from __future__ import annotations

import plotly.graph_objects as go

# i-learn -> i-practice -> i-show, colour-blind-safe and readable when printed in grey
STAGE_COLORS = {"i-learn": "#d9d9d9", "i-practice": "#f2b134", "i-show": "#2a7ab0"}
LEVEL_COLORS = {1: "#d7301f", 2: "#f2b134", 3: "#2a7ab0", 4: "#1b4f72"}
FONT = dict(family="Segoe UI, Helvetica, Arial, sans-serif", size=13)


def style(fig: go.Figure, *, title: str | None = None, height: int | None = None) -> go.Figure:
    """Apply coachkit's layout to a figure (in place) and return it."""
    fig.update_layout(template="plotly_white", font=FONT, margin=dict(l=60, r=20, t=60, b=50),
                      title=dict(text=title, x=0.01) if title else None,
                      legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0))
    if height:
        fig.update_layout(height=height)
    return fig


def new_figure(title: str | None = None, height: int | None = None) -> go.Figure:
    return style(go.Figure(), title=title, height=height)
