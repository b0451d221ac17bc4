"""Search a tenant's records: by meaning (vectors), by keywords (BM25), or both fused (hybrid).

Filters are checked here, once, against the fields the searched tables declare
(`ai.vectors.sources`), so both stores see only filters they can honour.
"""

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError

from ai.execution.rows import ResolvedProvider
from ai.models import SearchDocument
from ai.vectors.bridge import collection_for
from ai.vectors.embedding import embed_ahead, embed_texts, embedding_provider
from ai.vectors.fusion import LINK_ANCHORS, link_boost, ranked_hits, weighted_fusion
from ai.vectors.keyword import keyword_search, linked_records
from ai.vectors.sources import VectorSource, filterable_fields, vector_source
from ai.vectors.stores import get_vector_store
from ai.vectors.stores.base import SearchHit
from ai.vectors.terms import ticket_keys
from pulse.core.models import Client

SEARCH_MODES = ("hybrid", "vector", "keyword")
DEFAULT_MODE = "hybrid"  # the best measured mode (bench/retrieval.py, bench/README.md)
FUSION_DEPTH = 50  # candidates per ranked list fused by hybrid search
LINK_DEPTH = 20  # records fetched that name the best hits' work-item keys
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
    client: Client,
    query_text: str,
    sources: list[VectorSource],
    depth: int,
    provider: ResolvedProvider | None = None,
    plan=None,
    **options,
) -> list[SearchHit]:
    provider = provider or embedding_provider(client)
    item = embed_texts(client=client, texts=[query_text], provider=provider, plan=plan).items[0]
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


def _filter_matches(fields: dict, filters: dict) -> bool:
    """What the stores' payload match does: a scalar field equals a value, a list field holds one."""
    for key, wanted in filters.items():
        if key == "vector_type":
            continue  # keyword search reads one vector type per table already
        have = fields.get(key)
        have = have if isinstance(have, list) else [have]
        if not any(value in have for value in (wanted if isinstance(wanted, list) else [wanted])):
            return False
    return True


def _content_filters(filters: dict) -> dict:
    return {k: v for k, v in filters.items() if k != "vector_type"}


def _filtered(client: Client, hits: list[SearchHit], sources: list[VectorSource], filters: dict) -> list[SearchHit]:
    """Keyword hits narrowed by the same filters the vector store applies."""
    filters = _content_filters(filters)
    if not filters or not hits:
        return hits
    keep = set()
    for source in sources:
        ids = [h.record_id for h in hits if h.table_name == source.table_name]
        keep |= {
            (source.table_name, r.pk)
            for r in source.queryset(client).filter(pk__in=ids)
            if _filter_matches(source.fields(r), filters)
        }
    return [h for h in hits if (h.table_name, h.record_id) in keep]


def _keys_of(client: Client, sources: list[VectorSource], items) -> dict[tuple[str, int], set[str]]:
    """{(table, record id): the work-item keys its indexed text names}."""
    out: dict[tuple[str, int], set[str]] = {}
    for source in sources:
        ids = [pk for table, pk in items if table == source.table_name]
        rows = SearchDocument.objects.for_client(client).filter(
            table_name=source.table_name, vector_type=source.vector_type, record_id__in=ids
        )
        for record_id, text in rows.values_list("record_id", "text"):
            out[(source.table_name, record_id)] = ticket_keys(text)
    return out


def _linked_hits(client, sources, keys, exclude) -> tuple[list[SearchHit], dict]:
    """Records naming any of the work-item keys, and {key: the (table, record id)s naming it}."""
    hits, naming = [], {}
    for source in sources:
        for record_id, named, preview in linked_records(
            client=client,
            table_name=source.table_name,
            keys=keys,
            limit=LINK_DEPTH,
            vector_type=source.vector_type,
            exclude_record_ids=exclude,
        ):
            hits.append(
                SearchHit(
                    record_id=record_id, table_name=source.table_name, score=0.0, payload={"content_preview": preview}
                )
            )
            for key in named:
                naming.setdefault(key, []).append((source.table_name, record_id))
    return hits, naming


def _hybrid(client, sources, vector_hits, keyword_hits, limit, exclude, filters) -> list[SearchHit]:
    """Weighted fusion, then the link graph: records naming the same work item as the best hits."""

    def key(hit: SearchHit) -> tuple[str, int]:
        return hit.table_name, hit.record_id

    payloads = {key(h): h.payload for h in keyword_hits} | {key(h): h.payload for h in vector_hits}
    fused = weighted_fusion({key(h): h.score for h in vector_hits}, {key(h): h.score for h in keyword_hits})
    anchors = sorted(fused, key=fused.get, reverse=True)[:LINK_ANCHORS]
    anchor_keys = _keys_of(client, sources, anchors)
    wanted = sorted(set().union(*anchor_keys.values())) if anchor_keys else []
    linked_hits, naming = _linked_hits(client, sources, wanted, exclude) if wanted else ([], {})
    kept = {key(h) for h in _filtered(client, linked_hits, sources, filters)}
    payloads |= {key(h): h.payload for h in linked_hits if key(h) in kept and key(h) not in payloads}
    linked = {ticket: [item for item in items if item in kept] for ticket, items in naming.items()}
    return ranked_hits(link_boost(fused, anchor_keys, linked), payloads, limit)


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
    mode: str = DEFAULT_MODE,
) -> list[SearchResult]:
    """`vector`: cosine similarity (score = similarity). `keyword`: BM25 over the records'
    code-aware terms (score = BM25). `hybrid` (the default): both rankings fused by weighted
    z-scores, with records naming the best hits' work items lifted (score = fused z-score, higher
    is better, no fixed range). Filters narrow every side; score_threshold narrows the vector side."""
    if mode not in SEARCH_MODES:
        raise ValueError(f"mode must be one of {', '.join(SEARCH_MODES)}")
    sources = [vector_source(name) for name in table_names]  # UnknownVectorSourceError for a bad name
    filters = clean_filters(filters, table_names)
    exclude = list(exclude_record_ids or [])
    depth = max(limit, FUSION_DEPTH) if mode == "hybrid" else limit
    provider = embedding_provider(client) if mode != "keyword" else None
    plan = None
    if mode == "hybrid":
        # The query is encoded on the model's thread while this one ranks keywords in PostgreSQL.
        plan = embed_ahead(client=client, texts=[query_text], provider=provider)
    keyword_hits: list[SearchHit] = []
    if mode != "vector":
        # Filters drop keyword hits after ranking: fetch deeper so that `limit` usually remain.
        keyword_depth = max(depth, FUSION_DEPTH) if _content_filters(filters) else depth
        keyword_hits = _filtered(
            client, _keyword_hits(client, query_text, sources, keyword_depth, exclude), sources, filters
        )
    vector_hits: list[SearchHit] = []
    if mode != "keyword":
        vector_hits = _vector_hits(
            client,
            query_text,
            sources,
            depth,
            provider,
            plan,
            score_threshold=score_threshold,
            filters=filters,
            exclude_record_ids=exclude,
        )
    if mode == "vector":
        hits = vector_hits[:limit]
    elif mode == "keyword":
        hits = keyword_hits[:limit]
    else:
        hits = _hybrid(client, sources, vector_hits, keyword_hits[:depth], limit, exclude, filters)
    if not hydrate:
        return [
            SearchResult(h.table_name, h.record_id, h.score, h.payload.get("content_preview", ""), {}) for h in hits
        ]
    return _hydrated(client, hits, sources)
