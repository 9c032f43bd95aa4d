"""Results -> Plotly figures as plain dicts, plus a one-paragraph text summary of each (no I/O).

Figures are embedded in pages as JSON and drawn by one site-wide script (site_templates/static/
charts.js) with the plotly.js bundled in the installed plotly package, so nothing here needs
plotly itself. To keep pages light a figure carries only what is its own (data, height, titles,
shapes): the look shared by every chart (BASE_LAYOUT, CONFIG) lives in charts.js, which merges
it in before drawing; a test checks the two copies agree. Numbers are rounded to one digit more
than the page shows.

Colours are from the Okabe-Ito palette, which stays distinct for the common forms of colour
blindness; lines also differ by dash and marker shape, and the benchmark band is a shaded area,
so colour is never the only cue.
"""

from __future__ import annotations

import json
import math
import textwrap
from collections import Counter
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
    # darker shades of orange and sky: lines and edges need 3:1 against a white page (WCAG
    # 1.4.11), which the palette's orange (2.25:1) and sky (2.31:1) do not reach
    "dark orange": "#A35F00",  # 5.0:1 on white
    "dark sky": "#3B82B8",  # 4.1:1 on white, 3.9:1 on the dark theme's background
}
ENTITY_COLOUR = PALETTE["blue"]
PROGRAM_COLOUR = PALETTE["dark orange"]
REFERENCE_COLOUR = PALETTE["vermillion"]
BAND_FILL = "rgba(86,180,233,0.4)"  # sky, see-through: the middle half of peers
BAND_LINE = {"width": 1, "color": PALETTE["dark sky"]}  # the band's edge, seen at 3:1 or more
# The dark theme's stand-ins for colours too dark on its background (charts.js swaps them):
# the program's line goes back to the palette's orange (7.2:1 there, 3.2:1 for dark orange),
# the organisation's a lighter blue; both at least 4.5:1, like text, on #1e2029.
DARK_COLOURS: dict[str, str] = {
    PROGRAM_COLOUR: PALETTE["orange"],
    # the organisation's own line and dots: the palette's blue is 3.1:1 there, this 7.0:1
    ENTITY_COLOUR: "#62B0F0",
    "#1f5f8b": "#7fc4f0",  # the ranked chart's band label
    "#a33f00": "#ff9d66",  # and its program label (the colours of scorecard.css)
}
NAME_CHARACTERS = 20  # a ranked chart's names are cut to this, to leave a phone room to plot
NOT_RATED_COLOUR = "#9e9e9e"
MAX_RANKED_BARS = 80  # above this many entities a ranked chart becomes a histogram
RANKED_ROW_HEIGHT = 18

# Shared by every figure; charts.js holds the same two objects (see the module docstring).
CONFIG: dict = {"displayModeBar": False, "responsive": True}
BASE_LAYOUT: dict = {
    "font": {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif", "size": 13},
    "margin": {"l": 60, "r": 20, "t": 10, "b": 50},
    "paper_bgcolor": "rgba(0,0,0,0)",
    "plot_bgcolor": "rgba(0,0,0,0)",
    "xaxis": {"gridcolor": "#e0e0e0", "automargin": True},
    "yaxis": {"gridcolor": "#e0e0e0", "automargin": True},
    "legend": {"orientation": "h", "y": -0.3},
    "hovermode": "x unified",
}

# Defaults of the recurring pieces of a trend chart, by role: a trace names its role in `meta`,
# an annotation or shape in `name`. figure_json() leaves out whatever equals these defaults and
# charts.js (which holds the same ROLES) puts it back before drawing.
_ERROR_BARS = {"type": "data", "thickness": 1.2, "width": 4}
ROLES: dict = {
    "trace": {
        "entity": {
            "mode": "lines+markers",
            "line": {"color": ENTITY_COLOUR, "dash": "solid", "width": 2.5},
            "marker": {"color": ENTITY_COLOUR, "symbol": "circle", "size": 8},
            "connectgaps": False,
            "error_y": {**_ERROR_BARS, "color": ENTITY_COLOUR},
        },
        "program": {
            "mode": "lines+markers",
            "line": {"color": PROGRAM_COLOUR, "dash": "dash", "width": 2.5},
            "marker": {"color": PROGRAM_COLOUR, "symbol": "square", "size": 8},
            "connectgaps": False,
        },
        "swatch": {
            "mode": "lines",
            "x": [None],
            "y": [None],
            "fill": "toself",
            "fillcolor": BAND_FILL,
            "line": BAND_LINE,
            "hoverinfo": "skip",
        },
    },
    "annotation": {
        "ytitle": {
            "xref": "paper",
            "yref": "paper",
            "x": 0,
            "y": 1,
            "xanchor": "left",
            "yanchor": "bottom",
            "showarrow": False,
            "font": {"size": 12},
        },
    },
    "shape": {
        "band": {
            "type": "path",
            "xref": "x",
            "yref": "y",
            "fillcolor": BAND_FILL,
            "line": BAND_LINE,
            "layer": "below",
        },
    },
}

Number = float | None


def clean(values: Sequence[float | None], digits: int | None = None) -> list[Number]:
    """Return `values` as JSON-safe floats (rounded to `digits`), NaN and None as None (a gap)."""
    out: list[Number] = []
    for v in values:
        if v is None:  # a gap (the common case: faster than the exception below)
            out.append(None)
            continue
        try:
            number = float(v)  # type: ignore[arg-type]
        except (TypeError, ValueError):  # None, pd.NA, text
            out.append(None)
            continue
        if number != number:  # NaN
            out.append(None)
        else:
            out.append(round(number, digits) if digits is not None else number)
    return out


def _isnan(value: object) -> bool:
    try:
        return math.isnan(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return True


def _layout(height: int, x_title: str = "", y_title: str = "", **extra: object) -> dict:
    """Return what a figure's layout adds to BASE_LAYOUT; a y-axis title goes above the plot."""
    layout: dict = {"height": height, "xaxis": {}, "yaxis": {"rangemode": "nonnegative"}}
    if x_title:
        layout["xaxis"]["title"] = {"text": x_title}
    if y_title:
        layout["margin"] = {"t": 30}
        layout["annotations"] = [_corner_label(y_title)]
    layout.update(extra)
    return layout


def _corner_label(text: str) -> dict:
    return {"name": "ytitle", "text": text, **ROLES["annotation"]["ytitle"]}


def _error_bars(
    values: list[Number], lower: list[Number], upper: list[Number], digits: int
) -> dict | None:
    plus = [
        None if v is None or u is None else round(u - v, digits)
        for v, u in zip(values, upper, strict=True)
    ]
    minus = [
        None if v is None or lo is None else round(v - lo, digits)
        for v, lo in zip(values, lower, strict=True)
    ]
    if all(p is None for p in plus):
        return None
    return {"type": "data", "array": plus, "arrayminus": minus, "thickness": 1.2, "width": 4}


def _line(
    name: str, x: list[str], y: list[Number], colour: str, dash: str, symbol: str, role: str
) -> dict:
    return {
        "type": "scatter",
        "meta": role,
        "mode": "lines+markers",
        "name": name,
        "x": x,
        "y": y,
        "line": {"color": colour, "dash": dash, "width": 2.5},
        "marker": {"color": colour, "symbol": symbol, "size": 8},
        "connectgaps": False,
    }


def _band_shapes(low: list[Number], high: list[Number]) -> list[dict]:
    """Return the shaded area between two series as closed paths behind the lines.

    The x axis of a trend chart is a category axis, on which a path's x is the category's
    position (0, 1, 2, ...). A gap in either series splits the area.
    """
    shapes, run = [], []
    for i, (lo, hi) in enumerate([*zip(low, high, strict=True), (None, None)]):
        if lo is not None and hi is not None:
            run.append((i, lo, hi))
            continue
        if len(run) >= 2:
            top = [f"{x},{hi:g}" for x, _, hi in run]
            bottom = [f"{x},{lo:g}" for x, lo, _ in reversed(run)]
            path = "M" + " L".join(top + bottom) + " Z"
            shapes.append(
                {
                    "name": "band",
                    "type": "path",
                    "path": path,
                    "xref": "x",
                    "yref": "y",
                    "fillcolor": BAND_FILL,
                    "line": BAND_LINE,
                    "layer": "below",
                }
            )
        run = []
    return shapes


def _legend_swatch(name: str) -> dict:
    """Return an empty trace that only puts a shaded swatch and its name in the legend."""
    return {
        "type": "scatter",
        "meta": "swatch",
        "mode": "lines",
        "name": name,
        "x": [None],
        "y": [None],
        "fill": "toself",
        "fillcolor": BAND_FILL,
        "line": BAND_LINE,
        "hoverinfo": "skip",
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
    band: tuple[Sequence[float | None], Sequence[float | None]] | None = None,
    band_name: str = "Middle half of peers",
    program_name: str = "Whole program",
    shared: dict | None = None,
    text: Sequence[str] | None = None,
    program_text: Sequence[str] | None = None,
    x_title: str = "",
) -> dict:
    """Return a line chart of one measure over periods: the entity, the program and, if given,
    the peers' interquartile band (p25 to p75) as a shaded area behind the lines (data[0] is
    always the entity, data[1] the program when given).

    `text` and `program_text` are the values as the page's table writes them ('51.5% of
    members'): the hover shows them as they are, so it never disagrees with the table by a
    second rounding (the points are drawn at one digit more). Without them the unrounded
    values are written with `decimals` places and the unit. The hover's heading is the full
    period ('2025 Q4'), not the tick's 'Q4' (charts.js writes the ticks).

    `x_title`, under the periods, says what months each point covers (site.window_note).

    `shared`, a dict the caller keeps across the charts of a measure for many entities, keeps
    the program's line, the band and the layout, made again only when their inputs change.
    """
    digits = int(decimals) + 1
    y = clean(entity, digits)
    trace = _line(entity_name, list(periods), y, ENTITY_COLOUR, "solid", "circle", "entity")
    if lower is not None and upper is not None:
        bars = _error_bars(y, clean(lower, digits), clean(upper, digits), digits)
        if bars:
            trace["error_y"] = {**bars, "color": ENTITY_COLOUR}
    trace["customdata"] = list(text) if text is not None else value_texts(entity, unit, decimals)
    trace["hovertemplate"] = HOVER
    if program is not None and program_text is None:
        program_text = value_texts(program, unit, decimals)
    key = (
        tuple(periods),
        program and tuple(program),
        program_text and tuple(program_text),
        unit,
        decimals,
        band and tuple(map(tuple, band)),
        band_name,
        program_name,
        x_title,
    )
    if shared is not None and shared.get("key") == key:
        rest, layout = shared["rest"], shared["layout"]
    else:
        rest, layout = _trend_rest(
            periods, program, program_text, unit, digits, band, band_name, program_name, x_title
        )
        if shared is not None:
            shared.update(key=key, rest=rest, layout=layout)
    return {"data": [trace, *rest], "layout": layout}


# A trend chart's hover: the value as the page writes it (customdata), the line's name.
HOVER = "%{customdata}<extra>%{fullData.name}</extra>"


def value_texts(values: Sequence[float | None], unit: str, decimals: int) -> list[str]:
    """Return values written with `decimals` places and the unit ('' for a gap), rounded once
    from the values themselves."""
    return ["" if v is None else f"{v:,.{int(decimals)}f} {unit}" for v in clean(values)]


def _trend_rest(
    periods: Sequence[str],
    program: Sequence[float | None] | None,
    program_text: Sequence[str] | None,
    unit: str,
    digits: int,
    band: tuple[Sequence[float | None], Sequence[float | None]] | None,
    band_name: str,
    program_name: str,
    x_title: str = "",
) -> tuple[list[dict], dict]:
    """Return the traces of a trend chart after the entity's (program, band swatch) and its
    layout: what the charts of a measure across entities share."""
    rest = []
    if program is not None:
        x, y = list(periods), clean(program, digits)
        rest.append(_line(program_name, x, y, PROGRAM_COLOUR, "dash", "square", "program"))
        rest[0]["customdata"] = list(program_text or [])
        rest[0]["hovertemplate"] = HOVER
    layout = _layout(260, x_title, unit)
    if x_title:  # small, to fit a phone's width; the legend goes under it
        layout["xaxis"]["title"]["font"] = {"size": 12}
        layout["legend"] = {"yref": "container", "y": 0, "yanchor": "bottom"}
    layout["xaxis"]["type"] = "category"  # charts.js writes quarters as 'Q1' over '2025'
    # the hover's heading: the period itself ('2025 Q4'), not the tick charts.js writes ('Q4')
    layout["xaxis"]["unifiedhovertitle"] = {"text": "%{x}"}
    if band is not None:
        shapes = _band_shapes(clean(band[0], digits), clean(band[1], digits))
        if shapes:
            layout["shapes"] = shapes
            rest.append(_legend_swatch(band_name))
    return rest, layout


def ranked_figure(
    names: Sequence[str],
    values: Sequence[float | None],
    *,
    unit: str,
    decimals: int,
    higher_is_better: bool,
    reference: float | None = None,
    reference_name: str = "Whole program",
    lower: Sequence[float | None] | None = None,
    upper: Sequence[float | None] | None = None,
    band: tuple[float | None, float | None] | None = None,
    band_name: str = "Middle half",
    text: Sequence[str] | None = None,
) -> dict:
    """Return a dot chart of entities ranked best at the top, each with its interval, over the
    peers' middle-half band and the program line (a histogram when there are very many).
    `text`: the values as the page's table writes them, shown as they are in the hover
    (trend_figure)."""
    digits = int(decimals) + 1
    count = len(names)
    low = clean(lower, digits) if lower is not None else [None] * count
    high = clean(upper, digits) if upper is not None else [None] * count
    shown = list(text) if text is not None else value_texts(values, unit, decimals)
    rows = [
        (n, v, lo, hi, t)
        for n, v, lo, hi, t in zip(names, clean(values, digits), low, high, shown, strict=True)
        if v is not None
    ]
    if len(rows) > MAX_RANKED_BARS:
        return _histogram([r[1] for r in rows], unit, reference, reference_name, band)
    rows.sort(key=lambda r: r[1], reverse=not higher_is_better)  # plotly puts the last on top
    xs = [r[1] for r in rows]
    dots: dict = {
        "type": "scatter",
        "mode": "markers",
        "name": unit,
        "x": xs,
        "y": short_names([r[0] for r in rows]),
        "text": [r[0] for r in rows],  # the full names, for the hover (markers only: not drawn)
        "customdata": [r[4] for r in rows],
        "marker": {"color": ENTITY_COLOUR, "symbol": "circle", "size": 9},
        "hovertemplate": "%{text}: %{customdata}<extra></extra>",
    }
    bars = _error_bars(xs, [r[2] for r in rows], [r[3] for r in rows], digits)
    if bars:
        dots["error_x"] = {**bars, "color": ENTITY_COLOUR}
    height = 90 + RANKED_ROW_HEIGHT * max(len(rows), 1)
    layout = _layout(height, unit, "", hovermode="closest", showlegend=False)
    layout["yaxis"] = {"type": "category", "automargin": True, "tickfont": {"size": 12}}
    # few ticks, level: a phone's narrow plot has room for four numbers side by side; the
    # unit under them in lines short enough to stay on its screen
    layout["xaxis"].update(rangemode="tozero", nticks=4, tickangle=0)
    layout["xaxis"]["title"] = {"text": _wrapped(unit, 20), "font": {"size": 12}}
    layout["shapes"] = _band_shape(band, digits) + _reference_line(reference)
    widest = _widest([v for r in rows for v in r[1:4]] + [reference, *(band or ())])
    labels = _band_label(band, band_name, widest)
    below = 14 * sum(a["text"].count("<br>") + 1 for a in labels)  # the band label's lines
    labels += _reference_label(reference, reference_name, widest, below)
    layout["margin"] = {"t": 16 + 14 * sum(a["text"].count("<br>") + 1 for a in labels)}
    layout["annotations"] = labels
    return {"data": [dots], "layout": layout}


def _widest(values: Sequence[float | None]) -> float:
    numbers = [float(v) for v in values if not _isnan(v)]
    return max(numbers, default=0.0)


def _wrapped(text: str, width: int = 26) -> str:
    """Return a label broken into lines of at most `width` characters, to fit a phone."""
    return "<br>".join(textwrap.wrap(text, width)) or text


def short_names(names: Sequence[str], most: int = NAME_CHARACTERS) -> list[str]:
    """Return names cut to `most` characters at a word's end, with '…' (the hover and the data
    table give them whole). Names whose cuts two would share keep their ends as well
    ('Commonwealth…Cape ACO'), or else stay whole, so the rows stay apart on the chart's
    category axis."""
    cut = [_cut(name, most) for name in names]
    for shorten in (_cut_middle, lambda name, _: name):
        counts = Counter(cut)
        cut = [shorten(n, most) if counts[c] > 1 else c for c, n in zip(cut, names, strict=True)]
    return cut


def _cut(name: str, most: int) -> str:
    if len(name) <= most:
        return name
    head = name[: most - 1]
    if name[most - 1] != " " and " " in head.strip():  # the last word is cut: leave it out
        head = head.rsplit(" ", 1)[0]
    return head.rstrip(" ,&-") + "…"


def _cut_middle(name: str, most: int) -> str:
    """Return a name's first word and its last words within `most` - 8 characters (where names
    that begin alike differ): 'Commonwealth…Cape ACO'."""
    words = name.split()
    tail = words[-1]
    for word in reversed(words[1:-1]):
        if len(word) + 1 + len(tail) > most - 8:
            break
        tail = f"{word} {tail}"
    shortened = f"{words[0]}…{tail}"
    return shortened if len(shortened) < len(name) else name


def _inside(x: float, widest: float) -> str:
    """Return how a label at x lines up so that it stays inside a plot from 0 to `widest`:
    from its left in the plot's left third, centred in the middle, from its right after."""
    share = x / widest if widest > 0 else 0.0
    return "left" if share < 1 / 3 else "center" if share < 2 / 3 else "right"


def _histogram(
    values: list[float],
    unit: str,
    reference: float | None,
    ref_name: str,
    band: tuple[float | None, float | None] | None = None,
) -> dict:
    trace = {
        "type": "histogram",
        "x": values,
        "nbinsx": 20,
        "marker": {"color": ENTITY_COLOUR, "line": {"color": "#ffffff", "width": 1}},
        "hovertemplate": "%{x}: %{y}<extra></extra>",
    }
    layout = _layout(320, unit, "Number with this result", hovermode="closest", showlegend=False)
    layout["shapes"] = _band_shape(band, 6) + _reference_line(reference)
    widest = _widest([*values, reference, *(band or ())])
    layout["annotations"] += _reference_label(reference, ref_name, widest)
    return {"data": [trace], "layout": layout}


def _band_shape(band: tuple[float | None, float | None] | None, digits: int) -> list[dict]:
    if band is None or _isnan(band[0]) or _isnan(band[1]):
        return []
    low, high = clean(band, digits)
    return [
        {
            "type": "rect",
            "xref": "x",
            "yref": "paper",
            "x0": low,
            "x1": high,
            "y0": 0,
            "y1": 1,
            "fillcolor": BAND_FILL,
            "line": BAND_LINE,
            "layer": "below",
        }
    ]


def _band_label(
    band: tuple[float | None, float | None] | None, name: str, widest: float = 0.0
) -> list[dict]:
    if band is None or _isnan(band[0]) or _isnan(band[1]):
        return []
    middle = (float(band[0]) + float(band[1])) / 2  # type: ignore[arg-type]
    return [
        {
            "x": round(middle, 6),
            "xref": "x",
            "y": 1,
            "yref": "paper",
            "yanchor": "bottom",
            "xanchor": _inside(middle, widest) if widest else "center",
            "text": _wrapped(name),
            "showarrow": False,
            "font": {"color": "#1f5f8b", "size": 11},
        }
    ]


def _reference_line(reference: float | None) -> list[dict]:
    if reference is None or _isnan(reference):
        return []
    line = {"color": REFERENCE_COLOUR, "dash": "dash", "width": 2}
    x = round(float(reference), 6)
    return [
        {
            "type": "line",
            "xref": "x",
            "yref": "paper",
            "x0": x,
            "x1": x,
            "y0": 0,
            "y1": 1,
            "line": line,
        }
    ]


def _reference_label(
    reference: float | None, name: str, widest: float = 0.0, above: int = 14
) -> list[dict]:
    """Return the label of the program's line, `above` pixels higher than the band's label
    (its lines' height), so the two never overlap."""
    if reference is None or _isnan(reference):
        return []
    return [
        {
            "x": round(float(reference), 6),
            "xref": "x",
            "y": 1,
            "yref": "paper",
            "yanchor": "bottom",
            "xanchor": _inside(float(reference), widest) if widest else "left",
            "yshift": above,
            "text": _wrapped(name),
            "showarrow": False,
            "font": {"color": "#a33f00", "size": 11},
        }
    ]


def stars_figure(counts: Sequence[int], not_rated: int = 0) -> dict:
    """Return a bar chart of how many entities got 1 to 5 stars (and, in grey, not rated)."""
    labels = ["1 star", "2 stars", "3 stars", "4 stars", "5 stars"]
    colours = [ENTITY_COLOUR] * 5
    values = [int(c) for c in counts]
    if not_rated:
        labels.append("Not rated")
        values.append(int(not_rated))
        colours.append(NOT_RATED_COLOUR)
    bar = {
        "type": "bar",
        "x": labels,
        "y": values,
        "marker": {"color": colours},
        "text": [str(v) for v in values],
        "textposition": "outside",
        "cliponaxis": False,
        "hovertemplate": "%{x}: %{y}<extra></extra>",
    }
    layout = _layout(220, "", "Number of organisations", hovermode="closest", showlegend=False)
    layout["xaxis"]["type"] = "category"
    return {"data": [bar], "layout": layout}


def trend_summary(
    periods: Sequence[str],
    entity: Sequence[str | None],
    program: Sequence[str | None] | None,
    entity_name: str,
    program_name: str = "Whole program",
) -> str:
    """Return one or two plain sentences describing a trend, from already formatted values
    (`program_name`: the reference line's, 'Whole program' or 'All members of ...')."""
    points = [(p, v) for p, v in zip(periods, entity, strict=True) if v]
    if not points:
        return f"No result can be shown for {entity_name} in any period."
    first, last = points[0], points[-1]
    if first is last:
        text = f"{entity_name} has one result to show: {last[1]} in {last[0]}."
    else:
        text = f"From {first[0]} to {last[0]}, {entity_name} went from {first[1]} to {last[1]}."
    if last[0] != periods[-1]:
        text += f" Its result for {periods[-1]} is not shown."
    if program is not None and program[-1]:
        text += f" {_reference_words(program_name)} in {periods[-1]} was {program[-1]}."
    return text


def _reference_words(program_name: str) -> str:
    """Return the reference line's result in words: "The whole program's result"."""
    if program_name == "Whole program":
        return "The whole program's result"
    return f"The result for {program_name[0].lower()}{program_name[1:]}"


def line_words(line_name: str, value: str) -> str:
    """Return what a chart's dashed reference line is, in words, with its formatted value:
    "the whole program's result, 27.0%"."""
    words = _reference_words(line_name)
    return f"{words[0].lower()}{words[1:]}, {value}"


def line_summary(line_name: str, value: str) -> str:
    """Return a sentence saying where a chart's dashed reference line is ('' when none is
    drawn), for the chart's text summary."""
    if not value:
        return ""
    return f" The dashed line is {line_words(line_name, value)}."


def band_summary(period: str, band: str, peers: str) -> str:
    """Return a sentence saying where the middle half of peers lay in a period ('' if unknown);
    band is already formatted, e.g. '12.0% to 15.5% of members'."""
    if not band:
        return ""
    return f" In {period}, the middle half of {peers} scored from {band}."


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


def stars_summary(counts: Sequence[int], not_rated: int, noun: str) -> str:
    """Return a plain sentence giving how many entities got each number of stars."""
    parts = [f"{c} got {s} star{'s' if s > 1 else ''}" for s, c in enumerate(counts, 1) if c]
    text = "; ".join(parts) if parts else f"No {_singular(noun)} was rated"
    if not_rated and parts:
        text += f"; {not_rated} {'was' if not_rated == 1 else 'were'} not rated"
    return f"Stars of {noun}: {text}."


def _singular(noun: str) -> str:
    return noun[:-1] if noun.endswith("s") else noun


def _without_defaults(item: dict, defaults: dict) -> dict:
    """Return item less the keys whose values equal defaults (recursively into dicts)."""
    out = {}
    for key, value in item.items():
        default = defaults.get(key, _MISSING)
        if value == default:
            continue
        if isinstance(value, dict) and isinstance(default, dict):
            value = _without_defaults(value, default)
        out[key] = value
    return out


_MISSING = object()


def compact(figure: dict) -> dict:
    """Return the figure less what its pieces' roles (ROLES) already say."""
    if "data" not in figure:
        return figure
    data = [_without_defaults(t, ROLES["trace"].get(t.get("meta"), {})) for t in figure["data"]]
    layout = dict(figure.get("layout", {}))
    for key, kind in (("annotations", "annotation"), ("shapes", "shape")):
        if key in layout:
            layout[key] = [
                _without_defaults(item, ROLES[kind].get(item.get("name"), {}))
                for item in layout[key]
            ]
    return {**figure, "data": data, "layout": layout}


def figure_json(figure: dict, shared: dict | None = None) -> str:
    """Return the figure as compact JSON that is safe inside an HTML <script> element.

    `shared`, a dict the caller keeps for figures that differ only by their first trace (the
    trend charts of a measure across the entities of a level), keeps the JSON of the other
    traces and of the layout, made again only when they are not equal to the last ones.
    """
    if shared is None or list(figure) != ["data", "layout"] or not figure["data"]:
        return _script_safe(_dumps(compact(figure)))
    first, rest, layout = figure["data"][0], figure["data"][1:], figure["layout"]
    if shared.get("rest") != rest or shared.get("layout") != layout:
        tail = compact({"data": rest, "layout": layout})
        texts = [_dumps(trace) for trace in tail["data"]]
        shared.update(rest=rest, layout=layout, tail=texts, layout_json=_dumps(tail["layout"]))
    trace = compact({"data": [first]})["data"][0]
    data = ",".join([_dumps(trace), *shared["tail"]])
    return _script_safe(f'{{"data":[{data}],"layout":{shared["layout_json"]}}}')


def _dumps(value: object) -> str:
    return json.dumps(value, separators=(",", ":"), allow_nan=False, ensure_ascii=False)


def _script_safe(text: str) -> str:
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
