"""Ingest throughput: raw embedding versus Pulse's full store path, in the same run.

    .venv/bin/python bench/ingest.py [--texts 2000] [--stores pgvector,qdrant] [--batches 200,1000]

The same texts (apache/groovy commit messages from ../shared/data, generated ones without it) go
1. straight through the model (`SentenceTransformer.encode`, batch 64): the ceiling;
2. through `vectors_store_records`, as the ETL and the backfill call it: content hashing, the
   per-tenant embedding cache lookup, the execution path (truncation, quality check, ledger row),
   the store upsert and the bridge rows, for each store.
Each store run uses a fresh tenant, so nothing comes from the embedding cache. Throughput is
records per second; the ratio is against the raw encode of this run. `--batches` are the records
per store call (the backfill's batch: 200 for large tables, 1,000 with the local model), each
also run through the raw model in calls of that size.
"""

import argparse
import gzip
import json
import os
import time
import uuid

from common import SHARED_DATA, local_tenant, setup_django
from retrieval import generated

COMMITS = SHARED_DATA / "commits" / "apache-groovy.commits.jsonl.gz"


def _texts(n: int) -> tuple[list[str], str]:
    if COMMITS.exists():
        with gzip.open(COMMITS, "rt") as handle:
            rows = [json.loads(line) for _, line in zip(range(n), handle, strict=False)]
        return [row["message"] for row in rows], f"{len(rows)} apache/groovy commit messages"
    path, _ = generated(n)
    return [json.loads(line)["message"] for line in path.read_text().splitlines()], f"{n} generated messages"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--texts", type=int, default=2000)
    parser.add_argument("--stores", default="pgvector,qdrant")
    parser.add_argument("--batches", default="200,1000")
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/pulse_bench")
    setup_django(database_url=url)
    from django.conf import settings

    from ai.providers.local import load_model, resolve_model_path

    texts, label = _texts(args.texts)
    model = load_model(resolve_model_path("all-MiniLM-L6-v2"))
    model.encode(texts[:64], batch_size=64)  # warm
    started = time.perf_counter()
    model.encode(texts, batch_size=64, normalize_embeddings=True)
    raw = len(texts) / (time.perf_counter() - started)
    batches = [int(b) for b in args.batches.split(",")]
    print(f"{label}; model all-MiniLM-L6-v2 on the CPU; store batches of {args.batches}")
    print(f"{'path':<40}{'records/s':>10}{'x raw':>8}")
    print(f"{'raw SentenceTransformer.encode':<40}{raw:>10.1f}{1.0:>8.2f}", flush=True)
    for batch in batches:
        started = time.perf_counter()
        for chunk in range(0, len(texts), batch):  # what the store path can do at best per batch
            model.encode(texts[chunk : chunk + batch], batch_size=64, normalize_embeddings=True)
        chunked = len(texts) / (time.perf_counter() - started)
        print(f"{f'raw encode, {batch} texts per call':<40}{chunked:>10.1f}{chunked / raw:>8.2f}", flush=True)
    for store_name in args.stores.split(","):
        for batch in batches:
            settings.VECTOR_STORE = store_name
            rate, stored = _store_path(texts, batch)
            label = f"Pulse store path, {store_name}, {batch}/call"
            print(f"{label:<40}{rate:>10.1f}{rate / raw:>8.2f}  ({stored} stored)", flush=True)


def _store_path(texts: list[str], batch: int) -> tuple[float, int]:
    """Records per second through `vectors_store_records` for a fresh tenant, and how many stored."""
    from ai.vectors.bridge import RecordText, vectors_store_records

    client, _ = local_tenant(f"ingest-{uuid.uuid4().hex[:8]}", "ingest bench")
    records = [RecordText(i + 1, text, {"title": text[:80]}) for i, text in enumerate(texts)]
    started = time.perf_counter()
    stored = 0
    for chunk in range(0, len(records), batch):
        result = vectors_store_records(
            client=client, table_name="bench_ingest", vector_type="content", records=records[chunk : chunk + batch]
        )
        stored += result.stored
    return len(records) / (time.perf_counter() - started), stored


if __name__ == "__main__":
    main()
