"""Keyword search's PostgreSQL engine: Okapi BM25 read from an inverted index.

`ai_search_postings` (migration 0010) holds one row per document and lexeme of its english
tsvector, with the document's length, keyed (tenant, table, vector type, lexeme, record): a query
term's postings are one index-only range scan, within the tenant by construction. The old engine
evaluated `tsv @@ term` per query term on every document holding any query term (the common
`groovy` of every path included), which cost ~80 ms per query at 20,000 documents.

Scoring is Okapi BM25 with a field-weighted term frequency (BM25F-style): an occurrence in the
subject line (weight A in the tsvector) counts twice in a posting's `tf`
(migration 0010); the length is the document's distinct lexemes. Tuned on the first 250 public
queries only (bench/README.md). To keep a query off the long postings of common terms (`file`,
`groovy`, `test`), it runs MaxScore-style:
- terms in at most SELECT_SHARES[0] of the documents *select* candidates (their postings are read);
- the common terms only *score* the shortlist: the candidates that could still reach the top
  `limit` with every common term's largest share added. Those are index probes, a few hundred
  at most;
- a document holding only common terms scores at most the sum of their largest shares; when
  the `limit`-th score is not above that, the query re-runs with more terms selecting (the
  next share, then all), so the result is always the exact BM25 top `limit`.
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
# A preview as a per-row look-up through the unique index: a join here was planned as a scan of
# every document of the tenant when the table's statistics were stale (a freshly loaded table).
_PREVIEW = (
    "(SELECT left(d.text, %s) FROM ai_search_documents d WHERE d.client_id = %s AND d.table_name = %s "
    "AND d.vector_type = %s AND d.record_id = {record}.record_id)"
)
_frequencies: dict[tuple, tuple[float, dict[str, tuple[int, int]]]] = {}


def _term_score(idf: str, tf: str, doc_len: str, average: float) -> str:
    """One term's BM25 share, idf · tf · (k1 + 1) / (tf + k1 · (1 - b + b · len / avg)), as SQL."""
    k1, b = float(K1), float(B)
    norm = f"{k1}::float8 * ({1 - b}::float8 + {b / average}::float8 * {doc_len})"
    return f"{idf} * {tf} * {k1 + 1}::float8 / ({tf} + {norm})"


def term_bound(idf: float, max_tf: int, doc_len: float, average: float) -> float:
    """The most a term with this idf and largest tf can add to a document of this length."""
    return idf * max_tf * (K1 + 1) / (max_tf + K1 * (1 - B + B * doc_len / average))


def query_lexemes(terms: list[str]) -> list[str]:
    """The terms' english lexemes (stemmed, distinct), as the documents' tsvectors hold them."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT lexeme FROM unnest(to_tsvector('english', %s))", [" ".join(terms)])
        return sorted(row[0] for row in cursor.fetchall())


def document_frequencies(scope: list, lexemes: list[str]) -> dict[str, tuple[int, int]]:
    """{lexeme: (documents holding it, its largest tf)} in the scope (tenant, table, vector type)."""
    now = time.monotonic()
    expires, known = _frequencies.get(tuple(scope), (0.0, {}))  # type: ignore[arg-type]
    if expires < now:
        if len(_frequencies) >= MAX_CACHED_SCOPES:
            _frequencies.clear()
        expires, known = now + DF_SECONDS, {}
        _frequencies[tuple(scope)] = (expires, known)
    missing = [lexeme for lexeme in lexemes if lexeme not in known]
    if missing:
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT lexeme, count(*), max(tf) FROM ai_search_postings p WHERE {_SCOPE} "  # noqa: S608
                "AND lexeme = ANY(%s) GROUP BY lexeme",
                [*scope, missing],
            )
            counted = {lexeme: (int(df), int(max_tf)) for lexeme, df, max_tf in cursor.fetchall()}
        # An absent lexeme is not remembered: a record naming it may be stored the next second.
        known.update(counted)
    return {lexeme: known.get(lexeme, (0, 0)) for lexeme in lexemes}


def _ranked_sql(average: float) -> str:
    """Selecting terms' postings summed per document, the shortlist that common terms could still
    lift into the top `limit`, their shares added by probes, the best `limit` with previews."""
    return f"""
    WITH chosen(lexeme, idf) AS (SELECT * FROM unnest(%s::text[], %s::float8[])),
    common(lexeme, idf, max_tf) AS (SELECT * FROM unnest(%s::text[], %s::float8[], %s::int[])),
    partial AS (
        SELECT p.record_id, min(p.doc_len) AS doc_len,
            sum({_term_score("chosen.idf", "p.tf", "p.doc_len", average)}) AS score
        FROM chosen JOIN ai_search_postings p ON {_SCOPE} AND p.lexeme = chosen.lexeme
        WHERE NOT (p.record_id = ANY(%s::bigint[])) GROUP BY p.record_id),
    kth AS (SELECT score FROM partial ORDER BY score DESC LIMIT 1 OFFSET %s),
    shortlist AS (
        SELECT * FROM partial WHERE score + coalesce((SELECT sum({_term_score("idf", "max_tf", "doc_len", average)})
            FROM common), 0) >= coalesce((SELECT score FROM kth), 0)),
    ranked AS (
        SELECT s.record_id, s.score + coalesce(extra.score, 0) AS score
        FROM shortlist s LEFT JOIN LATERAL (
            SELECT sum({_term_score("common.idf", "p.tf", "p.doc_len", average)}) AS score
            FROM common JOIN ai_search_postings p
            ON {_SCOPE} AND p.lexeme = common.lexeme AND p.record_id = s.record_id) extra ON true
        ORDER BY score DESC, s.record_id LIMIT %s)
    SELECT r.record_id, r.score, {_PREVIEW.format(record="r")} FROM ranked r
    ORDER BY r.score DESC, r.record_id"""  # noqa: S608


def _ranked(scope, idf, max_tf, chosen, average, limit, exclude, preview_chars):
    common = [lexeme for lexeme in idf if lexeme not in chosen]
    with connection.cursor() as cursor:
        cursor.execute(
            _ranked_sql(average),
            [
                *(chosen, [idf[t] for t in chosen], common, [idf[t] for t in common], [max_tf[t] for t in common]),
                *(*scope, exclude, limit - 1, *scope, limit, preview_chars, *scope),
            ],
        )
        return [(int(record_id), float(score), preview) for record_id, score, preview in cursor.fetchall()]


def postings_search(
    client: Client, table_name, terms, limit, vector_type, exclude, preview_chars, corpus: tuple[int, float]
):
    """(record id, BM25 score, preview), best first: the exact BM25 top `limit` of the scope."""
    documents, average = corpus
    if limit < 1:
        return []
    scope = [client.pk, table_name, vector_type]
    lexemes = query_lexemes(terms) if documents else []
    frequencies = {t: counts for t, counts in document_frequencies(scope, lexemes).items() if counts[0]}
    if not frequencies:
        return []
    idf = {t: math.log(1 + (documents - df + 0.5) / (df + 0.5)) for t, (df, _) in frequencies.items()}
    max_tf = {t: max_tf for t, (_, max_tf) in frequencies.items()}
    by_rarity = sorted(idf, key=lambda t: (-idf[t], t))
    hits: list = []
    for share in (*SELECT_SHARES, None):
        chosen = [t for t in by_rarity if share is None or frequencies[t][0] <= share * documents] or by_rarity[:1]
        hits = _ranked(scope, idf, max_tf, chosen, average, limit, exclude, preview_chars)
        # A document holding none of the chosen terms scores at most this (at the shortest
        # length); if it could tie or beat the last hit, more terms must select.
        unchosen = sum(term_bound(idf[t], max_tf[t], 1, average) for t in idf if t not in chosen)
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
    scope = [client.pk, table_name, vector_type]
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH wanted(k, lexeme) AS (SELECT q.k, u.lexeme FROM unnest(%s::text[], %s::text[]) AS q(k, term), "  # noqa: S608
            "unnest(to_tsvector('english', q.term)) u), "
            "named AS (SELECT p.record_id, array_agg(wanted.k) AS keys, min(p.doc_len) AS doc_len "
            f"FROM wanted JOIN ai_search_postings p ON {_SCOPE} AND p.lexeme = wanted.lexeme "
            "WHERE NOT (p.record_id = ANY(%s::bigint[])) GROUP BY p.record_id "
            "ORDER BY count(*) DESC, min(p.doc_len), p.record_id LIMIT %s) "
            f"SELECT n.record_id, n.keys, {_PREVIEW.format(record='n')} FROM named n "
            "ORDER BY cardinality(n.keys) DESC, n.doc_len, n.record_id",
            [keys, [ticket_term(key) for key in keys], *scope, exclude, limit, preview_chars, *scope],
        )
        return [(int(r), set(named), preview) for r, named, preview in cursor.fetchall()]
