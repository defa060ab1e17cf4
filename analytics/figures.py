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
P_FLOOR = 1e-16  # below this a p- or q-value is shown as "< 1e-16": double precision says no more
PROJECTOR_FONT_SIZE = 20
MAX_LABEL = 48  # characters of a product's name in a panel title (longer titles are clipped by the plot)


def format_p(value, *, floor: float = P_FLOOR) -> str:
    """A p- or q-value as a person reads it: "0.012", "0.64", "3.2e-7", "< 1e-16" (never 2e-300), ""
    when there is none."""
    if value is None or not np.isfinite(value):
        return ""
    value = float(value)
    if value < floor:
        return f"< {floor:.0e}".replace("e-0", "e-").replace("e+0", "e+")
    if value >= 0.001:
        return f"{value:.2g}" if value < 0.995 else "1"
    mantissa, exponent = f"{value:.1e}".split("e")
    return f"{mantissa.rstrip('0').rstrip('.')}e{int(exponent)}"


def short(text: str, limit: int = MAX_LABEL) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\u2026"


def log_ticks(low: float, high: float, *, at_least: int = 4) -> list[float]:
    """Tick values for a log axis over [low, high] (ranks: 1 and up) with at least ``at_least`` labels:
    1-2-5 steps when the range is wide, finer steps when it is narrow, even steps when it is narrower
    still (plotly's own log ticks leave a range like 140-180 with a single label)."""
    low, high = max(float(low), 1.0), max(float(high), 1.0)
    if high <= low:
        high = low + 1
    first, last = int(np.floor(np.log10(low))) - 1, int(np.ceil(np.log10(high))) + 1
    for mantissas in ((1,), (1, 3), (1, 2, 5), (1, 1.5, 2, 3, 5, 7), (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8, 9)):
        ticks = sorted({float(round(m * 10 ** e, 6)) for e in range(first, last + 1) for m in mantissas})
        inside = [t for t in ticks if low <= t <= high and (t >= 10 or t == round(t))]
        if len(inside) >= at_least:
            return inside
    span = high - low
    step = next(m * 10 ** e for e in range(int(np.floor(np.log10(span / at_least))), 12) for m in (1, 2, 2.5, 5)
                if span / (m * 10 ** e) <= at_least + 1)
    start = np.ceil(low / step) * step
    return [float(round(v, 6)) for v in np.arange(start, high + step / 2, step) if low <= v <= high] or [low, high]


def nice_step(span: float, count: int = 4) -> float:
    """A 1-2-2.5-5 step that cuts ``span`` into about ``count`` pieces."""
    span = max(float(span), 1e-9)
    return next(m * 10 ** e for e in range(int(np.floor(np.log10(span / count))) - 1, 20) for m in (1, 2, 2.5, 5)
                if span / (m * 10 ** e) <= count)


def _tick_text(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 or value == round(value) else f"{value:g}"


def first_data_day(daily: pd.DataFrame):
    """The first day any drawn series has data (a seller registered after the marketplace's first day
    starts there, not in an empty stretch)."""
    columns = [c for c in daily.columns if c != "date"]
    if not columns:
        return None
    values = daily[columns].apply(pd.to_numeric, errors="coerce")
    present = (values.notna() & (values != 0)).any(axis=1).to_numpy()
    if not present.any():
        return None
    return pd.to_datetime(daily["date"]).iloc[int(np.argmax(present))]

# (panel, title) in drawing order; the price panel has ad spend on a second axis.
SELLER_PANELS = (
    ("rank", "Sales rank (log scale, best at top)"),
    ("price", "Price and daily ad spend"),
    ("reviews", "Reviews posted per day, by star rating"),
    ("removals", "Reviews removed per day, by remover"),
    ("rating", "Average rating of the reviews visible"),
)


def _base_layout(fig: go.Figure, *, height: int, font_size: int = FONT_SIZE) -> go.Figure:
    fig.update_layout(
        height=height,
        font={"size": font_size},
        margin={"l": 70, "r": 30, "t": 60, "b": 40},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0, "font": {"size": font_size - 1}},
        hovermode="x unified",
        barmode="stack",
    )
    # Streamlit's theme sets small tick and axis-title fonts of its own: sized here, they scale with the
    # figure's (larger on a projector).
    fig.update_xaxes(tickfont_size=font_size - 2, title_font_size=font_size - 1)
    fig.update_yaxes(tickfont_size=font_size - 2, title_font_size=font_size - 1)
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
                  evidence_marks: pd.DataFrame, *, product_label: str | None = None,
                  projector: bool = False) -> go.Figure:
    """One figure, aligned panels on a shared date axis, every change point drawn with its levels.

    ``daily``, ``changepoints``, ``segments`` and ``evidence_marks`` are ``seller_view.SellerChart``'s
    frames. Without rank columns (no product chosen) the rank and price panels are left out; without
    any ad spend the price panel has no ad-spend axis. The date axis starts where the seller's data
    does. ``projector``: large type and a height that fits a 1080-line screen (meeting mode).
    """
    font_size = PROJECTOR_FONT_SIZE if projector else FONT_SIZE
    has_product = "sales_rank" in daily and daily["sales_rank"].notna().any()
    ad_spend = pd.to_numeric(daily["ad_spend"], errors="coerce") if "ad_spend" in daily else None
    has_ads = has_product and ad_spend is not None and bool((ad_spend.fillna(0) > 0).any())
    panels = [p for p in SELLER_PANELS if has_product or p[0] not in ("rank", "price")]

    def title(panel: str, text: str) -> str:
        if panel == "rank" and product_label:
            return f"Sales rank of {short(product_label)} (log scale, best at top)"
        if panel == "price" and not has_ads:
            return "Price (no ad spend in this period)"
        return text

    titles = [title(p, t) for p, t in panels]
    row_of = {p: i + 1 for i, (p, _) in enumerate(panels)}
    weights = {"rank": 1.6, "price": 1.0, "reviews": 1.0, "removals": 0.8, "rating": 1.0}
    fig = make_subplots(rows=len(panels), cols=1, shared_xaxes=True, vertical_spacing=0.06 if projector else 0.045,
                        subplot_titles=titles, row_heights=[weights[p] for p, _ in panels],
                        specs=[[{"secondary_y": p == "price" and has_ads}] for p, _ in panels])
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
        if has_ads:
            add(go.Bar(x=x, y=column("ad_spend"), name="ad spend (right)", marker_color=ADS_COLOR, opacity=0.8),
                "price", secondary_y=True)
        add(go.Scatter(x=x, y=daily["price"].round(2).to_numpy(), name="price (left)" if has_ads else "price",
                       mode="lines", line={"color": PRICE_COLOR, "width": 2}), "price")
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
    # The level and change-point markers mean the same in every panel: named once, in the highest panel
    # that has them (named in each, a short panel's legend ran into the next one's).
    legend_panel = next((p for p, _ in panels if p in set(changepoints["panel"])
                         and not (p == "price" and set(changepoints.loc[changepoints["panel"] == p, "series"])
                                  <= {"ad_spend"} and not has_ads)), None)
    legend_shown: set[str] = set()
    for series, points in changepoints.groupby("series", sort=False):
        panel = points["panel"].iloc[0]
        if panel not in row_of or (series == "ad_spend" and not has_ads):
            continue
        first = panel == legend_panel and panel not in legend_shown
        legend_shown.add(panel)
        own = segments[segments["series"] == series]
        if series in daily:  # a level is drawn only over days the series has data (a late launch starts there)
            valid = pd.to_datetime(daily.loc[pd.to_numeric(daily[series], errors="coerce").notna(), "date"])
            if not valid.empty:
                first_day, last_day = valid.min().date(), valid.max().date()
                own = own.assign(start=[max(pd.Timestamp(d).date(), first_day) for d in own["start"]],
                                 end=[min(pd.Timestamp(d).date(), last_day) for d in own["end"]])
                own = own[[s <= e for s, e in zip(own["start"], own["end"])]]
        add(_level_trace(own, showlegend=first), panel, series == "ad_spend")
        add(_changepoint_trace(points, formats.get(series, ".2f"), showlegend=first), panel, series == "ad_spend")
        for day in points["date"]:
            vline(day, panel, {"color": LEVEL_COLOR, "width": 1, "dash": "dot"}, opacity=0.6)

    # The run's findings: a line through every panel in the signal's colour, named in the top legend.
    # A finding that is not significant is drawn thin and grey, and named as such (never as a finding).
    if "significant" not in evidence_marks:
        evidence_marks = evidence_marks.assign(significant=True)

    def mark_line(mark) -> dict:
        return ({"color": mark.color, "width": 2.5, "dash": "dash"} if mark.significant else
                {"color": NOT_SIGNIFICANT_COLOR, "width": 1.5, "dash": "dot"})

    for mark in evidence_marks.itertuples():
        for panel in row_of:
            vline(mark.date, panel, mark_line(mark))
    for _, marks in evidence_marks.groupby(["signal", "significant"], sort=False):
        first_mark = next(marks.itertuples())
        name = f"finding: {first_mark.title}" if first_mark.significant else \
            f"not significant: {first_mark.title}"
        traces.append(go.Scatter(x=[None], y=[None], mode="lines", name=name, legend=findings_legend,
                                 line=mark_line(first_mark)))
        rows.append(1)
        secondary_ys.append(False)

    fig.add_traces(traces, rows=rows, cols=[1] * len(traces), secondary_ys=secondary_ys)
    if has_product:
        # Ticks chosen for the range drawn: at least four labels, at 1-2-5 steps where the range allows
        # (plotly's default log ticks label 20 as "2", or leave a narrow range with a single label).
        ranks = pd.to_numeric(daily["sales_rank"], errors="coerce")
        if "rank_explained" in daily:
            ranks = pd.concat([ranks, pd.to_numeric(daily["rank_explained"], errors="coerce")])
        low, high = float(ranks.min()), float(ranks.max())
        pad = max(1.08, (high / low) ** 0.04)
        ticks = log_ticks(low / pad, high * pad)
        fig.update_yaxes(type="log", range=[np.log10(high * pad), np.log10(max(low / pad, 0.8))],
                         title_text="rank", row=row_of["rank"], col=1,
                         tickmode="array", tickvals=ticks, ticktext=[_tick_text(t) for t in ticks])
        fig.update_yaxes(title_text="price", row=row_of["price"], col=1, secondary_y=False)
        if has_ads:
            top = float(ad_spend.max())
            step = nice_step(top, 4)
            fig.update_yaxes(title_text="ad spend", row=row_of["price"], col=1, secondary_y=True, showgrid=False,
                             range=[0, top * 1.05], tickmode="linear", tick0=0, dtick=step)
    fig.update_yaxes(title_text="reviews", row=row_of["reviews"], col=1, rangemode="tozero")
    fig.update_yaxes(title_text="removed", row=row_of["removals"], col=1, rangemode="tozero")
    fig.update_yaxes(title_text="stars", row=row_of["rating"], col=1)
    start = first_data_day(daily)
    x_range = {} if start is None or not len(x) else {"range": [start, pd.Timestamp(x[-1]) + pd.Timedelta(days=1)]}
    fig.update_xaxes(type="date", showspikes=True, spikemode="across", spikethickness=1, **x_range)
    fig.update_annotations(font_size=font_size)
    # Room above the panels for the findings' legend: one line per finding at worst (long names wrap).
    findings = evidence_marks["signal"].nunique() if not evidence_marks.empty else 0
    top = 50 + (font_size + 10) * max(findings, 1)
    height = (160 * len(panels) + 110 + top) if projector else (230 * len(panels) + 90 + top)
    legends = {name: {"x": 1.01, "xanchor": "left", "y": fig.get_subplot(row_of[panel], 1).yaxis.domain[1],
                      "yanchor": "top", "orientation": "v", "font": {"size": font_size - 2}, "tracegroupgap": 2}
               for panel, name in legend_of.items()}
    legends[findings_legend] = {"x": 0, "y": 1.0 - 10 / height, "yanchor": "top", "yref": "container",
                                "orientation": "h", "font": {"size": font_size - 1}}
    _base_layout(fig, height=height, font_size=font_size)
    # Room on the right for the panel legends (in pixels: the longest entry at this font size).
    fig.update_layout(shapes=shapes, margin={"r": int(13.5 * font_size), "t": top, "l": 90 if projector else 70},
                      **legends)
    return fig


RIVALS_DRAWN = 4  # rivals beside the flagged seller in the rank chart: more lines than this is a tangle


def rank_trend_figure(trends: pd.DataFrame, names: dict[str, str], focus: str, rivals: list[str],
                      events: pd.DataFrame, signal_colors: dict[str, str]) -> go.Figure:
    """One flagged seller's weekly standing in its category against the few rivals that matter (at most
    ``RIVALS_DRAWN``, in the order given: those that lost most around its change points), as "top x %"
    of the category's ranked products on a log axis, best at top; the seller's change points as dashed
    verticals in its finding's signal colour."""
    palette = ["#3182bd", "#31a354", "#756bb1", "#8c6d31"]  # rivals; the flagged seller is orange
    drawn = [focus, *[r for r in rivals if r != focus][:RIVALS_DRAWN]]
    traces = []
    shares = []
    for i, seller in enumerate(drawn):
        own = trends[trends["seller_id"] == seller].sort_values("week")
        if own.empty:
            continue
        share = 100 * np.exp(-own["standing"].astype(float).to_numpy())
        shares.append(share)
        strong = seller == focus
        label = short(names.get(seller) or seller, 28)
        traces.append(go.Scatter(
            x=pd.to_datetime(own["week"]).to_numpy(), y=share, mode="lines+markers" if strong else "lines",
            name=f"{label} (flagged)" if strong else label,
            customdata=[seller] * len(own),
            hovertemplate="%{fullData.name} (%{customdata}): top %{y:.2g}% in week of %{x|%d %b %Y}<extra></extra>",
            line={"width": 4 if strong else 2, "color": LEVEL_COLOR if strong else palette[(i - 1) % len(palette)],
                  "dash": None if strong else "dot"},
            marker={"size": 7}))
    own_events = events[events["seller_id"] == focus]
    shapes = [{"type": "line", "xref": "x", "yref": "y domain", "x0": event.changepoint_date,
               "x1": event.changepoint_date, "y0": 0, "y1": 1,
               "line": {"color": signal_colors.get(event.signals[0], NEUTRAL) if len(event.signals) else NEUTRAL,
                        "width": 2.5, "dash": "dash"}}
              for event in own_events.itertuples()]
    fig = go.Figure(data=traces)
    fig.update_layout(shapes=shapes)
    if shares:
        values = np.concatenate(shares)
        values = values[np.isfinite(values) & (values > 0)]
        low, high = (float(values.min()), float(values.max())) if values.size else (1.0, 100.0)
        ticks = [t for t in (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100) if low / 1.5 <= t <= high * 1.5]
        if len(ticks) < 3:
            ticks = [t for t in (0.01, 0.015, 0.02, 0.03, 0.05, 0.07, 0.1, 0.15, 0.2, 0.3, 0.5, 0.7, 1, 1.5, 2, 3, 5, 7,
                                 10, 15, 20, 30, 50, 70, 100) if low / 1.5 <= t <= high * 1.5]
        fig.update_yaxes(type="log", range=[np.log10(min(high * 1.3, 100)), np.log10(low / 1.3)], tickmode="array",
                         tickvals=ticks, ticktext=[f"top {t:g}%" for t in ticks])
    fig.update_yaxes(title_text="standing in category (best at top)")
    fig.update_xaxes(type="date")
    _base_layout(fig, height=480)
    fig.update_layout(hovermode="closest", margin={"l": 110, "t": 40, "r": 30},
                      legend={"orientation": "h", "yanchor": "top", "y": -0.12, "x": 0})
    return fig


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
    # Room beyond the longest bar each way for its "x1.64" label (a label left of a green bar would sit
    # on the sellers' names otherwise).
    low, high = min(float(change.min()), 0.0), max(float(change.max()), 0.0)
    pad = 0.16 * (high - low) + 0.01
    fig.update_xaxes(title_text="log2 rank factor after vs before (right = lost ground)",
                     range=[low - pad if low < 0 else 0, high + pad if high > 0 else 0])
    fig.update_layout(barmode="relative")
    _base_layout(fig, height=max(260, 40 * len(rows) + 90))
    fig.update_layout(margin={"t": 20, "r": 60}, showlegend=False)  # no legend: the colours are explained below
    return fig


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
        fig.add_trace(go.Scatter(x=xs, y=yy, mode="lines", showlegend=False, line={"color": color, "width": 0.1},
                                 hoverinfo="skip"))
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="lines", name=signal_titles.get(signal, signal),
                                 line={"color": color, "width": 4}))  # the legend's swatch
    names = dict(zip(edges["seller_id"], edges["seller_name"].fillna(edges["seller_id"])))
    names.update(dict(zip(edges["rival_id"], edges["rival_name"].fillna(edges["rival_id"]))))
    for x, side, position in ((0.0, left, "middle left"), (1.0, right, "middle right")):
        fig.add_trace(go.Scatter(
            x=[x] * len(side), y=list(side.values()), mode="markers+text", showlegend=False,
            text=[short(f"{names.get(s, s)} ({s})", 40) for s in side], textposition=position,
            cliponaxis=False, marker={"size": 16, "color": "#d7301f" if x == 0 else "#3182bd"}, hoverinfo="text"))
    # Names sit outside the arrows' ends: room for 40 characters each side.
    fig.update_xaxes(visible=False, range=[-0.85, 1.85])
    fig.update_yaxes(visible=False, range=[-0.15, 1.15])
    fig.add_annotation(x=0.0, y=1.12, text="<b>suspected seller</b>", showarrow=False, xref="x", yref="y")
    fig.add_annotation(x=1.0, y=1.12, text="<b>rival</b>", showarrow=False, xref="x", yref="y")
    return _base_layout(fig, height=max(320, 60 * max(len(sellers), len(rivals)) + 160))


# --- one finding's tested series ----------------------------------------------------------------------

NOT_SIGNIFICANT_COLOR = "#b0b0b0"
BAND_COLOR = "rgba(127, 127, 127, 0.18)"
EXPECTED_COLOR = "#636363"


def finding_title(series) -> str:
    """The heading of a finding's chart: its signal, and whether it is a finding at all."""
    shown = format_p(series.q_value)
    q = (f"q {shown}" if shown.startswith("<") else f"q = {shown}") if shown else "q not computed"
    status = "finding" if series.significant else "not significant"
    return f"{series.title} ({status}, {q})"


def finding_figure(series, *, height: int = 340, projector: bool = False) -> go.Figure:
    """Any finding's chart (``analytics.finding_series.FindingSeries``): what its test measured, in the
    signal's colour (grey when not significant), the band and line its reference expects, the change
    point and the series' level before and after it."""
    font = PROJECTOR_FONT_SIZE if projector else FONT_SIZE
    color = series.color if series.significant else NOT_SIGNIFICANT_COLOR
    fig = go.Figure()
    x = list(series.x)
    if series.band_low is not None and series.band_high is not None:
        if series.kind == "points":
            fig.add_trace(go.Bar(x=x, y=np.asarray(series.band_high, float) - np.asarray(series.band_low, float),
                                 base=np.asarray(series.band_low, float), marker_color=BAND_COLOR,
                                 width=2 * 86_400_000, name="ordinary band", hoverinfo="skip"))
        else:
            fig.add_trace(go.Scatter(x=x, y=list(series.band_low), mode="lines", line={"width": 0},
                                     showlegend=False, hoverinfo="skip"))
            fig.add_trace(go.Scatter(x=x, y=list(series.band_high), mode="lines", line={"width": 0},
                                     fill="tonexty", fillcolor=BAND_COLOR, name="ordinary band", hoverinfo="skip"))
    if series.expected is not None:
        fig.add_trace(go.Scatter(x=x, y=list(series.expected), name=series.expected_label,
                                 mode="markers" if series.kind == "points" else "lines",
                                 line={"color": EXPECTED_COLOR, "dash": "dash", "width": 2},
                                 marker={"symbol": "line-ew-open", "size": 22, "color": EXPECTED_COLOR,
                                         "line": {"width": 2}}))
    name = series.name + ("" if series.significant else " (not significant)")
    if series.kind == "points":
        fig.add_trace(go.Scatter(x=x, y=list(series.values), mode="markers", name=name,
                                 marker={"size": 13, "color": color, "line": {"width": 1, "color": "white"}}))
    elif series.kind == "bars":
        fig.add_trace(go.Bar(x=x, y=list(series.values), name=name, marker_color=color,
                             xperiod=series.period_days * 86_400_000, xperiodalignment="middle"))
    else:
        fig.add_trace(go.Scatter(x=x, y=list(series.values), mode="lines+markers", name=name,
                                 line={"color": color, "width": 2.5}, marker={"size": 5}))
    events = series.events
    if events:
        fig.add_trace(go.Scatter(x=list(events), y=[0] * len(events), mode="markers", name=series.events_label,
                                 marker={"symbol": "triangle-up", "size": 12, "color": "#333333"},
                                 hovertemplate="%{x}<extra>" + series.events_label + "</extra>"))
    if series.change_date is not None:
        fig.add_vline(x=series.change_date, line={"color": "#333333", "dash": "dash", "width": 1.5})
        known = sorted(pd.Timestamp(d) for d in x if d is not None)
        late = bool(known) and pd.Timestamp(series.change_date) > known[0] + (known[-1] - known[0]) * 0.7
        label = f"{series.change_label} {series.change_date}"
        fig.add_annotation(x=series.change_date, y=1, yref="paper", yanchor="top",
                           xanchor="right" if late else "left", showarrow=False,  # inside the plot
                           text=f"{label} " if late else f" {label}",
                           font={"size": font - 3, "color": "#333333"},
                           bgcolor="rgba(255, 255, 255, 0.7)")
        dates = [d for d in x if d is not None]
        if dates and series.kind != "points":
            first = min(dates)
            last = series.after_end or (pd.Timestamp(max(dates)) + pd.Timedelta(days=series.period_days - 1)).date()
            xs, ys = [], []
            if series.before is not None:
                xs += [first, series.change_date, None]
                ys += [series.before, series.before, None]
            if series.after is not None:
                xs += [series.change_date, last, None]
                ys += [series.after, series.after, None]
            if xs:
                fig.add_trace(go.Scatter(x=xs, y=ys, mode="lines", name=f"{series.level_label} before / after",
                                         line={"color": LEVEL_COLOR, "dash": "dot", "width": 2}, hoverinfo="skip"))
    _base_layout(fig, height=height, font_size=font)
    fig.update_layout(barmode="overlay", hovermode="closest",
                      title={"text": short(finding_title(series), 90), "x": 0, "y": 0.98, "yanchor": "top"},
                      margin={"l": 70, "r": 30, "t": 90, "b": 40},
                      legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0,
                              "font": {"size": font - 2}})
    fig.update_yaxes(title_text=short(series.value_label, 60))
    if series.log_y:
        drawn = np.concatenate([np.asarray(v, float) for v in (series.values, series.expected, series.band_low,
                                                               series.band_high) if v is not None])
        drawn = drawn[np.isfinite(drawn) & (drawn > 0)]
        low, high = (float(drawn.min()) * 0.7, float(drawn.max()) * 1.4) if len(drawn) else (1.0, 10.0)
        ticks = log_ticks(low, high)
        span = [np.log10(high), np.log10(low)] if series.reverse_y else [np.log10(low), np.log10(high)]
        fig.update_yaxes(type="log", range=span, tickvals=ticks,
                         ticktext=[_tick_text(t) for t in ticks])
    else:
        fig.update_yaxes(rangemode="tozero")
    return fig
