"""How a result is shown: a chart hint that fits its shape and a one-line summary, both computed
from the rows (a model never states a number)."""

import re

DATE = re.compile(r"^\d{4}-\d{2}(-\d{2})?")
TIME_COLUMN = re.compile(r"week|month|day|date|year|period", re.IGNORECASE)
MAX_BARS = 30


def _numeric(values) -> bool:
    present = [v for v in values if v is not None]
    return bool(present) and all(isinstance(v, int | float) and not isinstance(v, bool) for v in present)


def chart_of(columns: list[str], rows: list[list]) -> str:
    """line (a number over time), bar (a number per label, at most 30), else table."""
    if len(columns) != 2 or len(rows) < 2 or not _numeric(r[1] for r in rows):
        return "table"
    labels = [r[0] for r in rows]
    if TIME_COLUMN.search(columns[0]) or all(isinstance(v, str) and DATE.match(v) for v in labels):
        return "line"
    return "bar" if len(rows) <= MAX_BARS else "table"


def _label(column: str) -> str:
    return column.replace("_", " ")


def _number(value) -> str:
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def summary_of(columns: list[str], rows: list[list], chart: str, truncated: bool) -> str:
    if not rows:
        return "No rows matched."
    if len(rows) == 1:
        text = "; ".join(f"{_label(c)}: {_number(v)}" for c, v in zip(columns, rows[0], strict=True))
    elif chart == "line":
        peak = max((r for r in rows if r[1] is not None), key=lambda r: r[1])
        text = (
            f"{len(rows)} {_label(columns[0])} values from {rows[0][0]} to {rows[-1][0]}; "
            f"highest {_label(columns[1])}: {_number(peak[1])} ({peak[0]})."
        )
    elif chart == "bar":
        top = rows[0]
        text = f"{len(rows)} rows; first: {top[0]} with {_number(top[1])} {_label(columns[1])}."
    else:
        text = f"{len(rows)} rows."
    return text + (" (Cut at the cap: more rows exist.)" if truncated else "")
