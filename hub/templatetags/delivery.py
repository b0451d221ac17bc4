"""Display of delivery numbers: durations in hours or days, rates in percent."""

from django import template

register = template.Library()


@register.filter
def duration(seconds) -> str:
    """3600 -> '1.0 h'; 172800 -> '2.0 days'; None -> '—'."""
    if seconds is None:
        return "—"
    hours = float(seconds) / 3600
    if hours < 48:
        return f"{hours:.1f} h"
    return f"{hours / 24:.1f} days"


@register.filter
def percent(rate) -> str:
    return "—" if rate is None else f"{100 * float(rate):.0f} %"


@register.filter
def number(value, digits: int = 1) -> str:
    return "—" if value is None else f"{float(value):.{int(digits)}f}"
