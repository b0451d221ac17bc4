"""Retrieval quality and end-to-end search time on real commits.

    .venv/bin/python bench/retrieval.py [--store pgvector|qdrant] [--commits 20000] [--modes vector,keyword,hybrid]

Imports the apache/groovy commits from ../shared/data/commits through Pulse's import path (upsert,
then the local model, the store and the bridge rows: the time and vectors/s are printed), then
runs the 500 labelled queries through `vectors_search` in each mode (vector, keyword = BM25 over
PostgreSQL full text, hybrid = both fused by reciprocal rank), excluding each query's own commit,
and reports Recall@10 and MRR@10 beside the BM25 baseline in the data's README (0.478 / 0.464).
Without ../shared it generates commits in topic clusters and queries from them.
"""

import argparse
import gzip
import json
import random
import statistics
import tempfile
import time
from pathlib import Path

from common import SHARED_DATA, local_tenant, percentiles, setup_django

COMMITS = SHARED_DATA / "commits" / "apache-groovy.commits.jsonl.gz"
QUERIES = SHARED_DATA / "commits" / "apache-groovy.queries.jsonl"
BM25 = {"recall@10": 0.478, "mrr": 0.464}


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


def _evaluate(client, queries: list[dict], ids: dict[str, int], mode: str) -> tuple[list, list, list]:
    """Recall@10, reciprocal rank and latency per answerable query (its own commit excluded)."""
    from ai.vectors.search import vectors_search

    shas = {pk: sha for sha, pk in ids.items()}
    recalls, ranks, times = [], [], []
    for query in queries:
        relevant = {s for s in query["relevant_shas"] if s in ids}
        if query["query_sha"] not in ids or not relevant:
            continue
        began = time.perf_counter()
        hits = vectors_search(
            client=client,
            query_text=query["query_text"],
            table_names=["commits"],
            limit=10,
            exclude_record_ids=[ids[query["query_sha"]]],
            hydrate=False,
            mode=mode,
        )
        times.append((time.perf_counter() - began) * 1000)
        found = [shas[h.record_id] for h in hits]
        recalls.append(len(relevant & set(found)) / len(relevant))
        ranks.append(next((1 / (i + 1) for i, sha in enumerate(found) if sha in relevant), 0.0))
    return recalls, ranks, times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", default="pgvector", choices=["pgvector", "qdrant"])
    parser.add_argument("--commits", type=int, default=20000)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/pulse_retrieval")
    parser.add_argument("--modes", default="vector,keyword,hybrid")
    args = parser.parse_args()
    setup_django(database_url=args.database_url, vector_store=args.store)
    from etl.models import Commit

    if COMMITS.exists():
        path, source = COMMITS, f"{COMMITS.name} ({args.commits} commits)"
        queries = [json.loads(line) for line in QUERIES.read_text().splitlines()]
    else:
        path, queries = generated(args.commits)
        source = f"{args.commits} generated commits (../shared/data absent)"
    client, _ = local_tenant(f"retrieval-{args.store}", "retrieval bench")
    _import(client, path, args.commits, args.store)
    ids = dict(Commit.objects.filter(client=client).values_list("sha", "pk"))
    print(f"data: {source}; store {args.store}; model all-MiniLM-L6-v2 (local)")
    print(f"{'method':<30}{'queries':>8}{'Recall@10':>10}{'MRR@10':>9}{'p50 ms':>9}{'p95 ms':>9}")
    print(f"{'BM25 (data README)':<30}{'':>8}{BM25['recall@10']:>10.3f}{BM25['mrr']:>9.3f}")
    for mode in args.modes.split(","):
        recalls, ranks, times = _evaluate(client, queries, ids, mode)
        p50, p95 = percentiles(times)
        print(
            f"{'Pulse ' + mode + ' search':<30}{len(recalls):>8}{statistics.mean(recalls):>10.3f}"
            f"{statistics.mean(ranks):>9.3f}{p50:>9.1f}{p95:>9.1f}",
            flush=True,
        )
    print("times include the query embedding (vector, hybrid) and the keyword query (keyword, hybrid)")


if __name__ == "__main__":
    main()
