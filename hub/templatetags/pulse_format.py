"""How the hub writes things: providers by their names, prices one way, field names and dates
for people rather than as keys and ISO strings."""

from datetime import UTC, datetime
from decimal import Decimal

from django import template
from django.utils.dateparse import parse_datetime

from ai.providers.registry import provider_label

register = template.Library()

register.filter("provider_label", provider_label)


@register.filter
def price_per_1k(value) -> str:
    """One format for every price: '$0.00002 per 1K tokens', 'free', or 'price unknown'."""
    if value is None or value == "":
        return "price unknown"
    amount = Decimal(str(value))
    if amount == 0:
        return "free"
    return f"${amount.normalize():f} per 1K tokens"


@register.filter
def field_label(key: str) -> str:
    """'item_type' -> 'Item type'; 'committed_at' -> 'Committed'."""
    words = str(key).removesuffix("_at").replace("_", " ").strip()
    return words[:1].upper() + words[1:]


@register.filter
def readable(value) -> str:
    """A record's field value: dates as 'YYYY-MM-DD HH:MM UTC', lists joined, empty as '—'."""
    if value in (None, "", [], {}):
        return "—"
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and "T" in value:
        value = parse_datetime(value) or value
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value) or "—"
    return str(value)
