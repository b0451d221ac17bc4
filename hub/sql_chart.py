"""An SVG chart for a SQL answer whose shape fits (a number over time: a line; a number per label:
bars), laid out here so the template only draws it. The hint comes from the SQL agent."""

WIDTH, HEIGHT, PAD = 640, 220, 24
MAX_POINTS = 60
VALUE_LABELS_UP_TO = 24  # more points than this and the numbers would overlap: the table lists them


def _short(value) -> str:
    text = str(value)
    return text if len(text) <= 18 else text[:17] + "…"


def sql_chart(table: dict | None) -> dict | None:
    if not table or table.get("chart") not in ("line", "bar") or len(table.get("rows") or []) < 2:
        return None
    rows = [r for r in table["rows"][:MAX_POINTS] if isinstance(r[1], int | float)]
    if len(rows) < 2:
        return None
    top = max(max(r[1] for r in rows), 1)
    step = (WIDTH - 2 * PAD) / len(rows)
    scale = (HEIGHT - 2 * PAD) / top
    bar_width = round(max(step * 0.7, 1), 1)
    points = [
        {
            "x": round(PAD + i * step + step / 2, 1),
            "bar_x": round(PAD + i * step + step / 2 - bar_width / 2, 1),
            "y": round(HEIGHT - PAD - r[1] * scale, 1),
            "height": round(r[1] * scale, 1),
            "value_y": round(HEIGHT - PAD - r[1] * scale - 4, 1),
            "label": str(r[0]),
            "value": r[1],
        }
        for i, r in enumerate(rows)
    ]
    return {
        "kind": table["chart"],
        "width": WIDTH,
        "height": HEIGHT,
        "bar_width": bar_width,
        "baseline": HEIGHT - PAD,
        "points": points,
        "polyline": " ".join(f"{p['x']},{p['y']}" for p in points),
        "max": top,
        "title": f"{table['columns'][1].replace('_', ' ')} by {table['columns'][0].replace('_', ' ')}",
        "show_values": len(points) <= VALUE_LABELS_UP_TO,
        # The axis names its ends: the first and last label (the table below has every one).
        "first_label": _short(points[0]["label"]),
        "last_label": _short(points[-1]["label"]),
        "label_y": HEIGHT - PAD + 16,
        "right": WIDTH - PAD,
    }
