"""Keyword search: BM25 over the records' code-aware terms, on PostgreSQL and on SQLite.

Vector search alone lost to BM25 on real commit messages (bench/retrieval.py): identifiers,
ticket keys and rare words matter there, and a small sentence model blurs them. Both databases
index `ai_search_documents.terms` (`ai.vectors.terms`: identifiers split into parts and kept
whole, ticket keys as one term, stop words gone):

- PostgreSQL: Okapi BM25 over the stored english tsvector of the terms, read from its inverted
  index (`ai.vectors.postings`, table `ai_search_postings`, kept current by triggers), with term
  frequency counted and the subject line's terms weighing double.
- SQLite (`make run`): an FTS5 table over the same terms (porter stemmer), ranked by FTS5's own
  bm25(); its corpus statistics span every tenant's documents in the file, which only shifts
  scores, never what a tenant can see (the join scopes the rows).
"""

from django.core.cache import cache
from django.db import connection

from ai.models import SearchDocument
from ai.providers.errors import AIError
from ai.vectors.postings import postings_linked, postings_search
from ai.vectors.terms import query_terms, ticket_keys, ticket_term
from pulse.core.models import Client

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
    # The database's name too: the cache (a folder under var/ by default) can outlive and be shared
    # by several databases whose tenants reuse the same ids (the benchmarks' did, and a flask
    # tenant's statistics were read for a groovy tenant's ranking).
    key = f"ai:kw-stats:{connection.settings_dict['NAME']}:{client.pk}:{table_name}:{vector_type}"
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
        if count:  # an empty table is not remembered: its first records may be minutes away
            cache.set(key, stats, STATS_SECONDS)
    return stats


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
    exclude = list(exclude_record_ids or [])
    if connection.vendor == "postgresql":
        corpus = _corpus_stats(client, table_name, vector_type)
        return postings_search(client, table_name, terms, limit, vector_type, exclude, preview_chars, corpus)
    return _sqlite_search(client, table_name, terms, limit, vector_type, exclude, preview_chars)


def _sqlite_linked(client, table_name, vector_type, keys, exclude, limit, preview_chars):
    hits = _sqlite_search(client, table_name, [ticket_term(k) for k in keys], limit, vector_type, exclude, 0)
    texts = dict(
        SearchDocument.objects.for_client(client)
        .filter(table_name=table_name, vector_type=vector_type, record_id__in=[h[0] for h in hits])
        .values_list("record_id", "text")
    )
    wanted = set(keys)
    return [(r, ticket_keys(texts[r]) & wanted, texts[r][:preview_chars]) for r, _, _ in hits if r in texts]


def linked_records(
    *,
    client: Client,
    table_name: str,
    keys: list[str],
    limit: int,
    vector_type: str = "content",
    exclude_record_ids: list[int] | None = None,
    preview_chars: int = 300,
) -> list[tuple[int, set[str], str]]:
    """(record id, which of `keys` it names, preview) for up to `limit` records of the tenant
    naming any of the work-item keys (`GROOVY-11542`): the link graph's look-up."""
    if not keyword_available():
        raise KeywordSearchUnavailableError("Keyword and hybrid search need PostgreSQL or SQLite (FTS5).")
    keys, exclude = sorted(set(keys)), list(exclude_record_ids or [])
    if not keys:
        return []
    linked = postings_linked if connection.vendor == "postgresql" else _sqlite_linked
    return linked(client, table_name, vector_type, keys, exclude, limit, preview_chars)
