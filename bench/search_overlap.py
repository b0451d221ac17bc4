"""Hybrid search with and without encoding the query while PostgreSQL ranks the keywords.

    .venv/bin/python bench/search_overlap.py [--database-url ...] [--rounds 1]

Run bench/retrieval.py first (its tenant and 20,000 commits are searched). In one process, the
labelled queries' texts (each used once, their cached vectors dropped first, so every search
encodes its query) go through `vectors_search` in the default mode, alternating per query between
the shipped path (`embed_ahead` starts the query's encoding on the model's thread before the
keyword ranking) and the same search with `embed_ahead` switched off (encode, then rank), so that
load drift hits both sides alike. Prints p50 / p95 / mean per side.
"""

import argparse
import json
import statistics
import time

from common import local_tenant, percentiles, setup_django, uncache
from retrieval import QUERIES


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/pulse_search")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    setup_django(database_url=args.database_url, vector_store="pgvector")
    from ai.providers.local import load_model, resolve_model_path
    from ai.vectors import search

    client, _ = local_tenant("retrieval-pgvector", "retrieval bench")
    texts = [json.loads(line)["query_text"] for line in QUERIES.read_text().splitlines()]
    load_model(resolve_model_path("all-MiniLM-L6-v2"))
    shipped = search.embed_ahead
    sides = {"overlapped (shipped)": shipped, "sequential": lambda **_: None}
    for round_number in range(args.rounds):
        uncache(client, texts)
        for text in texts[:10]:  # warm: statements prepared, keyword statistics cached
            search.vectors_search(client=client, query_text=text, table_names=["commits"])
        times: dict[str, list[float]] = {name: [] for name in sides}
        for n, text in enumerate(texts[10:]):
            name = list(sides)[n % 2]
            search.embed_ahead = sides[name]
            began = time.perf_counter()
            search.vectors_search(client=client, query_text=text, table_names=["commits"])
            times[name].append((time.perf_counter() - began) * 1000)
        search.embed_ahead = shipped
        print(f"round {round_number + 1}: hybrid search, {len(texts) - 10} uncached queries, alternating")
        for name, samples in times.items():
            p50, p95 = percentiles(samples)
            mean = statistics.mean(samples)
            print(f"  {name:<22} n {len(samples)}  p50 {p50:6.1f} ms  p95 {p95:6.1f} ms  mean {mean:6.1f}")


if __name__ == "__main__":
    main()
