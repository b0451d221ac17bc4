"""Template filters of the Ask page."""

import re

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

register = template.Library()


@register.filter
def cite_links(answer: str) -> str:
    """The answer, escaped, with each [n] linking to source n and line breaks kept."""
    text = escape(answer or "")
    text = re.sub(r"\[(\d{1,3})\]", r'<a class="cite" href="#source-\1">[\1]</a>', text)
    return mark_safe(text.replace("\n", "<br>"))  # noqa: S308 - built from escaped text only


@register.filter
def percent(value) -> str:
    return "" if value is None else f"{float(value):.0%}"
