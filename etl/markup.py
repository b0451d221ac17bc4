"""Markup to clean text: Atlassian Document Format, Jira wiki markup, HTML and Markdown."""

import html
import re
from typing import Any

_BLOCKS = {"paragraph", "heading", "blockquote", "codeBlock", "rule", "panel", "table", "tableRow", "mediaSingle"}


def adf_to_text(node: Any) -> str:
    """Atlassian Document Format (Jira Cloud v3 rich text) to plain text."""
    if node is None:
        return ""
    if isinstance(node, str):
        return node
    if isinstance(node, list):
        return "".join(adf_to_text(child) for child in node)
    if not isinstance(node, dict):
        return ""
    kind = node.get("type")
    attrs = node.get("attrs") or {}
    if kind == "text":
        return node.get("text", "")
    if kind == "hardBreak":
        return "\n"
    if kind == "mention":
        return attrs.get("text", "")
    if kind == "emoji":
        return attrs.get("text") or attrs.get("shortName", "")
    if kind in ("inlineCard", "blockCard", "embedCard"):
        return attrs.get("url", "")
    if kind == "status":
        return attrs.get("text", "")
    if kind == "date":
        return str(attrs.get("timestamp", ""))
    inner = adf_to_text(node.get("content", []))
    if kind == "listItem":
        return "- " + inner.strip() + "\n"
    if kind == "tableCell" or kind == "tableHeader":
        return inner.strip() + " | "
    if kind in _BLOCKS or kind in ("bulletList", "orderedList", "doc"):
        return inner.strip() + "\n"
    return inner


_WIKI = [
    (re.compile(r"\{code(?::[^}]*)?\}|\{noformat\}|\{quote\}|\{panel(?::[^}]*)?\}"), "\n"),
    (re.compile(r"\{color(?::[^}]*)?\}"), ""),
    (re.compile(r"^h[1-6]\.\s*", re.M), ""),
    (re.compile(r"^bq\.\s*", re.M), ""),
    (re.compile(r"\[~accountid:[^\]]+\]"), "@user"),
    (re.compile(r"\[~([^\]]+)\]"), r"@\1"),
    (re.compile(r"\[([^|\]]+)\|[^\]]+\]"), r"\1"),
    (re.compile(r"!([^!\s|]+)(?:\|[^!]*)?!"), ""),  # attached images
    (re.compile(r"\|\|?"), " | "),
    (re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])"), r"\1"),
    (re.compile(r"(?<![\w_])_([^_\n]+)_(?![\w_])"), r"\1"),
    (re.compile(r"\{\{([^}]*)\}\}"), r"\1"),
    (re.compile(r"^\s*[*#-]+\s+", re.M), "- "),
]


def wiki_to_text(text: str) -> str:
    for pattern, replacement in _WIKI:
        text = pattern.sub(replacement, text)
    return text


_MARKDOWN = [
    (re.compile(r"<!--.*?-->", re.S), ""),  # template comments in PR bodies
    (re.compile(r"```[^\n]*\n"), "\n"),
    (re.compile(r"```"), ""),
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),
    (re.compile(r"^#{1,6}\s*", re.M), ""),
    (re.compile(r"^\s*>\s?", re.M), ""),
    (re.compile(r"^\s*[-*+]\s+\[[ xX]\]\s+", re.M), "- "),
    (re.compile(r"(\*\*|__)(.+?)\1"), r"\2"),
    (re.compile(r"`([^`]*)`"), r"\1"),
]
_TAGS = re.compile(r"<[^>]+>")
_SPACES = re.compile(r"[ \t]+")
_BLANKS = re.compile(r"\n\s*\n+")


def html_to_text(text: str) -> str:
    text = re.sub(r"<(br|/p|/div|/li|/h[1-6])\s*/?>", "\n", text, flags=re.I)
    return html.unescape(_TAGS.sub("", text))


def markdown_to_text(text: str) -> str:
    for pattern, replacement in _MARKDOWN:
        text = pattern.sub(replacement, text)
    return html_to_text(text)


def tidy(text: str) -> str:
    return _BLANKS.sub("\n", _SPACES.sub(" ", text)).strip()


def clean(value: Any) -> str:
    """Any rich-text value Pulse meets to tidy plain text: ADF dicts, wiki markup, HTML, Markdown."""
    if isinstance(value, dict | list):
        return tidy(adf_to_text(value))
    if not value:
        return ""
    text = str(value)
    if re.search(r"\{code|\{noformat|^h[1-6]\.|\[[^\]]+\|[^\]]+\]", text, re.M):
        text = wiki_to_text(text)
    return tidy(markdown_to_text(text))
