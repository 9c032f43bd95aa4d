"""Results -> Plotly figures as plain dicts, plus a one-paragraph text summary of each (no I/O).

Figures are embedded in pages as JSON and drawn by one site-wide script (site_templates/static/
charts.js) with the plotly.js bundled in the installed plotly package, so nothing here needs
plotly itself. Colours are from the Okabe-Ito palette, which stays distinct for the common forms
of colour blindness; lines also differ by dash and marker shape so colour is never the only cue.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence

# Okabe-Ito colour-blind-safe palette.
PALETTE: dict[str, str] = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "vermillion": "#D55E00",
    "green": "#009E73",
    "sky": "#56B4E9",
    "purple": "#CC79A7",
    "yellow": "#F0E442",
    "black": "#000000",
}
ENTITY_COLOUR = PALETTE["blue"]
PROGRAM_COLOUR = PALETTE["orange"]
REFERENCE_COLOUR = PALETTE["vermillion"]
MAX_RANKED_BARS = 60

CONFIG: dict = {"displayModeBar": False, "responsive": True}
FONT: dict = {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 13}

Number = float | None


def clean(values: Sequence[float | None]) -> list[Number]:
    """Return `values` as JSON-safe floats, with NaN and None as None (a gap in the line)."""
    return [None if v is None or _isnan(v) else float(v) for v in values]


def _isnan(value: object) -> bool:
    try:
        return math.isnan(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return True


def _layout(height: int, x_title: str = "", y_title: str = "", **extra: object) -> dict:
    """Return a plain layout; a y-axis title is written above the plot, where it has room."""
    axis = {"gridcolor": "#e0e0e0", "automargin": True, "rangemode": "nonnegative"}
    layout = {
        "height": height,
        "margin": {"l": 60, "r": 20, "t": 30 if y_title else 10, "b": 50},
        "font": FONT,
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "xaxis": {**axis, "title": {"text": x_title}},
        "yaxis": dict(axis),
        "legend": {"orientation": "h", "y": -0.25},
        "hovermode": "x unified",
        "annotations": [_corner_label(y_title)] if y_title else [],
    }
    layout.update(extra)
    return layout


def _corner_label(text: str) -> dict:
    return {
        "text": text,
        "xref": "paper",
        "yref": "paper",
        "x": 0,
        "y": 1,
        "xanchor": "left",
        "yanchor": "bottom",
        "showarrow": False,
        "font": {"size": 12},
    }


def _error_bars(values: list[Number], lower: list[Number], upper: list[Number]) -> dict | None:
    plus = [None if v is None or u is None else u - v for v, u in zip(values, upper, strict=True)]
    minus = [
        None if v is None or lo is None else v - lo for v, lo in zip(values, lower, strict=True)
    ]
    if all(p is None for p in plus):
        return None
    return {"type": "data", "array": plus, "arrayminus": minus, "thickness": 1.2, "width": 4}


def _line(name: str, x: list[str], y: list[Number], colour: str, dash: str, symbol: str) -> dict:
    return {
        "type": "scatter",
        "mode": "lines+markers",
        "name": name,
        "x": x,
        "y": y,
        "line": {"color": colour, "dash": dash, "width": 2.5},
        "marker": {"color": colour, "symbol": symbol, "size": 8},
        "connectgaps": False,
    }


def trend_figure(
    periods: Sequence[str],
    entity: Sequence[float | None],
    program: Sequence[float | None] | None,
    *,
    entity_name: str,
    unit: str,
    decimals: int,
    lower: Sequence[float | None] | None = None,
    upper: Sequence[float | None] | None = None,
) -> dict:
    """Return a line chart of one measure over periods: the entity and, if given, the program."""
    x = list(periods)
    y = clean(entity)
    traces = [_line(entity_name, x, y, ENTITY_COLOUR, "solid", "circle")]
    if lower is not None and upper is not None:
        bars = _error_bars(y, clean(lower), clean(upper))
        if bars:
            traces[0]["error_y"] = {**bars, "color": ENTITY_COLOUR}
    if program is not None:
        traces.append(_line("Whole program", x, clean(program), PROGRAM_COLOUR, "dash", "square"))
    for trace in traces:
        trace["hovertemplate"] = f"%{{y:,.{decimals}f}} {unit}<extra>%{{fullData.name}}</extra>"
    layout = _layout(280, "", unit)
    layout["xaxis"]["type"] = "category"
    return {"data": traces, "layout": layout, "config": CONFIG}


def ranked_figure(
    names: Sequence[str],
    values: Sequence[float | None],
    *,
    unit: str,
    decimals: int,
    higher_is_better: bool,
    reference: float | None = None,
    reference_name: str = "Whole program",
) -> dict:
    """Return a horizontal bar chart of entities ranked best at the top (histogram if many)."""
    pairs = [(n, v) for n, v in zip(names, clean(values), strict=True) if v is not None]
    if len(pairs) > MAX_RANKED_BARS:
        return _histogram([v for _, v in pairs], unit, reference, reference_name)
    pairs.sort(key=lambda p: p[1], reverse=not higher_is_better)  # plotly puts the last on top
    bar = {
        "type": "bar",
        "orientation": "h",
        "name": unit,
        "x": [v for _, v in pairs],
        "y": [n for n, _ in pairs],
        "marker": {"color": ENTITY_COLOUR},
        "hovertemplate": f"%{{y}}: %{{x:,.{decimals}f}} {unit}<extra></extra>",
    }
    layout = _layout(80 + 26 * max(len(pairs), 1), unit, "", hovermode="closest", showlegend=False)
    layout["yaxis"]["type"] = "category"
    layout["shapes"] = _reference_line(reference)
    layout["annotations"] = _reference_label(reference, reference_name)
    return {"data": [bar], "layout": layout, "config": CONFIG}


def _histogram(values: list[float], unit: str, reference: float | None, ref_name: str) -> dict:
    trace = {
        "type": "histogram",
        "x": values,
        "nbinsx": 20,
        "marker": {"color": ENTITY_COLOUR, "line": {"color": "#ffffff", "width": 1}},
        "hovertemplate": "%{x}: %{y}<extra></extra>",
    }
    layout = _layout(320, unit, "Number with this result", hovermode="closest", showlegend=False)
    layout["shapes"] = _reference_line(reference)
    layout["annotations"] += _reference_label(reference, ref_name)
    return {"data": [trace], "layout": layout, "config": CONFIG}


def _reference_line(reference: float | None) -> list[dict]:
    if reference is None or _isnan(reference):
        return []
    line = {"color": REFERENCE_COLOUR, "dash": "dash", "width": 2}
    return [
        {
            "type": "line",
            "xref": "x",
            "yref": "paper",
            "x0": reference,
            "x1": reference,
            "y0": 0,
            "y1": 1,
            "line": line,
        }
    ]


def _reference_label(reference: float | None, name: str) -> list[dict]:
    if reference is None or _isnan(reference):
        return []
    return [
        {
            "x": reference,
            "xref": "x",
            "y": 1,
            "yref": "paper",
            "yanchor": "bottom",
            "text": name,
            "showarrow": False,
            "font": {"color": REFERENCE_COLOUR},
        }
    ]


def trend_summary(
    periods: Sequence[str],
    entity: Sequence[str | None],
    program: Sequence[str | None] | None,
    entity_name: str,
) -> str:
    """Return one or two plain sentences describing a trend, from already formatted values."""
    points = [(p, v) for p, v in zip(periods, entity, strict=True) if v]
    if not points:
        return f"No result can be shown for {entity_name} in any period."
    first, last = points[0], points[-1]
    if first is last:
        text = f"{entity_name} has one result to show: {last[1]} in {last[0]}."
    else:
        text = f"From {first[0]} to {last[0]}, {entity_name} went from {first[1]} to {last[1]}."
    if program is not None and program[-1]:
        text += f" The whole program's result in {periods[-1]} was {program[-1]}."
    return text


def ranked_summary(
    names: Sequence[str], shown: Sequence[str | None], values: Sequence[float | None], noun: str
) -> str:
    """Return a plain sentence giving how many results there are and their lowest and highest."""
    items = [
        (v, n, s) for n, s, v in zip(names, shown, clean(values), strict=True) if v is not None
    ]
    if not items:
        return f"No {noun} has a result that can be shown."
    low, high = min(items), max(items)
    if len(items) == 1:
        return f"One {_singular(noun)} has a result that can be shown: {high[1]}, {high[2]}."
    return (
        f"{len(items)} {noun} have a result that can be shown. The lowest is {low[2]} "
        f"({low[1]}) and the highest is {high[2]} ({high[1]})."
    )


def _singular(noun: str) -> str:
    return noun[:-1] if noun.endswith("s") else noun


def figure_json(figure: dict) -> str:
    """Return the figure as compact JSON that is safe inside an HTML <script> element."""
    text = json.dumps(figure, separators=(",", ":"), allow_nan=False, ensure_ascii=False)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
