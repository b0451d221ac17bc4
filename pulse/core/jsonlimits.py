"""Depth, size and character limits for JSON that users send, checked without recursion.

Python's json module recurses: about 1,000 levels of nesting raise RecursionError (a 500), and a
stored 900-level value made every admin page that renders it fail. So depth is measured
iteratively, before parsing (on text) or before storing (on values), and refused with a clear 400.
PostgreSQL's jsonb cannot hold a NUL character, so one is refused here too rather than at save.
"""

import json
import re

from django import forms
from django.core.exceptions import ValidationError

MAX_DEPTH = 32  # Pulse's deepest legitimate body (a YAML import wrapped in JSON) is well under 10
MAX_VALUE_CHARS = 64 * 1024  # one settings column (configuration, model_config, ...)

# A complete JSON string, or an unterminated one running to the end (so an unclosed quote costs
# one linear pass, never one pass per later quote), or a bracket.
_TOKEN = re.compile(r'"(?:[^"\\]|\\[\s\S])*(?:"|\Z)|[\[\]{}]')


def text_depth(text: str, limit: int = MAX_DEPTH) -> int:
    """Nesting depth of a JSON text, counting brackets outside strings; stops once past `limit`.
    Works on invalid JSON too (the parser refuses that afterwards)."""
    depth = deepest = 0
    for match in _TOKEN.finditer(text):
        char = match.group()[0]
        if char in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    break
        elif char in "]}":
            depth -= 1
    return deepest


def value_depth(value, limit: int = MAX_DEPTH) -> int:
    """Nesting depth of a parsed value (dicts and lists), with an explicit stack."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    break
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def _has_nul(value) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str) and "\x00" in item:
            return True
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def json_value_problem(value, *, max_chars: int = MAX_VALUE_CHARS) -> str | None:
    """Why a JSON value may not be stored (too deep, too large, a NUL character), or None."""
    if value_depth(value) > MAX_DEPTH:
        return f"Nested deeper than {MAX_DEPTH} levels."
    if _has_nul(value):
        return "Contains a NUL character, which JSON settings cannot hold."
    if len(json.dumps(value, default=str)) > max_chars:
        return f"Larger than {max_chars // 1024} KB."
    return None


def validate_json_value(value) -> None:
    if problem := json_value_problem(value):
        raise ValidationError(problem)


class BoundedJSONFormField(forms.JSONField):
    """A form's JSON field (the admin's) that refuses too-deep or too-large text before parsing it:
    Django's own would recurse into a RecursionError, a 500 for everyone opening the page."""

    def _check_text(self, value):
        if isinstance(value, str) and (len(value) > MAX_VALUE_CHARS or text_depth(value) > MAX_DEPTH):
            raise ValidationError(f"At most {MAX_DEPTH} levels of nesting and {MAX_VALUE_CHARS // 1024} KB.")

    def to_python(self, value):
        self._check_text(value)
        parsed = super().to_python(value)
        validate_json_value(parsed)
        return parsed

    def bound_data(self, data, initial):
        try:
            self._check_text(data)
        except ValidationError:
            return forms.fields.InvalidJSONInput(data)  # shown back as typed, never parsed
        return super().bound_data(data, initial)
