"""Small charts drawn on the server as inline SVG: no chart library, no script, nothing from elsewhere.

Each function returns ``Markup`` ready for a template. Every text in it is escaped; colours are SVG
presentation attributes (``fill=``, ``stroke=``), which the pages' CSP allows where it refuses
``style=``. Each chart is ``role="img"`` and says its numbers in words, in its ``aria-label`` and
``<title>``, so a screen reader hears what the picture shows.
"""

from collections.abc import Mapping, Sequence
from itertools import cycle

from markupsafe import Markup, escape

PALETTE = ("#1f5fbf", "#d9822b", "#1d7a3a", "#b3261e", "#7b4fb8", "#0f8b8d", "#8a5a00", "#5b6475", "#c2185b")
AXIS = "#aab2c0"
TEXT = "#5b6475"

# The plotting area of line_chart and stacked_bars inside their default width and height.
WIDTH, HEIGHT = 720, 240
LEFT, RIGHT, TOP, BOTTOM = 40, 24, 28, 24
PLOT_WIDTH, PLOT_HEIGHT = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
MAX_X_LABELS = 8


def number(value: float) -> str:
    """A value as people read it: 3, 2.5, 33.3 (one decimal at most)."""
    rounded = round(float(value), 1)
    return str(int(rounded)) if rounded.is_integer() else f"{rounded:.1f}"


def _c(value: float) -> str:
    """A coordinate, short."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _svg(width: int, height: int, description: str, body: list[str], css_class: str) -> Markup:
    text = escape(description)
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {css_class}" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" aria-label="{text}">'
        f"<title>{text}</title>{''.join(body)}</svg>"
    )


def _colors(names: Sequence[str], colors: Mapping[str, str] | None) -> dict[str, str]:
    palette = cycle(PALETTE)
    return {name: (colors or {}).get(name) or next(palette) for name in names}


def sparkline(
    values: Sequence[float], *, title: str = "", width: int = 120, height: int = 28, color: str = PALETTE[0]
) -> Markup:
    """A small trend line without axes, scaled from zero to the largest value.

    Args:
        values: the points, oldest first.
        title: what the values are, said before them ("Reports per day: 0, 2, 5").
        width, height: the picture's size in pixels.
        color: the line's colour.

    Returns:
        An ``<svg>`` element with one ``<polyline>`` (and a dot on the last point).
    """
    listed = ", ".join(number(v) for v in values)
    description = f"{title}: {listed}" if title else listed
    if not values:
        return _svg(width, height, title, [], "sparkline")
    pad = 2.0
    top = max(values) or 1
    step = (width - 2 * pad) / max(len(values) - 1, 1)
    points = [(pad + i * step, height - pad - (v / top) * (height - 2 * pad)) for i, v in enumerate(values)]
    line = " ".join(f"{_c(x)},{_c(y)}" for x, y in points)
    last_x, last_y = points[-1]
    body = [
        f'<line x1="{_c(pad)}" y1="{_c(height - pad)}" x2="{_c(width - pad)}" y2="{_c(height - pad)}" '
        f'stroke="{AXIS}" stroke-width="0.5"/>',
        f'<polyline points="{line}" fill="none" stroke="{escape(color)}" stroke-width="1.5" '
        'stroke-linejoin="round"/>',
        f'<circle cx="{_c(last_x)}" cy="{_c(last_y)}" r="2" fill="{escape(color)}"/>',
    ]
    return _svg(width, height, description, body, "sparkline")


def _x_labels(labels: Sequence[str], x_of: list[float]) -> list[str]:
    """At most MAX_X_LABELS labels under the x axis, evenly spaced, the last one always."""
    if not labels:
        return []
    every = max(1, -(-len(labels) // MAX_X_LABELS))
    shown = set(range(len(labels) - 1, -1, -every))
    return [
        f'<text x="{_c(x_of[i])}" y="{HEIGHT - 6}" text-anchor="middle" font-size="10" fill="{TEXT}">'
        f"{escape(labels[i])}</text>"
        for i in sorted(shown)
    ]


def _y_axis(top: float, unit: str, whole: bool) -> list[str]:
    """Grid lines at zero, half and the top; for counts (``whole``) no label says half an item."""
    parts = []
    for fraction in (0.0, 0.5, 1.0):
        if whole and not float(top * fraction).is_integer():
            continue
        y = TOP + PLOT_HEIGHT * (1 - fraction)
        parts.append(
            f'<line x1="{LEFT}" y1="{_c(y)}" x2="{WIDTH - RIGHT}" y2="{_c(y)}" stroke="{AXIS}" '
            f'stroke-width="{1 if fraction == 0 else 0.5}"/>'
        )
        parts.append(
            f'<text x="{LEFT - 4}" y="{_c(y + 3)}" text-anchor="end" font-size="10" fill="{TEXT}">'
            f"{escape(number(top * fraction) + unit)}</text>"
        )
    return parts


def _legend(colors: dict[str, str]) -> list[str]:
    parts, x = [], float(LEFT)
    for name, color in colors.items():
        parts.append(f'<rect x="{_c(x)}" y="6" width="10" height="10" fill="{escape(color)}"/>')
        parts.append(f'<text x="{_c(x + 14)}" y="15" font-size="11" fill="{TEXT}">{escape(name)}</text>')
        x += 24 + 6.5 * len(name)
    return parts


def line_chart(
    series: Mapping[str, Sequence[float | None]],
    labels: Sequence[str],
    *,
    title: str = "",
    unit: str = "",
    max_value: float | None = None,
    colors: Mapping[str, str] | None = None,
) -> Markup:
    """Lines over shared x labels, with a legend and a y axis from zero.

    Args:
        series: each line's name (shown in the legend) and its values, one per label; ``None``
            leaves a gap (no data there).
        labels: the x axis, oldest first.
        title: what the chart shows, said before its numbers.
        unit: written after each number ("%").
        max_value: the top of the y axis; the largest value when not given.
        colors: a colour per series name; the palette gives the others.

    Returns:
        An ``<svg>`` element: per series a ``<g class="series" data-series=name>`` of ``<polyline>``
        pieces and a ``<circle>`` per value.
    """
    palette = _colors(list(series), colors)
    found = [v for values in series.values() for v in values if v is not None]
    top = max_value or max(found, default=0) or 1
    step = PLOT_WIDTH / max(len(labels) - 1, 1)
    x_of = [LEFT + i * step if len(labels) > 1 else LEFT + PLOT_WIDTH / 2 for i in range(len(labels))]
    whole = max_value is None and all(float(v).is_integer() for v in found)
    body = _y_axis(top, unit, whole) + _x_labels(labels, x_of) + _legend(palette)
    for name, values in series.items():
        color = escape(palette[name])
        pieces: list[list[tuple[float, float]]] = [[]]
        dots = []
        for i, value in enumerate(values[: len(labels)]):
            if value is None:
                pieces.append([])
                continue
            point = (x_of[i], TOP + PLOT_HEIGHT * (1 - min(value, top) / top))
            pieces[-1].append(point)
            dots.append(
                f'<circle cx="{_c(point[0])}" cy="{_c(point[1])}" r="2.5" fill="{color}">'
                f"<title>{escape(f'{labels[i]}: {name} {number(value)}{unit}')}</title></circle>"
            )
        lines = [
            f'<polyline points="{" ".join(f"{_c(x)},{_c(y)}" for x, y in piece)}" fill="none" '
            f'stroke="{color}" stroke-width="2" stroke-linejoin="round"/>'
            for piece in pieces
            if len(piece) > 1
        ]
        body.append(f'<g class="series" data-series="{escape(name)}">{"".join(lines + dots)}</g>')

    def said(values: Sequence[float | None], i: int) -> str:
        value = values[i] if i < len(values) else None
        return "—" if value is None else number(value) + unit

    words = "; ".join(
        f"{label}: " + ", ".join(f"{name} {said(values, i)}" for name, values in series.items())
        for i, label in enumerate(labels)
    )
    return _svg(WIDTH, HEIGHT, f"{title}. {words}" if title else words, body, "line-chart")


def stacked_bars(
    series: Mapping[str, Sequence[int]],
    labels: Sequence[str],
    *,
    title: str = "",
    colors: Mapping[str, str] | None = None,
) -> Markup:
    """One bar per label, its series stacked from the bottom in the order given, with a legend.

    Args:
        series: each part's name (shown in the legend) and its counts, one per label.
        labels: the x axis, oldest first.
        title: what the chart shows, said before its numbers.
        colors: a colour per series name; the palette gives the others.

    Returns:
        An ``<svg>`` element with a ``<g class="bar" data-label=label>`` per label holding a
        ``<rect>`` per non-zero part; heights are to scale, the tallest bar fills the plot.
    """
    palette = _colors(list(series), colors)
    totals = [sum(values[i] for values in series.values() if i < len(values)) for i in range(len(labels))]
    top = max(totals, default=0) or 1
    band = PLOT_WIDTH / max(len(labels), 1)
    bar = max(band * 0.72, 1.0)
    x_of = [LEFT + band * (i + 0.5) for i in range(len(labels))]
    body = _y_axis(top, "", True) + _x_labels(labels, x_of) + _legend(palette)
    described = []
    for i, label in enumerate(labels):
        y = float(TOP + PLOT_HEIGHT)
        rects, parts = [], []
        for name, values in series.items():
            value = values[i] if i < len(values) else 0
            if not value:
                continue
            height = PLOT_HEIGHT * value / top
            y -= height
            parts.append(f"{name} {value}")
            rects.append(
                f'<rect x="{_c(x_of[i] - bar / 2)}" y="{_c(y)}" width="{_c(bar)}" height="{_c(height)}" '
                f'fill="{escape(palette[name])}" data-series="{escape(name)}" data-value="{value}">'
                f"<title>{escape(f'{label}: {name} {value}')}</title></rect>"
            )
        body.append(
            f'<g class="bar" data-label="{escape(label)}" data-total="{totals[i]}">{"".join(rects)}</g>'
        )
        described.append(f"{label}: {', '.join(parts) if parts else '0'}")
    words = "; ".join(described)
    return _svg(WIDTH, HEIGHT, f"{title}. {words}" if title else words, body, "stacked-bars")
