"""A server-rendered daily chart: cost as bars, tokens as a line, in plain SVG coordinates."""

import math
from decimal import Decimal

# The side pads hold the axis labels, drawn larger on a phone (pulse.css) where the chart is scaled down.
WIDTH, HEIGHT, PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 720, 230, 96, 96, 14, 34


def nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _short(value: float) -> str:
    """50000 -> '50k', 2500000 -> '2.5M': axis labels that fit a phone."""
    for size, suffix in ((1_000_000, "M"), (1_000, "k")):
        if value >= size:
            return f"{value / size:g}{suffix}"
    return f"{value:g}"


def daily_chart(daily: list[dict]) -> dict:
    """Geometry for the template: one bar per day (cost) and a polyline (tokens), with axis maxima."""
    costs = [float(d["cost"]) for d in daily]
    tokens = [int(d["total_tokens"]) for d in daily]
    cost_max = nice_max(max(costs, default=0))
    token_max = nice_max(max(tokens, default=0))
    plot_w = WIDTH - PAD_LEFT - PAD_RIGHT
    plot_h = HEIGHT - PAD_TOP - PAD_BOTTOM
    slot = plot_w / max(len(daily), 1)
    bars, points, labels = [], [], []
    every = max(1, len(daily) // 8)
    for i, day in enumerate(daily):
        x = PAD_LEFT + i * slot
        height = plot_h * costs[i] / cost_max
        bars.append(
            {
                "x": round(x + slot * 0.15, 2),
                "y": round(PAD_TOP + plot_h - height, 2),
                "width": round(slot * 0.7, 2),
                "height": round(height, 2),
                "date": day["date"],
                "cost": Decimal(day["cost"]),
                "tokens": tokens[i],
                "requests": day["requests"],
            }
        )
        cx = x + slot / 2
        points.append(f"{cx:.2f},{PAD_TOP + plot_h - plot_h * tokens[i] / token_max:.2f}")
        if i % every == 0 or i == len(daily) - 1:
            # Every other label is "minor": a phone shows only the others, so they keep their room.
            labels.append({"x": round(cx, 2), "text": day["date"].strftime("%b %d"), "minor": len(labels) % 2 == 1})
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": PAD_LEFT,
        "right": WIDTH - PAD_RIGHT,
        "top": PAD_TOP,
        "bottom": HEIGHT - PAD_BOTTOM,
        "bars": bars,
        "line": " ".join(points),
        "labels": labels,
        "cost_max": cost_max,
        "token_max": int(token_max) if token_max >= 1 else token_max,
        "token_label": _short(token_max) + " tok",
    }
