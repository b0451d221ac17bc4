"""Retrieval quality and end-to-end search time on real commits.

    .venv/bin/python bench/retrieval.py [--store pgvector|qdrant] [--commits 20000]
        [--modes hybrid,vector,keyword] [--backend torch|onnx|onnx-int8] [--tune 250]

Imports the apache/groovy commits from ../shared/data/commits through Pulse's import path (upsert,
then the local model, the store and the bridge rows: the time and vectors/s are printed), then
runs the 500 labelled queries through `vectors_search` in each mode (hybrid = the default mode,
vector, keyword = BM25 over code-aware terms), excluding each query's own commit, and reports
Recall@10 and MRR@10 on the tuning half (the first `--tune` queries, the only ones
bench/retrieval_tune.py reads), on the held-out rest, and on all, beside a plain BM25 baseline
computed here on the same splits (Okapi BM25 over the commit messages, words as \\w+, k1 1.2,
b 0.75; the data's README gives 0.478 / 0.464 for its own on all 500).
`--backend` embeds with that local runtime (its own tenant, so its own vectors).
Without ../shared it generates commits in topic clusters and queries from them.
"""

import argparse
import gzip
import json
import math
import random
import re
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path

from common import SHARED_DATA, local_tenant, percentiles, setup_django, uncache

COMMITS = SHARED_DATA / "commits" / "apache-groovy.commits.jsonl.gz"
QUERIES = SHARED_DATA / "commits" / "apache-groovy.queries.jsonl"


def generated(n: int) -> tuple[Path, list[dict]]:
    """Commits in topic clusters; a query per cluster is one commit's subject, relevant = the rest."""
    rng = random.Random(3)
    topics = ["closure", "parser", "compiler", "json", "xml", "sql", "gradle", "groovydoc", "traits", "generics"]
    verbs = ["fix", "improve", "refactor", "test", "document", "speed up"]
    path = Path(tempfile.mkdtemp()) / "generated.jsonl"
    queries, lines = [], []
    for cluster in range(n // 4):
        topic, thing = rng.choice(topics), f"component{cluster}"
        shas = []
        for j in range(4):
            sha = f"{cluster:020x}{j:020x}"
            shas.append(sha)
            subject = f"KEY-{cluster}: {rng.choice(verbs)} {topic} handling in {thing}"
            lines.append(
                json.dumps(
                    {
                        "repo": "generated/repo",
                        "sha": sha,
                        "message": subject,
                        "subject": subject,
                        "committed_date": "2026-01-01T00:00:00+00:00",
                    }
                )
            )
        queries.append({"query_text": f"{topic} problem in {thing}", "query_sha": shas[0], "relevant_shas": shas[1:]})
    path.write_text("\n".join(lines) + "\n")
    return path, queries[:500]


def plain_bm25(path: Path, k1: float = 1.2, b: float = 0.75):
    """A plain BM25 over the commit messages, as the data README's baseline: score(query, exclude)."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt") as handle:
        rows = [json.loads(line) for line in handle]
    docs = [Counter(re.findall(r"\w+", r["message"].lower())) for r in rows]
    shas = [r["sha"] for r in rows]
    lengths = [sum(d.values()) for d in docs]
    average = sum(lengths) / len(docs)
    postings: dict[str, list[int]] = {}
    for i, doc in enumerate(docs):
        for term in doc:
            postings.setdefault(term, []).append(i)
    n = len(docs)

    def search(text: str, exclude: str, k: int = 10) -> list[str]:
        scores: Counter = Counter()
        for term in set(re.findall(r"\w+", text.lower())):
            hits = postings.get(term, [])
            idf = math.log(1 + (n - len(hits) + 0.5) / (len(hits) + 0.5))
            for i in hits:
                tf = docs[i][term]
                scores[i] += idf * tf * (k1 + 1) / (tf + k1 * (1 - b + b * lengths[i] / average))
        return [shas[i] for i, _ in scores.most_common(k + 1) if shas[i] != exclude][:k]

    return search


def _import(client, path: Path, commits: int, store: str) -> None:
    from etl.models import Commit
    from etl.services.imports import commits_import_file

    if Commit.objects.filter(client=client).count() >= commits:
        return
    if path == COMMITS and commits < 20000:
        subset = Path(tempfile.mkdtemp()) / "subset.jsonl"
        with gzip.open(COMMITS, "rt") as handle:
            subset.write_text("".join(line for _, line in zip(range(commits), handle, strict=False)))
        path = subset
    started = time.perf_counter()
    run = commits_import_file(client=client, path=path)
    elapsed = time.perf_counter() - started
    print(
        f"import: {run.fetched} commits, {run.created} rows, {run.vectorized} vectors in {elapsed:.0f}s "
        f"({run.vectorized / elapsed:.1f} vectors/s end to end, store {store})"
    )


def _scored(query: dict, found: list[str], ids: dict[str, int]) -> tuple[float, float]:
    relevant = {s for s in query["relevant_shas"] if s in ids}
    return len(relevant & set(found)) / len(relevant), next(
        (1 / (i + 1) for i, sha in enumerate(found) if sha in relevant), 0.0
    )


def _answerable(queries: list[dict], ids: dict[str, int]) -> list[tuple[int, dict]]:
    """(position in the file, query) for queries whose commit and a relevant commit were imported."""
    return [
        (n, q) for n, q in enumerate(queries) if q["query_sha"] in ids and any(s in ids for s in q["relevant_shas"])
    ]


def _evaluate(client, queries, ids: dict[str, int], mode: str) -> dict[int, tuple[float, float, float]]:
    """{query position: (Recall@10, reciprocal rank, latency ms)}, its own commit excluded;
    mode "default" leaves the mode to vectors_search (what the API does without one)."""
    from ai.vectors.search import vectors_search

    shas = {pk: sha for sha, pk in ids.items()}
    uncache(client, [query["query_text"] for _, query in queries])  # each search embeds its query
    out = {}
    for n, query in queries:
        began = time.perf_counter()
        hits = vectors_search(
            client=client,
            query_text=query["query_text"],
            table_names=["commits"],
            limit=10,
            exclude_record_ids=[ids[query["query_sha"]]],
            hydrate=False,
            **({} if mode == "default" else {"mode": mode}),
        )
        elapsed = (time.perf_counter() - began) * 1000
        out[n] = (*_scored(query, [shas[h.record_id] for h in hits], ids), elapsed)
    return out


def _row(name: str, results: dict, tune: int) -> str:
    cells = []
    for part in (lambda n: n < tune, lambda n: n >= tune, lambda n: True):
        chosen = [r for n, r in results.items() if part(n)]
        cells.append(
            f"{statistics.mean(r[0] for r in chosen):>10.3f}{statistics.mean(r[1] for r in chosen):>7.3f}"
            if chosen
            else f"{'-':>10}{'-':>7}"
        )
    times = [r[2] for r in results.values() if r[2] is not None]
    p50, p95 = percentiles(times) if times else (0.0, 0.0)
    return f"{name:<32}{''.join(cells)}{p50:>9.1f}{p95:>9.1f}"


def _tenant(store: str, backend: str):
    slug = f"retrieval-{store}" if backend == "torch" else f"retrieval-{store}-{backend}"
    client, local = local_tenant(slug, f"retrieval bench ({backend})")
    if backend != "torch":
        local.configuration = {**local.configuration, "local_backend": backend}
        local.save(update_fields=["configuration"])
    return client


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", default="pgvector", choices=["pgvector", "qdrant"])
    parser.add_argument("--commits", type=int, default=20000)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/pulse_retrieval")
    parser.add_argument("--modes", default="default,vector,keyword")
    parser.add_argument("--backend", default="torch", choices=["torch", "onnx", "onnx-int8"])
    parser.add_argument("--tune", type=int, default=250, help="the first N queries are the tuning half")
    args = parser.parse_args()
    setup_django(database_url=args.database_url, vector_store=args.store)
    from ai.vectors.search import DEFAULT_MODE
    from etl.models import Commit

    if COMMITS.exists():
        path, source = COMMITS, f"{COMMITS.name} ({args.commits} commits)"
        queries = [json.loads(line) for line in QUERIES.read_text().splitlines()]
    else:
        path, queries = generated(args.commits)
        source = f"{args.commits} generated commits (../shared/data absent)"
    client = _tenant(args.store, args.backend)
    _import(client, path, args.commits, args.store)
    ids = dict(Commit.objects.filter(client=client).values_list("sha", "pk"))
    answerable = _answerable(queries, ids)
    print(f"data: {source}; store {args.store}; model all-MiniLM-L6-v2 (local, {args.backend})")
    print(f"queries: {len(answerable)} answerable; tune = first {args.tune} in the file, test = the rest")
    header = "".join(f"{h:>10}{'MRR':>7}" for h in ("tune R@10", "test R@10", "all R@10"))
    print(f"{'method':<32}{header}{'p50 ms':>9}{'p95 ms':>9}")
    if path == COMMITS and args.commits >= 20000:
        bm25 = plain_bm25(path)
        baseline = {n: (*_scored(q, bm25(q["query_text"], q["query_sha"]), ids), None) for n, q in answerable}
        print(_row("plain BM25 (baseline, here)", baseline, args.tune), flush=True)
    for mode in args.modes.split(","):
        name = f"Pulse {DEFAULT_MODE} (default mode)" if mode == "default" else f"Pulse {mode}"
        print(_row(name, _evaluate(client, answerable, ids, mode), args.tune), flush=True)
    print("times include the query embedding (vector, hybrid) and the keyword queries (keyword, hybrid)")


if __name__ == "__main__":
    main()
