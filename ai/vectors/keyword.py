"""Keyword search: BM25 over the records' code-aware terms, on PostgreSQL and on SQLite.

Vector search alone lost to BM25 on real commit messages (bench/retrieval.py): identifiers,
ticket keys and rare words matter there, and a small sentence model blurs them. Both databases
index `ai_search_documents.terms` (`ai.vectors.terms`: identifiers split into parts and kept
whole, ticket keys as one term, stop words gone):

- PostgreSQL: Okapi BM25 over the stored english tsvector of the terms: each query term's
  document frequency counted through the GIN index, the document length from the tsvector. Term
  frequency is taken as presence (commit messages and issue titles rarely repeat a term), which
  keeps the whole ranking in one indexed SQL statement.
- SQLite (`make run`): an FTS5 table over the same terms (porter stemmer), ranked by FTS5's own
  bm25(); its corpus statistics span every tenant's documents in the file, which only shifts
  scores, never what a tenant can see (the join scopes the rows).
"""

import math

from django.core.cache import cache
from django.db import connection

from ai.providers.errors import AIError
from ai.vectors.terms import query_terms
from pulse.core.models import Client

K1, B = 1.2, 0.75
STATS_SECONDS = 300


class KeywordSearchUnavailableError(AIError):
    """Keyword search needs PostgreSQL full text or SQLite FTS5."""

    http_status = 400
    permanent = True


def keyword_available() -> bool:
    return connection.vendor in ("postgresql", "sqlite")


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
COMMON_SHARE = 0.5  # a term in more than this share of documents only scores, it does not select


def _lexemes(terms: list[str]) -> list[str]:
    """The terms' english lexemes (stemmed) as single-term tsqueries."""
    with connection.cursor() as cursor:
        cursor.execute(_TERMS_SQL, [" ".join(terms)])
        return sorted(row[0] for row in cursor.fetchall() if row[0])


def _postgres_search(client, table_name, terms, limit, vector_type, exclude, preview_chars):
    """Two statements: the terms' document frequencies (through the GIN index), then the scores
    of the documents holding a selective term. Written so that the plan does not depend on fresh
    table statistics: a correlated per-term count first tried here ran for minutes on a freshly
    loaded table."""
    documents, average = _corpus_stats(client, table_name, vector_type)
    lexemes = _lexemes(terms) if documents else []
    if not lexemes:
        return []
    scope = [client.pk, table_name, vector_type]
    any_term = " || ".join(["%s::tsquery"] * len(lexemes))
    counts = ", ".join(["count(*) FILTER (WHERE tsv @@ %s::tsquery)"] * len(lexemes))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {counts} FROM ai_search_documents WHERE {_SCOPE} AND tsv @@ ({any_term})",  # noqa: S608
            [*lexemes, *scope, *lexemes],
        )
        frequencies = cursor.fetchone()
        idf = [math.log(1 + (documents - df + 0.5) / (df + 0.5)) for df in frequencies]
        # A term in most documents (`groovy` in every path) adds almost nothing to a score but
        # would make the statement visit every document: it scores, it does not select.
        selective = [t for t, df in zip(lexemes, frequencies, strict=True) if df <= COMMON_SHARE * documents]
        selective = selective or lexemes
        select = " || ".join(["%s::tsquery"] * len(selective))
        # Term frequency as presence: sum the idf of the terms a document has, then BM25's length norm.
        matched = " + ".join(["CASE WHEN tsv @@ %s::tsquery THEN %s ELSE 0 END"] * len(lexemes))
        cursor.execute(
            f"SELECT record_id, ({matched}) * %s / (1 + %s * (1 - %s + %s * length(tsv) / %s)) AS score, "  # noqa: S608
            f"left(text, %s) FROM ai_search_documents WHERE {_SCOPE} AND tsv @@ ({select}) "
            "AND NOT (record_id = ANY(%s::bigint[])) ORDER BY score DESC, record_id LIMIT %s",
            [
                *[value for term, weight in zip(lexemes, idf, strict=True) for value in (term, weight)],
                *(K1 + 1, K1, B, B, average, preview_chars),
                *scope,
                *selective,
                list(exclude),
                limit,
            ],
        )
        return [(int(record_id), float(score), preview) for record_id, score, preview in cursor.fetchall()]


def _sqlite_search(client, table_name, terms, limit, vector_type, exclude, preview_chars):
    """FTS5 with its bm25() (smaller is better, so negated); terms are letters and digits only,
    quoted all the same so that no FTS5 keyword (AND, NEAR) is read as syntax."""
    match = " OR ".join(f'"{term}"' for term in terms)
    excluded = f"AND d.record_id NOT IN ({','.join(['%s'] * len(exclude))})" if exclude else ""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT d.record_id, -bm25(ai_search_fts) AS score, substr(d.text, 1, %s) "  # noqa: S608
            "FROM ai_search_fts JOIN ai_search_documents d ON d.id = ai_search_fts.rowid "
            "WHERE ai_search_fts MATCH %s AND d.client_id = %s AND d.table_name = %s AND d.vector_type = %s "
            f"{excluded} ORDER BY score DESC, d.record_id LIMIT %s",
            [preview_chars, match, client.pk, table_name, vector_type, *exclude, limit],
        )
        return [(int(record_id), float(score), preview) for record_id, score, preview in cursor.fetchall()]


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
        raise KeywordSearchUnavailableError("Keyword and hybrid search need PostgreSQL or SQLite (FTS5).")
    terms = query_terms(query_text)
    if not terms:
        return []
    search = _postgres_search if connection.vendor == "postgresql" else _sqlite_search
    return search(client, table_name, terms, limit, vector_type, list(exclude_record_ids or []), preview_chars)
