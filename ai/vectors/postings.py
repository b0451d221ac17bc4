"""Keyword search's PostgreSQL engine: Okapi BM25 read from an inverted index.

`ai_search_postings` (migration 0010) holds one row per document and lexeme of its english
tsvector, with the document's length, keyed (tenant, table, vector type, lexeme, record): a query
term's postings are one index-only range scan, within the tenant by construction. The old engine
evaluated `tsv @@ term` per query term on every document holding any query term (the common
`groovy` of every path included), which cost ~80 ms per query at 20,000 documents.

Scoring is BM25 with term frequency as presence (as before; the same ranking): a document's score
is the idf of the query terms it holds, times BM25's length norm. To keep a query off the long
postings of common terms (`file`, `groovy`, `test`), it runs MaxScore-style:
- terms in at most SELECT_SHARES[0] of the documents *select* candidates (their postings are read);
- the common terms only *score* the shortlist: the candidates that could still reach the top
  `limit` with every common term's idf added. Those are index probes, a few hundred at most;
- a document holding only common terms scores at most their idf sum times the largest length
  norm; when the `limit`-th score is not above that, the query re-runs with more terms
  selecting (the next share, then all), so the result is always the exact BM25 top `limit`.
Document frequencies are counted from the same index and kept per process for a few minutes per
tenant (BM25 needs them only roughly; a common term's count is the one costly read).
"""

import math
import time

from django.db import connection

from ai.vectors.terms import ticket_term
from pulse.core.models import Client

K1, B = 1.2, 0.75
# A term in more of the documents scores the shortlist, it does not select; if the result could
# then be inexact, the next share is tried (measured at 20k and 100k documents: 0.1 scanned
# least without needing the next step; bench/README.md, keyword_search.py).
SELECT_SHARES = (0.1, 0.4)
DF_SECONDS = 300
MAX_CACHED_SCOPES = 256
_SCOPE = "p.client_id = %s AND p.table_name = %s AND p.vector_type = %s"
_DOCUMENT = "d.client_id = %s AND d.table_name = %s AND d.vector_type = %s AND d.record_id"
_frequencies: dict[tuple, tuple[float, dict[str, int]]] = {}


def _norm(column: str, average: float) -> str:
    """BM25's length factor (k1 + 1) / (k1 · (1 - b + b · len / avg) + 1), as SQL (constants only)."""
    k1, b, average = float(K1), float(B), float(average)
    return f"{k1 + 1}::float8 / (1 + {k1}::float8 * ({1 - b}::float8 + {b / average}::float8 * {column}))"


def query_lexemes(terms: list[str]) -> list[str]:
    """The terms' english lexemes (stemmed, distinct), as the documents' tsvectors hold them."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT lexeme FROM unnest(to_tsvector('english', %s))", [" ".join(terms)])
        return sorted(row[0] for row in cursor.fetchall())


def document_frequencies(scope: list, lexemes: list[str]) -> dict[str, int]:
    """{lexeme: documents holding it} in the scope (tenant, table, vector type)."""
    now = time.monotonic()
    expires, known = _frequencies.get(tuple(scope), (0.0, {}))
    if expires < now:
        if len(_frequencies) >= MAX_CACHED_SCOPES:
            _frequencies.clear()
        expires, known = now + DF_SECONDS, {}
        _frequencies[tuple(scope)] = (expires, known)
    missing = [lexeme for lexeme in lexemes if lexeme not in known]
    if missing:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT lexeme, count(*) FROM ai_search_postings p WHERE {_SCOPE} "  # noqa: S608
                "AND lexeme = ANY(%s) GROUP BY lexeme",
                [*scope, missing],
            )
            counted = dict(cursor.fetchall())
        known.update({lexeme: counted.get(lexeme, 0) for lexeme in missing})
    return {lexeme: known[lexeme] for lexeme in lexemes}


def _ranked_sql(average: float) -> str:
    """Selecting terms' postings summed per document, the shortlist that common terms could still
    lift into the top `limit`, their idf added by probes, the best `limit` with their previews."""
    norm = _norm("doc_len", average)
    return f"""
    WITH chosen(lexeme, idf) AS (SELECT * FROM unnest(%s::text[], %s::float8[])),
    common(lexeme, idf) AS (SELECT * FROM unnest(%s::text[], %s::float8[])),
    matched AS (
        SELECT p.record_id, sum(chosen.idf) AS weight, min(p.doc_len) AS doc_len
        FROM chosen JOIN ai_search_postings p ON {_SCOPE} AND p.lexeme = chosen.lexeme
        WHERE NOT (p.record_id = ANY(%s::bigint[])) GROUP BY p.record_id),
    partial AS (SELECT record_id, doc_len, weight * {norm} AS score FROM matched),
    kth AS (SELECT score FROM partial ORDER BY score DESC LIMIT 1 OFFSET %s),
    shortlist AS (
        SELECT * FROM partial WHERE score + %s * {norm} >= coalesce((SELECT score FROM kth), 0)),
    ranked AS (
        SELECT s.record_id, s.score + coalesce(extra.weight, 0) * {norm.replace("doc_len", "s.doc_len")} AS score
        FROM shortlist s LEFT JOIN LATERAL (
            SELECT sum(common.idf) AS weight FROM common JOIN ai_search_postings p
            ON {_SCOPE} AND p.lexeme = common.lexeme AND p.record_id = s.record_id) extra ON true
        ORDER BY score DESC, s.record_id LIMIT %s)
    SELECT r.record_id, r.score, left(d.text, %s) FROM ranked r
    JOIN ai_search_documents d ON {_DOCUMENT} = r.record_id
    ORDER BY r.score DESC, r.record_id"""  # noqa: S608


def _ranked(scope, idf, chosen, average, limit, exclude, preview_chars):
    common = [lexeme for lexeme in idf if lexeme not in chosen]
    with connection.cursor() as cursor:
        cursor.execute(
            _ranked_sql(average),
            [
                *(chosen, [idf[t] for t in chosen], common, [idf[t] for t in common]),
                *(*scope, exclude, limit - 1, sum(idf[t] for t in common)),
                *(*scope, limit, preview_chars, *scope),
            ],
        )
        return [(int(record_id), float(score), preview) for record_id, score, preview in cursor.fetchall()]


def postings_search(
    client: Client, table_name, terms, limit, vector_type, exclude, preview_chars, corpus: tuple[int, float]
):
    """(record id, BM25 score, preview), best first: the exact BM25 top `limit` of the scope."""
    documents, average = corpus
    scope = [client.pk, table_name, vector_type]
    lexemes = query_lexemes(terms) if documents else []
    frequencies = {t: df for t, df in document_frequencies(scope, lexemes).items() if df}
    if not frequencies:
        return []
    idf = {t: math.log(1 + (documents - df + 0.5) / (df + 0.5)) for t, df in frequencies.items()}
    by_rarity = sorted(idf, key=lambda t: (-idf[t], t))
    hits: list = []
    for share in (*SELECT_SHARES, None):
        chosen = [t for t in by_rarity if share is None or frequencies[t] <= share * documents] or by_rarity[:1]
        hits = _ranked(scope, idf, chosen, average, limit, exclude, preview_chars)
        # A document holding none of the chosen terms scores at most this; if it could tie or
        # beat the last hit, more terms must select.
        unchosen = sum(idf[t] for t in idf if t not in chosen) * (K1 + 1) / (1 + K1 * (1 - B + B / average))
        if len(chosen) == len(idf) or (len(hits) == limit and hits[-1][1] > unchosen):
            break
    return hits


def postings_linked(
    client: Client, table_name: str, vector_type: str, keys: list[str], exclude: list[int], limit: int, preview_chars
) -> list[tuple[int, set[str], str]]:
    """(record id, the given work-item keys it names, preview) of the records naming any of
    `keys`: an index look-up of the keys' terms, those naming more keys (then shorter) first."""
    if not keys:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT k, u.lexeme FROM unnest(%s::text[], %s::text[]) AS q(k, term), "
            "unnest(to_tsvector('english', q.term)) u",
            [keys, [ticket_term(key) for key in keys]],
        )
        key_of = dict((lexeme, key) for key, lexeme in cursor.fetchall())
        cursor.execute(
            "WITH named AS (SELECT p.record_id, array_agg(p.lexeme) AS lexemes, min(p.doc_len) AS doc_len "  # noqa: S608
            f"FROM ai_search_postings p WHERE {_SCOPE} AND p.lexeme = ANY(%s) "
            "AND NOT (p.record_id = ANY(%s::bigint[])) GROUP BY p.record_id "
            "ORDER BY count(*) DESC, min(p.doc_len), p.record_id LIMIT %s) "
            f"SELECT n.record_id, n.lexemes, left(d.text, %s) FROM named n JOIN ai_search_documents d ON {_DOCUMENT} "
            "= n.record_id ORDER BY cardinality(n.lexemes) DESC, n.doc_len, n.record_id",
            [
                client.pk,
                table_name,
                vector_type,
                list(key_of),
                exclude,
                limit,
                preview_chars,
                client.pk,
                table_name,
                vector_type,
            ],
        )
        return [(int(r), {key_of[x] for x in lexemes}, preview) for r, lexemes, preview in cursor.fetchall()]
