"""Keyword search (BM25 over PostgreSQL full text) and its fusion with vector search.

Vector search alone lost to BM25 on real commit messages (bench/retrieval.py): identifiers,
ticket keys and rare words matter there, and a small sentence model blurs them. Keyword search
ranks `ai_search_documents` (the text each vector was made from) with Okapi BM25: the query's
english lexemes, each term's document frequency counted through the GIN index, and the document
length from its tsvector. Term frequency is taken as presence (commit messages and issue titles
rarely repeat a term), which keeps the whole ranking in one indexed SQL statement.

Hybrid search fuses the vector and keyword rankings with reciprocal rank fusion (Cormack et al.,
2009): score = sum of 1 / (60 + rank) over the lists a record appears in; it needs no score
calibration between cosine similarity and BM25.
"""

from django.core.cache import cache
from django.db import connection

from pulse.core.models import Client

K1, B = 1.2, 0.75
RRF_K = 60
STATS_SECONDS = 300


class KeywordSearchUnavailableError(Exception):
    """Keyword search needs PostgreSQL (full text search); local mode on SQLite has vectors only."""

    http_status = 400


def keyword_available() -> bool:
    return connection.vendor == "postgresql"


def _corpus_stats(client: Client, table_name: str) -> tuple[int, float]:
    """Documents and average length (lexemes) of a tenant's table; cached for a few minutes, as
    BM25 needs them only roughly."""
    key = f"ai:kw-stats:{client.pk}:{table_name}"
    stats = cache.get(key)
    if stats is None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*), coalesce(avg(length(tsv)), 0) FROM ai_search_documents "
                "WHERE client_id = %s AND table_name = %s",
                [client.pk, table_name],
            )
            count, avg = cursor.fetchone()
        stats = (int(count), float(avg) or 1.0)
        cache.set(key, stats, STATS_SECONDS)
    return stats


_BM25_SQL = """
WITH terms AS (
    SELECT DISTINCT plainto_tsquery('simple', lexeme) AS q
    FROM unnest(to_tsvector('english', %(query)s))
),
weighted AS (
    SELECT t.q, ln(1 + (%(n)s - df.n + 0.5) / (df.n + 0.5)) AS idf
    FROM terms t
    CROSS JOIN LATERAL (
        SELECT count(*) AS n FROM ai_search_documents d
        WHERE d.client_id = %(client)s AND d.table_name = %(table)s AND d.tsv @@ t.q
    ) df
)
SELECT d.record_id,
       sum(w.idf * (%(k1)s + 1) / (1 + %(k1)s * (1 - %(b)s + %(b)s * length(d.tsv) / %(avg)s))) AS score,
       left(d.text, %(preview)s) AS preview
FROM ai_search_documents d
JOIN weighted w ON d.tsv @@ w.q
WHERE d.client_id = %(client)s AND d.table_name = %(table)s AND d.vector_type = %(vector_type)s
  AND NOT (d.record_id = ANY(%(excluded)s::bigint[]))
GROUP BY d.record_id, d.text
ORDER BY score DESC, d.record_id
LIMIT %(limit)s
"""


def keyword_search(
    *,
    client: Client,
    table_name: str,
    query_text: str,
    limit: int = 10,
    vector_type: str = "content",
    exclude_record_ids: list[int] | None = None,
    preview_chars: int = 300,
) -> list[tuple[int, float, str]]:
    """(record id, BM25 score, preview), best first, within the tenant only."""
    if not keyword_available():
        raise KeywordSearchUnavailableError(
            "Keyword and hybrid search need PostgreSQL; this deployment has vectors only."
        )
    documents, average = _corpus_stats(client, table_name)
    if not documents:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            _BM25_SQL,
            {
                "query": query_text,
                "n": documents,
                "client": client.pk,
                "table": table_name,
                "vector_type": vector_type,
                "k1": K1,
                "b": B,
                "avg": average,
                "excluded": list(exclude_record_ids or []),
                "limit": limit,
                "preview": preview_chars,
            },
        )
        return [(int(record_id), float(score), preview) for record_id, score, preview in cursor.fetchall()]


def reciprocal_rank_fusion(*rankings: list, k: int = RRF_K) -> dict:
    """{item: fused score} from ranked lists of hashable items (best first)."""
    fused: dict = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            fused[item] = fused.get(item, 0.0) + 1.0 / (k + rank)
    return fused
