"""Keyword search latency on PostgreSQL: the postings engine against the GIN engine it replaced.

    .venv/bin/python bench/keyword_search.py [--database-url ...] [--copies 1,5] [--queries 200]
        [--limit 50]

Fills one tenant per size straight from ../shared/data/commits (search documents only, no
embeddings: 20,000 commits, and `copies` times that, each copy its own record ids), then runs the
labelled queries' texts through `keyword_search` (ai.vectors.postings) and, interleaved query by
query, through the statements main used before (`gin_search` below: document frequencies by
`count(*) FILTER (WHERE tsv @@ term)`, then a CASE per term on every document holding a
selective term). Reports p50 / p95 of each, and how much of the GIN engine's top 10 the postings
engine also returns (not all: it scores term frequency and weights the subject line, where the
GIN engine scored presence; tests/ai/test_keyword_postings.py checks it against BM25 computed
in Python). Depth 50 is what hybrid search asks for.
"""

import argparse
import gzip
import json
import math
import time

from common import SHARED_DATA, percentiles, setup_django

COMMITS = SHARED_DATA / "commits" / "apache-groovy.commits.jsonl.gz"
QUERIES = SHARED_DATA / "commits" / "apache-groovy.queries.jsonl"


def _text(row: dict) -> str:
    """etl.text.commit_text's shape, from the file's row."""
    paths = [f["path"] for f in (row.get("files") or [])[:10] if f.get("path")]
    return "\n".join(p for p in [row["message"].strip(), f"Files: {', '.join(paths)}" if paths else ""] if p)


def _tenant(copies: int):
    from ai.models import SearchDocument
    from ai.vectors.bridge import KEYWORD_CHARS
    from ai.vectors.terms import keyword_text
    from pulse.core.models import Client

    slug = f"keyword-bench-{copies}x"
    client, _ = Client.objects.get_or_create(slug=slug, defaults={"name": slug})
    if not SearchDocument.objects.filter(client=client).exists():
        with gzip.open(COMMITS, "rt") as handle:
            texts = [_text(json.loads(line))[:KEYWORD_CHARS] for line in handle]
        terms = [keyword_text(t) for t in texts]
        for copy in range(copies):
            SearchDocument.objects.bulk_create(
                [
                    SearchDocument(client=client, table_name="commits", record_id=copy * 10**6 + i, text=t, terms=k)
                    for i, (t, k) in enumerate(zip(texts, terms, strict=True))
                ],
                batch_size=2000,
            )
    return client


def gin_search(client, terms, limit, exclude, preview_chars=300):
    """main's engine before the postings table (ai/vectors/keyword.py at 137bfcc), kept here as
    the baseline."""
    from django.db import connection

    from ai.vectors.keyword import _corpus_stats

    k1, b = 1.2, 0.75
    documents, average = _corpus_stats(client, "commits", "content")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT DISTINCT plainto_tsquery('simple', lexeme)::text FROM unnest(to_tsvector('english', %s))",
            [" ".join(terms)],
        )
        lexemes = sorted(row[0] for row in cursor.fetchall() if row[0])
        if not lexemes:
            return []
        scope = [client.pk, "commits", "content"]
        where = "client_id = %s AND table_name = %s AND vector_type = %s"
        any_term = " || ".join(["%s::tsquery"] * len(lexemes))
        counts = ", ".join(["count(*) FILTER (WHERE tsv @@ %s::tsquery)"] * len(lexemes))
        cursor.execute(
            f"SELECT {counts} FROM ai_search_documents WHERE {where} AND tsv @@ ({any_term})",  # noqa: S608
            [*lexemes, *scope, *lexemes],
        )
        frequencies = cursor.fetchone()
        idf = [math.log(1 + (documents - df + 0.5) / (df + 0.5)) for df in frequencies]
        selective = [t for t, df in zip(lexemes, frequencies, strict=True) if df <= 0.5 * documents] or lexemes
        matched = " + ".join(["CASE WHEN tsv @@ %s::tsquery THEN %s ELSE 0 END"] * len(lexemes))
        select = " || ".join(["%s::tsquery"] * len(selective))
        cursor.execute(
            f"SELECT record_id, ({matched}) * %s / (1 + %s * (1 - %s + %s * length(tsv) / %s)) AS score, "  # noqa: S608
            f"left(text, %s) FROM ai_search_documents WHERE {where} AND tsv @@ ({select}) "
            "AND NOT (record_id = ANY(%s::bigint[])) ORDER BY score DESC, record_id LIMIT %s",
            [
                *[value for term, weight in zip(lexemes, idf, strict=True) for value in (term, weight)],
                *(k1 + 1, k1, b, b, average, preview_chars),
                *scope,
                *selective,
                list(exclude),
                limit,
            ],
        )
        return [(int(r), float(s), p) for r, s, p in cursor.fetchall()]


def _overlap(a: list, b: list) -> float:
    top = {x[0] for x in a[:10]}
    return len(top & {x[0] for x in b[:10]}) / len(top) if top else 1.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/pulse_kw_bench")
    parser.add_argument("--copies", default="1,5")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--limit", type=int, default=50)
    args = parser.parse_args()
    setup_django(database_url=args.database_url)
    from django.db import connection

    from ai.vectors.keyword import keyword_search
    from ai.vectors.terms import query_terms

    queries = [json.loads(line)["query_text"] for line in QUERIES.read_text().splitlines()][: args.queries]
    print(f"{'documents':>10}{'engine':>10}{'p50 ms':>9}{'p95 ms':>9}  shared top 10")
    for copies in map(int, args.copies.split(",")):
        client = _tenant(copies)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE ai_search_postings")  # as autovacuum leaves it
        keyword_search(client=client, table_name="commits", query_text=queries[0], limit=args.limit)
        times: dict[str, list[float]] = {"gin": [], "postings": []}
        shared = []
        for text in queries:
            began = time.perf_counter()
            old = gin_search(client, query_terms(text), args.limit, [])
            times["gin"].append((time.perf_counter() - began) * 1000)
            began = time.perf_counter()
            new = keyword_search(client=client, table_name="commits", query_text=text, limit=args.limit)
            times["postings"].append((time.perf_counter() - began) * 1000)
            shared.append(_overlap(old, new))
        for engine, samples in times.items():
            p50, p95 = percentiles(samples)
            print(f"{20000 * copies:>10}{engine:>10}{p50:>9.1f}{p95:>9.1f}  {sum(shared) / len(shared):.2f}")
        ratio = percentiles(times["gin"])[0] / percentiles(times["postings"])[0]
        print(f"{'':>10}{'ratio':>10}{ratio:>9.1f}× (p50, gin / postings)", flush=True)


if __name__ == "__main__":
    main()
