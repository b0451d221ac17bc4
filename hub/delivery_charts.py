"""Server-rendered SVG geometry for the delivery dashboard: a sparkline per DORA tile and the
weekly charts, in plain SVG coordinates (no script)."""

from hub.charts import nice_max

SPARK_WIDTH, SPARK_HEIGHT = 120, 32
WIDTH, HEIGHT, PAD_LEFT, PAD_RIGHT, PAD_TOP, PAD_BOTTOM = 640, 180, 56, 12, 12, 26


def sparkline(values: list[float | None]) -> dict:
    """A polyline through the known values (gaps skipped), scaled to the tile."""
    known = [(i, v) for i, v in enumerate(values) if v is not None]
    top = max((v for _, v in known), default=0) or 1
    step = SPARK_WIDTH / max(len(values) - 1, 1)
    points = " ".join(f"{i * step:.1f},{SPARK_HEIGHT - 2 - (SPARK_HEIGHT - 4) * v / top:.1f}" for i, v in known)
    return {"width": SPARK_WIDTH, "height": SPARK_HEIGHT, "points": points, "count": len(known)}


def weekly_chart(series: list[dict], key: str, *, scale: float = 1.0) -> dict:
    """One bar per bucket of `series[key]` (divided by `scale`, e.g. 3600 for hours); None is no bar."""
    values = [None if row[key] is None else row[key] / scale for row in series]
    top = nice_max(max((v for v in values if v is not None), default=0))
    plot_w, plot_h = WIDTH - PAD_LEFT - PAD_RIGHT, HEIGHT - PAD_TOP - PAD_BOTTOM
    slot = plot_w / max(len(values), 1)
    bars, labels = [], []
    every = max(1, len(values) // 6)
    for i, (row, value) in enumerate(zip(series, values, strict=True)):
        x = PAD_LEFT + i * slot
        if value is not None:
            height = plot_h * value / top
            bars.append(
                {
                    "x": round(x + slot * 0.15, 2),
                    "y": round(PAD_TOP + plot_h - height, 2),
                    "width": round(max(slot * 0.7, 1), 2),
                    "height": round(height, 2),
                    "start": row["start"],
                    "value": value,
                }
            )
        if i % every == 0:
            labels.append({"x": round(x + slot / 2, 2), "text": row["start"].strftime("%b %d")})
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": PAD_LEFT,
        "right": WIDTH - PAD_RIGHT,
        "top": PAD_TOP,
        "bottom": HEIGHT - PAD_BOTTOM,
        "bars": bars,
        "labels": labels,
        "max": top,
    }
