"""The numbered sources of an answer: records the question names exactly, then the best search hits
(hybrid search, the best measured mode), one entry per record, trimmed to what the answering
model can read."""

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.urls import reverse

from ai.vectors.search import DEFAULT_MODE, vectors_search
from ai.vectors.sources import is_vector_source, vector_source, vector_sources
from analytics.qa.identifiers import identifier_records
from pulse.core.models import Client

MAX_SOURCES = 8
MAX_SOURCE_CHARS = 1500
SEARCH_DEPTH = 12
DATE_FIELDS = ("committed_at", "merged_at", "updated", "created")


@dataclass
class Source:
    n: int
    table: str
    record_id: int
    title: str
    url: str
    text: str  # what a model reads
    score: float  # retrieval strength, 0..1
    matched: str  # "identifier" or the search mode
    date: datetime | None = None
    fields: dict = field(default_factory=dict)

    @property
    def snippet(self) -> str:
        return self.text[:280]


def _title(table: str, fields: dict, text: str) -> str:
    head = fields.get("title") or text.split("\n", 1)[0]
    key = (
        fields.get("key") or (f"#{fields['number']}" if fields.get("number") else "") or (fields.get("sha") or "")[:10]
    )
    return f"{key}: {head}"[:200] if key and key not in head else head[:200]


def _strength(mode: str, score: float, best: float) -> float:
    """0..1 from the search score: cosine for vectors; for hybrid the logistic of the fused
    z-score (how far above the average candidate: 0.5 at the average, 0.88 two deviations up);
    BM25 against the best hit for keywords."""
    if mode == "hybrid":
        return 1 / (1 + math.exp(-score))
    if mode == "keyword":
        return 0.8 * score / best if best else 0.0
    return max(0.0, min(1.0, score))


def _records(client: Client, refs: list[tuple[str, int]]) -> dict[tuple[str, int], object]:
    out = {}
    for table in {t for t, _ in refs}:
        ids = [pk for t, pk in refs if t == table]
        for record in vector_source(table).queryset(client).filter(pk__in=ids):
            out[(table, record.pk)] = record
    return out


def _within(record, window: tuple[datetime, datetime] | None) -> bool:
    if window is None:
        return True
    when = next((getattr(record, f) for f in DATE_FIELDS if getattr(record, f, None)), None)
    return when is None or window[0] <= when < window[1]


def _search(client: Client, question: str, tables: list[str], filters: dict) -> list[tuple[str, int, float, str]]:
    mode = DEFAULT_MODE  # hybrid: keyword search runs on PostgreSQL and on SQLite
    hits = vectors_search(
        client=client,
        query_text=question,
        table_names=tables,
        limit=SEARCH_DEPTH,
        filters=filters,
        hydrate=False,
        mode=mode,
    )
    best = max((h.score for h in hits), default=0.0)
    return [(h.table_name, h.record_id, _strength(mode, h.score, best), mode) for h in hits]


def retrieve(
    *,
    client: Client,
    question: str,
    tables: list[str] | None = None,
    repository: str | None = None,
    window: tuple[datetime, datetime] | None = None,
    count_tokens: Callable[[str], int] | None = None,
    budget_tokens: int | None = None,
) -> list[Source]:
    """Sources numbered from 1, best first. `count_tokens` and `budget_tokens` (the answering
    model's own counter and context budget) trim the list, keeping at least the first source."""
    tables = [t for t in (tables or [s.table_name for s in vector_sources()]) if is_vector_source(t)]
    exact = [
        (t, pk, 1.0, "identifier") for t, pk in identifier_records(client=client, question=question) if t in tables
    ]
    found = exact + _search(client, question, tables, {"repository": repository} if repository else {})
    seen: set[tuple[str, int]] = set()
    ranked = []
    for hit in found:  # one entry per record: an identifier match outranks the same record's search hit
        if (hit[0], hit[1]) not in seen:
            seen.add((hit[0], hit[1]))
            ranked.append(hit)
    ranked.sort(key=lambda hit: (hit[3] != "identifier", -hit[2]))
    records = _records(client, [(t, pk) for t, pk, _, _ in ranked])
    sources: list[Source] = []
    used = 0
    for table, pk, strength, matched in ranked:
        record = records.get((table, pk))
        if record is None or not _within(record, window):
            continue
        source = vector_source(table)
        text = source.text(record)[:MAX_SOURCE_CHARS]
        cost = count_tokens(text) if count_tokens else 0
        if sources and budget_tokens is not None and used + cost > budget_tokens:
            break
        used += cost
        fields = source.fields(record)
        when = next((getattr(record, f) for f in DATE_FIELDS if getattr(record, f, None)), None)
        sources.append(
            Source(
                len(sources) + 1,
                table,
                pk,
                _title(table, fields, text),
                reverse("hub:record", args=[table, pk]),
                text,
                strength,
                matched,
                when,
                fields,
            )
        )
        if len(sources) == MAX_SOURCES:
            break
    return sources
