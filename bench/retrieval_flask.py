"""Retrieval on a second project, never tuned on: GitHub pull-request titles over pallets/flask.

    .venv/bin/python bench/retrieval_flask.py [--database-url ...] [--modes default,vector,keyword]

Hybrid search's weights and link graph were tuned on apache/groovy commits whose subjects carry
Jira keys (bench/retrieval_tune.py). This checks that the tuning did not overfit that project:
pallets/flask (../shared/data/delivery) writes no Jira keys, names GitHub issues as `#123`, and
its queries are GitHub text. All 5,531 commits, merges included, go through Pulse's import path
(as a git sync would bring them). Queries: every pull request merged with "Merge pull request #N"
that brought 2-6 commits and has a title (the merge message's body; 67 of all such merges
have none); the query is the PR's title, the relevant documents are the
PR's own commits, and the merge commit is excluded from the ranking (its message repeats the
title). Nothing here was used to choose any parameter, so every query is held out. The
baseline is the same plain BM25 over commit messages as bench/retrieval.py, in the same run.
Without ../shared it runs on generated commits (bench/retrieval.py's clusters).
"""

import argparse
import json

from common import SHARED_DATA, local_tenant, setup_django
from retrieval import _answerable, _evaluate, _import, _row, _scored, generated, plain_bm25

DELIVERY = SHARED_DATA / "delivery"
COMMITS = DELIVERY / "pallets-flask.commits.jsonl.gz"
PULLS = DELIVERY / "pallets-flask.pulls.jsonl"
MIN_COMMITS, MAX_COMMITS = 2, 6


def flask_queries() -> list[dict]:
    """One query a merged pull request: its title, its commits relevant, its merge commit excluded."""
    queries = []
    for line in PULLS.read_text().splitlines():
        pull = json.loads(line)
        if pull["merge_style"] != "merge_pull_request":
            continue
        if not MIN_COMMITS <= pull["commit_count"] <= MAX_COMMITS or not (pull["title"] or "").strip():
            continue
        queries.append(
            {"query_text": pull["title"], "query_sha": pull["merge_sha"], "relevant_shas": pull["commit_shas"]}
        )
    return queries


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/pulse_flask_search")
    parser.add_argument("--modes", default="default,vector,keyword")
    args = parser.parse_args()
    setup_django(database_url=args.database_url, vector_store="pgvector")
    from ai.vectors.search import DEFAULT_MODE
    from etl.models import Commit

    if COMMITS.exists():
        path, queries, count = COMMITS, flask_queries(), 5531
        source = f"{COMMITS.name} (all commits), {PULLS.name} (PRs of {MIN_COMMITS}-{MAX_COMMITS} commits)"
    else:
        path, queries = generated(3000)
        count, source = 3000, "3000 generated commits (../shared/data absent)"
    client, _ = local_tenant("retrieval-flask", "retrieval bench (flask)")
    _import(client, path, count, "pgvector")
    ids = dict(Commit.objects.filter(client=client).values_list("sha", "pk"))
    answerable = _answerable(queries, ids)
    print(f"data: {source}; store pgvector; model all-MiniLM-L6-v2 (local, torch)")
    print(f"queries: {len(answerable)} answerable, none used for tuning: no tune half, test = all")
    header = "".join(f"{h:>10}{'MRR':>7}" for h in ("tune R@10", "test R@10", "all R@10"))
    print(f"{'method':<32}{header}{'p50 ms':>9}{'p95 ms':>9}")
    bm25 = plain_bm25(path)
    baseline = {n: (*_scored(q, bm25(q["query_text"], q["query_sha"]), ids), None) for n, q in answerable}
    print(_row("plain BM25 (baseline, here)", baseline, 0), flush=True)
    for mode in args.modes.split(","):
        name = f"Pulse {DEFAULT_MODE} (default mode)" if mode == "default" else f"Pulse {mode}"
        print(_row(name, _evaluate(client, answerable, ids, mode), 0), flush=True)


if __name__ == "__main__":
    main()
