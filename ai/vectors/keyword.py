"""Keyword search: BM25 over PostgreSQL full text.

Vector search alone lost to BM25 on real commit messages (bench/retrieval.py): identifiers,
ticket keys and rare words matter there, and a small sentence model blurs them. Keyword search
ranks `ai_search_documents` (the text each vector was made from) with Okapi BM25: the query's
english lexemes, each term's document frequency counted through the GIN index, and the document
length from its tsvector. Term frequency is taken as presence (commit messages and issue titles
rarely repeat a term), which keeps the whole ranking in one indexed SQL statement.
"""

import math

from django.core.cache import cache
from django.db import connection

from ai.providers.errors import AIError
from pulse.core.models import Client

K1, B = 1.2, 0.75
STATS_SECONDS = 300


class KeywordSearchUnavailableError(AIError):
    """Keyword search needs PostgreSQL (full text search); local mode on SQLite has vectors only."""

    http_status = 400
    permanent = True


def keyword_available() -> bool:
    return connection.vendor == "postgresql"


def _corpus_stats(client: Client, table_name: str, vector_type: str) -> tuple[int, float]:
    """Documents and average length (lexemes) of a tenant's table; cached for a few minutes, as
    BM25 needs them only roughly."""
    key = f"ai:kw-stats:{client.pk}:{table_name}:{vector_type}"
    stats = cache.get(key)
    if stats is None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*), coalesce(avg(length(tsv)), 0) FROM ai_search_documents "
                "WHERE client_id = %s AND table_name = %s AND vector_type = %s",
                [client.pk, table_name, vector_type],
            )
            count, avg = cursor.fetchone()
        stats = (int(count), float(avg) or 1.0)
        cache.set(key, stats, STATS_SECONDS)
    return stats


_TERMS_SQL = "SELECT DISTINCT plainto_tsquery('simple', lexeme)::text FROM unnest(to_tsvector('english', %s))"
_SCOPE = "client_id = %s AND table_name = %s AND vector_type = %s"
MAX_TERMS = 32


def _terms(query_text: str) -> list[str]:
    """The query's english lexemes (stemmed, stop words dropped) as single-term tsqueries."""
    with connection.cursor() as cursor:
        cursor.execute(_TERMS_SQL, [query_text])
        return sorted(row[0] for row in cursor.fetchall() if row[0])[:MAX_TERMS]


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
    """(record id, BM25 score, preview), best first, within the tenant only.

    Two statements, each one pass over the documents that contain any query term (the GIN index
    finds them): the terms' document frequencies, then the scores. Written so that the plan does
    not depend on fresh table statistics: a correlated per-term count first tried here ran for
    minutes on a freshly loaded table."""
    if not keyword_available():
        raise KeywordSearchUnavailableError(
            "Keyword and hybrid search need PostgreSQL; this deployment has vectors only."
        )
    documents, average = _corpus_stats(client, table_name, vector_type)
    terms = _terms(query_text) if documents else []
    if not terms:
        return []
    scope = [client.pk, table_name, vector_type]
    any_term = " || ".join(["%s::tsquery"] * len(terms))
    counts = ", ".join(["count(*) FILTER (WHERE tsv @@ %s::tsquery)"] * len(terms))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {counts} FROM ai_search_documents WHERE {_SCOPE} AND tsv @@ ({any_term})",  # noqa: S608
            [*terms, *scope, *terms],
        )
        frequencies = cursor.fetchone()
        idf = [math.log(1 + (documents - df + 0.5) / (df + 0.5)) for df in frequencies]
        # Term frequency as presence: sum the idf of the terms a document has, then BM25's length norm.
        matched = " + ".join(["CASE WHEN tsv @@ %s::tsquery THEN %s ELSE 0 END"] * len(terms))
        cursor.execute(
            f"SELECT record_id, ({matched}) * %s / (1 + %s * (1 - %s + %s * length(tsv) / %s)) AS score, "  # noqa: S608
            f"left(text, %s) FROM ai_search_documents WHERE {_SCOPE} AND tsv @@ ({any_term}) "
            "AND NOT (record_id = ANY(%s::bigint[])) ORDER BY score DESC, record_id LIMIT %s",
            [
                *[value for term, weight in zip(terms, idf, strict=True) for value in (term, weight)],
                K1 + 1,
                K1,
                B,
                B,
                average,
                preview_chars,
                *scope,
                *terms,
                list(exclude_record_ids or []),
                limit,
            ],
        )
        return [(int(record_id), float(score), preview) for record_id, score, preview in cursor.fetchall()]
