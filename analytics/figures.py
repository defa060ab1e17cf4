"""Plotly figure builders: plain data (pandas frames) in, a figure out; no Streamlit.

The dashboard's pages, meeting mode and the weekly pack (``analytics.report``) draw the same figures
from here, so a seller's chart looks the same on the screen, on the projector and in the PDF.

Colours carry meaning and stay the same everywhere: each signal has its module's ``COLOR``; star
ratings run from red (1) to green (5); staff removals are orange, the remover worth an analyst's eye.
Backgrounds, grid and text colours are left to the theme (Streamlit's, light or dark), and fonts are
large enough for a projector.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

FONT_SIZE = 15
STAR_COLORS = {1: "#d7301f", 2: "#fc8d59", 3: "#9e9e9e", 4: "#78c679", 5: "#238443"}
REMOVER_COLORS = {"customer": "#9e9e9e", "automated": "#807dba", "staff": "#f16913"}
RANK_COLOR = "#3182bd"
EXPLAINED_COLOR = "#9e9e9e"
PRICE_COLOR = "#6a51a3"
ADS_COLOR = "#bcbddc"
RATING_COLOR = "#238443"
LEVEL_COLOR = "#e6550d"
CHANGEPOINT_NAME = "change point"
NEUTRAL = "#7f7f7f"

# (panel, title) in drawing order; the price panel has ad spend on a second axis.
SELLER_PANELS = (
    ("rank", "Sales rank (log scale, best at top)"),
    ("price", "Price and daily ad spend"),
    ("reviews", "Reviews posted per day, by star rating"),
    ("removals", "Reviews removed per day, by remover"),
    ("rating", "Average rating of the reviews visible"),
)


def _base_layout(fig: go.Figure, *, height: int) -> go.Figure:
    fig.update_layout(
        height=height,
        font={"size": FONT_SIZE},
        margin={"l": 70, "r": 30, "t": 60, "b": 40},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0, "font": {"size": FONT_SIZE - 1}},
        hovermode="x unified",
        barmode="stack",
    )
    return fig


def _level_trace(segments: pd.DataFrame, *, showlegend: bool) -> go.Scatter:
    """The fitted level of each segment between change points, as one broken line."""
    xs, ys = [], []
    for seg in segments.itertuples():
        xs += [seg.start, seg.end, None]
        ys += [seg.level, seg.level, None]
    return go.Scatter(x=xs, y=ys, mode="lines", name="level between change points", legendgroup="level",
                      showlegend=showlegend, line={"color": LEVEL_COLOR, "width": 2, "dash": "dot"},
                      hoverinfo="skip")


def _changepoint_trace(points: pd.DataFrame, fmt: str, *, showlegend: bool) -> go.Scatter:
    text = [f"{p.label}: {p.before:{fmt}} -> {p.after:{fmt}} from {p.date}" for p in points.itertuples()]
    return go.Scatter(x=list(points["date"]), y=list(points["after"]), mode="markers", name=CHANGEPOINT_NAME,
                      legendgroup=CHANGEPOINT_NAME, showlegend=showlegend, text=text, hoverinfo="text",
                      marker={"symbol": "diamond", "size": 13, "color": LEVEL_COLOR,
                              "line": {"width": 1.5, "color": "white"}})


def seller_figure(daily: pd.DataFrame, changepoints: pd.DataFrame, segments: pd.DataFrame,
                  evidence_marks: pd.DataFrame, *, product_label: str | None = None) -> go.Figure:
    """One figure, aligned panels on a shared date axis, every change point drawn with its levels.

    ``daily``, ``changepoints``, ``segments`` and ``evidence_marks`` are ``seller_view.SellerChart``'s
    frames. Without rank columns (no product chosen) the rank and price panels are left out.
    """
    has_product = "sales_rank" in daily and daily["sales_rank"].notna().any()
    panels = [p for p in SELLER_PANELS if has_product or p[0] not in ("rank", "price")]
    titles = [t if p != "rank" or not product_label else f"Sales rank of {product_label} (log scale, best at top)"
              for p, t in panels]
    row_of = {p: i + 1 for i, (p, _) in enumerate(panels)}
    weights = {"rank": 1.6, "price": 1.0, "reviews": 1.0, "removals": 0.8, "rating": 1.0}
    fig = make_subplots(rows=len(panels), cols=1, shared_xaxes=True, vertical_spacing=0.045,
                        subplot_titles=titles, row_heights=[weights[p] for p, _ in panels],
                        specs=[[{"secondary_y": p == "price"}] for p, _ in panels])
    x = pd.to_datetime(daily["date"]).to_numpy()
    # One legend beside each panel (and one above the figure for the findings): a single legend for
    # twenty traces is unreadable on a projector.
    legend_of = {p: "legend" if i == 0 else f"legend{i + 1}" for i, (p, _) in enumerate(panels)}
    findings_legend = f"legend{len(panels) + 1}"
    # Traces and shapes are collected and added in one call each: plotly validates on every add, and
    # adding them one by one (add_vline above all) costs seconds on a busy seller.
    traces, rows, secondary_ys, shapes = [], [], [], []

    def add(trace, panel: str, secondary_y: bool = False):
        trace.legend = legend_of[panel]
        traces.append(trace)
        rows.append(row_of[panel])
        secondary_ys.append(secondary_y)

    def column(name: str):
        return daily[name].to_numpy() if name in daily else None

    def vline(day, panel: str, line: dict, opacity: float = 1.0) -> None:
        axes = fig.get_subplot(row_of[panel], 1)
        xref, yref = axes.xaxis.plotly_name.replace("axis", ""), axes.yaxis.plotly_name.replace("axis", "")
        shapes.append({"type": "line", "xref": xref, "yref": f"{yref} domain", "x0": day, "x1": day,
                       "y0": 0, "y1": 1, "line": line, "opacity": opacity, "layer": "above"})

    if has_product:
        add(go.Scatter(x=x, y=column("sales_rank"), name="sales rank", mode="lines",
                       line={"color": RANK_COLOR, "width": 2}), "rank")
        if "rank_explained" in daily and daily["rank_explained"].notna().any():
            add(go.Scatter(x=x, y=daily["rank_explained"].round(1).to_numpy(), mode="lines",
                           name="what price and ads explain",
                           line={"color": EXPLAINED_COLOR, "width": 2, "dash": "dash"}), "rank")
        add(go.Bar(x=x, y=column("ad_spend"), name="ad spend (right)", marker_color=ADS_COLOR, opacity=0.8),
            "price", secondary_y=True)
        add(go.Scatter(x=x, y=daily["price"].round(2).to_numpy(), name="price (left)", mode="lines",
                       line={"color": PRICE_COLOR, "width": 2}), "price")
    for stars, color in reversed(STAR_COLORS.items()):
        add(go.Bar(x=x, y=column(f"stars_{stars}"), name=f"{stars} star" + ("s" if stars > 1 else ""),
                   marker_color=color), "reviews")
    for remover, color in REMOVER_COLORS.items():
        add(go.Bar(x=x, y=column(f"removed_{remover}"), name=f"by {remover}", marker_color=color), "removals")
    add(go.Scatter(x=x, y=column("visible_rating"), name="visible rating", mode="lines",
                   line={"color": RATING_COLOR, "width": 2}), "rating")

    # Change points of every drawn series: level lines, a marker, and a faint line down the panel.
    formats = {"sales_rank": ",.0f", "price": ",.2f", "ad_spend": ",.2f", "posted": ".1f", "removed": ".2f",
               "visible_rating": ".2f"}
    legend_shown: set[str] = set()
    for series, points in changepoints.groupby("series", sort=False):
        panel = points["panel"].iloc[0]
        if panel not in row_of:
            continue
        first = panel not in legend_shown
        legend_shown.add(panel)
        add(_level_trace(segments[segments["series"] == series], showlegend=first), panel, series == "ad_spend")
        add(_changepoint_trace(points, formats.get(series, ".2f"), showlegend=first), panel, series == "ad_spend")
        for day in points["date"]:
            vline(day, panel, {"color": LEVEL_COLOR, "width": 1, "dash": "dot"}, opacity=0.6)

    # The run's findings: a line through every panel in the signal's colour, named in the top legend.
    for mark in evidence_marks.itertuples():
        for panel in row_of:
            vline(mark.date, panel, {"color": mark.color, "width": 2.5, "dash": "dash"})
    for _, marks in evidence_marks.groupby("signal", sort=False):
        first_mark = marks.iloc[0]
        traces.append(go.Scatter(x=[None], y=[None], mode="lines", name=f"finding: {first_mark.title}",
                                 legend=findings_legend,
                                 line={"color": first_mark.color, "width": 2.5, "dash": "dash"}))
        rows.append(1)
        secondary_ys.append(False)

    fig.add_traces(traces, rows=rows, cols=[1] * len(traces), secondary_ys=secondary_ys)
    if has_product:
        # Ticks at 1-2-5 steps: plotly's default log ticks label 20 as "2", unreadable from the back row.
        ticks = [m * 10 ** e for e in range(8) for m in (1, 2, 5)]
        fig.update_yaxes(type="log", autorange="reversed", title_text="rank", row=row_of["rank"], col=1,
                         tickmode="array", tickvals=ticks, ticktext=[f"{t:,}" for t in ticks])
        fig.update_yaxes(title_text="price", row=row_of["price"], col=1, secondary_y=False)
        fig.update_yaxes(title_text="ad spend", row=row_of["price"], col=1, secondary_y=True, showgrid=False,
                         rangemode="tozero")
    fig.update_yaxes(title_text="reviews", row=row_of["reviews"], col=1, rangemode="tozero")
    fig.update_yaxes(title_text="removed", row=row_of["removals"], col=1, rangemode="tozero")
    fig.update_yaxes(title_text="stars", row=row_of["rating"], col=1)
    fig.update_xaxes(type="date", showspikes=True, spikemode="across", spikethickness=1)
    fig.update_annotations(font_size=FONT_SIZE)
    height = 230 * len(panels) + 140
    legends = {name: {"x": 1.01, "xanchor": "left", "y": fig.get_subplot(row_of[panel], 1).yaxis.domain[1],
                      "yanchor": "top", "orientation": "v", "font": {"size": FONT_SIZE - 2}, "tracegroupgap": 2}
               for panel, name in legend_of.items()}
    legends[findings_legend] = {"x": 0, "y": 1.0 - 10 / height, "yanchor": "top", "yref": "container",
                                "orientation": "h", "font": {"size": FONT_SIZE - 1}}
    _base_layout(fig, height=height)
    fig.update_layout(shapes=shapes, margin={"r": 210, "t": 80}, **legends)
    return fig


def rank_trend_figure(trends: pd.DataFrame, names: dict[str, str], highlighted: list[str],
                      events: pd.DataFrame, signal_colors: dict[str, str]) -> go.Figure:
    """Weekly relative standing (up = better) of a category's flagged sellers and the rivals who lost
    around their change points; change points as vertical lines in the finding's signal colour."""
    palette = ["#e6550d", "#3182bd", "#31a354", "#756bb1", "#d6616b", "#8c6d31"]  # readable on light and dark
    traces = []
    for i, (seller, own) in enumerate(trends.groupby("seller_id", sort=False)):
        strong = seller in highlighted
        traces.append(go.Scatter(
            x=pd.to_datetime(own["week"]).to_numpy(), y=own["standing"].to_numpy(),
            mode="lines+markers" if strong else "lines",
            name=f"{names.get(seller, seller)} ({seller})" + (" - flagged" if strong else ""),
            line={"width": 3.5 if strong else 1.8, "color": palette[i % len(palette)] if strong else None,
                  "dash": None if strong else "dot"}))
    shapes = [{"type": "line", "xref": "x", "yref": "y domain", "x0": event.changepoint_date,
               "x1": event.changepoint_date, "y0": 0, "y1": 1,
               "line": {"color": signal_colors.get(event.signals[0], NEUTRAL) if len(event.signals) else NEUTRAL,
                        "width": 2, "dash": "dash"}}
              for event in events.itertuples()]
    fig = go.Figure(data=traces)
    fig.update_layout(shapes=shapes)
    fig.update_yaxes(title_text="standing in category: -ln(rank / ranked products), up = better")
    fig.update_xaxes(type="date")
    return _base_layout(fig, height=520)


def shifts_figure(summary: pd.DataFrame, shown: int = 15) -> go.Figure:
    """Rivals' typical rank factor around the flagged sellers' change points: losers up top."""
    rows = summary.head(shown).iloc[::-1]
    change = np.log2(rows["rank_factor"].astype(float))
    fig = go.Figure(go.Bar(
        x=change, y=[f"{n} ({s})" for n, s in zip(rows["seller_name"], rows["seller_id"])], orientation="h",
        marker_color=np.where(change > 0, "#d7301f", "#238443"),
        text=[f"x{f:.2f}" for f in rows["rank_factor"]], textposition="outside", cliponaxis=False,
        hovertext=[f"rank x{f:.2f} after vs before; lost ground {lost} time(s), gained {gained}"
                   for f, lost, gained in zip(rows["rank_factor"], rows["times_lost"], rows["times_gained"])],
        hoverinfo="text"))
    fig.update_xaxes(title_text="log2 rank factor after vs before (right = lost ground)")
    fig.update_layout(barmode="relative")
    return _base_layout(fig, height=max(300, 40 * len(rows) + 120))


def targeting_graph(edges: pd.DataFrame, signal_colors: dict[str, str], signal_titles: dict[str, str]) -> go.Figure:
    """Seller -> rival graph of targeting findings: suspected attackers on the left, rivals on the right,
    one arrow per (seller, rival, signal) in the signal's colour, thicker when significant."""
    sellers = list(dict.fromkeys(edges["seller_id"]))
    rivals = list(dict.fromkeys(edges["rival_id"]))

    def ys(ids):
        return {s: (len(ids) - 1 - i) / max(len(ids) - 1, 1) for i, s in enumerate(ids)}

    left, right = ys(sellers), ys(rivals)
    fig = go.Figure()
    for signal, own in edges.groupby("signal", sort=False):
        color = signal_colors.get(signal, NEUTRAL)
        xs, yy = [], []
        for e in own.itertuples():
            xs += [0.0, 1.0, None]
            yy += [left[e.seller_id], right[e.rival_id], None]
            fig.add_annotation(x=0.97, y=right[e.rival_id], ax=0.03, ay=left[e.seller_id], xref="x", yref="y",
                               axref="x", ayref="y", showarrow=True, arrowhead=3, arrowsize=1.2,
                               arrowwidth=3.5 if e.significant else 1.5, arrowcolor=color, text="")
        fig.add_trace(go.Scatter(x=xs, y=yy, mode="lines", name=signal_titles.get(signal, signal),
                                 line={"color": color, "width": 0.1}, hoverinfo="skip"))
    names = dict(zip(edges["seller_id"], edges["seller_name"].fillna(edges["seller_id"])))
    names.update(dict(zip(edges["rival_id"], edges["rival_name"].fillna(edges["rival_id"]))))
    for x, side, position in ((0.0, left, "middle left"), (1.0, right, "middle right")):
        fig.add_trace(go.Scatter(
            x=[x] * len(side), y=list(side.values()), mode="markers+text", showlegend=False,
            text=[f"{names.get(s, s)} ({s})" for s in side], textposition=position,
            marker={"size": 16, "color": "#d7301f" if x == 0 else "#3182bd"}, hoverinfo="text"))
    fig.update_xaxes(visible=False, range=[-0.6, 1.6])
    fig.update_yaxes(visible=False, range=[-0.15, 1.15])
    fig.add_annotation(x=0.0, y=1.12, text="<b>suspected seller</b>", showarrow=False, xref="x", yref="y")
    fig.add_annotation(x=1.0, y=1.12, text="<b>rival</b>", showarrow=False, xref="x", yref="y")
    return _base_layout(fig, height=max(320, 60 * max(len(sellers), len(rivals)) + 160))
