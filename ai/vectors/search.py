"""Search a tenant's records: by meaning (vectors), by keywords (BM25), or both fused (hybrid).

Filters are checked here, once, against the fields the searched tables declare
(`ai.vectors.sources`), so both stores see only filters they can honour.
"""

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError

from ai.vectors.bridge import collection_for
from ai.vectors.embedding import embed_texts, embedding_provider
from ai.vectors.fusion import fuse_hits
from ai.vectors.keyword import keyword_search
from ai.vectors.sources import VectorSource, filterable_fields, vector_source
from ai.vectors.stores import get_vector_store
from ai.vectors.stores.base import SearchHit
from pulse.core.models import Client

SEARCH_MODES = ("vector", "keyword", "hybrid")
FUSION_DEPTH = 50  # candidates per ranked list fused by hybrid search
MAX_FILTER_VALUES = 50
MAX_FILTER_CHARS = 500


@dataclass(frozen=True)
class SearchResult:
    table_name: str
    record_id: int
    score: float
    preview: str
    fields: dict[str, Any]


def _filter_value_problem(value: Any) -> str | None:
    if isinstance(value, list):
        if not value or len(value) > MAX_FILTER_VALUES:
            return f"a list needs 1 to {MAX_FILTER_VALUES} values"
        return next((problem for item in value if (problem := _scalar_problem(item))), None)
    return _scalar_problem(value)


def _scalar_problem(value: Any) -> str | None:
    if isinstance(value, bool | int):
        return None
    if isinstance(value, str):
        if "\x00" in value or len(value) > MAX_FILTER_CHARS:
            return f"a text value has at most {MAX_FILTER_CHARS} characters and no NUL"
        return None
    return "values are text, whole numbers, true/false, or a list of those"


def clean_filters(filters: dict[str, Any] | None, table_names: list[str]) -> dict[str, Any]:
    """The filters, or a ValidationError naming `filters` (unknown field, or a value no store can match)."""
    filters = filters or {}
    allowed = filterable_fields(table_names)
    unknown = [key for key in filters if key not in allowed]
    if unknown:
        raise ValidationError(
            {"filters": f"Unknown filter(s) {', '.join(map(str, unknown))}; allowed: {', '.join(allowed)}."}
        )
    for key, value in filters.items():
        if problem := _filter_value_problem(value):
            raise ValidationError({"filters": f"Filter '{key}': {problem}."})
    return filters


def _vector_hits(
    client: Client, query_text: str, sources: list[VectorSource], depth: int, **options
) -> list[SearchHit]:
    provider = embedding_provider(client)
    item = embed_texts(client=client, texts=[query_text], provider=provider).items[0]
    store = get_vector_store()
    hits = [
        hit
        for source in sources
        for hit in store.search(
            collection_for(client, source.table_name, item.model),
            client_id=client.pk,
            vector=item.vector,
            limit=depth,
            **options,
        )
    ]
    return sorted(hits, key=lambda h: h.score, reverse=True)


def _keyword_hits(client: Client, query_text: str, sources: list[VectorSource], depth: int, exclude) -> list[SearchHit]:
    hits = [
        SearchHit(record_id=record_id, table_name=source.table_name, score=score, payload={"content_preview": preview})
        for source in sources
        for record_id, score, preview in keyword_search(
            client=client,
            table_name=source.table_name,
            query_text=query_text,
            limit=depth,
            vector_type=source.vector_type,
            exclude_record_ids=exclude,
        )
    ]
    return sorted(hits, key=lambda h: h.score, reverse=True)


def _hydrated(client: Client, hits: list[SearchHit], sources: list[VectorSource]) -> list[SearchResult]:
    """Results with each record's current fields; a hit whose record is gone (deleted since) is not
    shown, and `vectors_verify --repair` removes its point."""
    fields: dict[tuple[str, int], dict] = {}
    for source in sources:
        ids = [h.record_id for h in hits if h.table_name == source.table_name]
        for record in source.queryset(client).filter(pk__in=ids):
            fields[(source.table_name, record.pk)] = source.fields(record)
    return [
        SearchResult(h.table_name, h.record_id, h.score, h.payload.get("content_preview", ""), fields[key])
        for h in hits
        if (key := (h.table_name, h.record_id)) in fields
    ]


def vectors_search(
    *,
    client: Client,
    query_text: str,
    table_names: list[str],
    limit: int = 10,
    score_threshold: float | None = None,
    filters: dict[str, Any] | None = None,
    exclude_record_ids: list[int] | None = None,
    hydrate: bool = True,
    mode: str = "vector",
) -> list[SearchResult]:
    """`vector`: cosine similarity (score = similarity). `keyword`: BM25 over the records' text
    (score = BM25). `hybrid`: both rankings fused by reciprocal rank (score = fused rank score);
    filters and score_threshold narrow the vector side."""
    if mode not in SEARCH_MODES:
        raise ValueError(f"mode must be one of {', '.join(SEARCH_MODES)}")
    sources = [vector_source(name) for name in table_names]  # UnknownVectorSourceError for a bad name
    filters = clean_filters(filters, table_names)
    depth = max(limit, FUSION_DEPTH) if mode == "hybrid" else limit
    vector_hits: list[SearchHit] = []
    if mode != "keyword":
        vector_hits = _vector_hits(
            client,
            query_text,
            sources,
            depth,
            score_threshold=score_threshold,
            filters=filters,
            exclude_record_ids=exclude_record_ids,
        )
    if mode == "vector":
        hits = vector_hits[:limit]
    else:
        keyword_hits = _keyword_hits(client, query_text, sources, depth, exclude_record_ids)
        hits = keyword_hits[:limit] if mode == "keyword" else fuse_hits(vector_hits, keyword_hits[:depth], limit)
    if not hydrate:
        return [
            SearchResult(h.table_name, h.record_id, h.score, h.payload.get("content_preview", ""), {}) for h in hits
        ]
    return _hydrated(client, hits, sources)
