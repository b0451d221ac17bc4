"""Ingest throughput: raw embedding versus Pulse's full store path, in the same run.

    .venv/bin/python bench/ingest.py [--texts 2000] [--stores pgvector,qdrant]

The same texts (apache/groovy commit messages from ../shared/data, generated ones without it) go
1. straight through the model (`SentenceTransformer.encode`, batch 64): the ceiling;
2. through `vectors_store_records`, as the ETL and the backfill call it: content hashing, the
   per-tenant embedding cache lookup, the execution path (truncation, quality check, ledger row),
   the store upsert and the bridge rows, for each store.
Each store run uses a fresh tenant, so nothing comes from the embedding cache. Throughput is
records per second; the ratio is against the raw encode of this run.
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
BATCH = 200  # the backfill's batch size for tables over 10,000 records


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
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/pulse_bench")
    setup_django(database_url=url)
    from django.conf import settings

    from ai.providers.local import load_model, resolve_model_path
    from ai.vectors.bridge import RecordText, vectors_store_records

    texts, label = _texts(args.texts)
    model = load_model(resolve_model_path("all-MiniLM-L6-v2"))
    model.encode(texts[:64], batch_size=64)  # warm
    started = time.perf_counter()
    model.encode(texts, batch_size=64, normalize_embeddings=True)
    raw = len(texts) / (time.perf_counter() - started)
    print(f"{label}; model all-MiniLM-L6-v2 on the CPU; store batches of {BATCH}")
    print(f"{'path':<34}{'records/s':>10}{'x raw':>8}")
    print(f"{'raw SentenceTransformer.encode':<34}{raw:>10.1f}{1.0:>8.2f}", flush=True)
    started = time.perf_counter()
    for chunk in range(0, len(texts), BATCH):  # what the store path can do at best per batch
        model.encode(texts[chunk : chunk + BATCH], batch_size=64, normalize_embeddings=True)
    chunked = len(texts) / (time.perf_counter() - started)
    print(f"{f'raw encode, {BATCH} texts per call':<34}{chunked:>10.1f}{chunked / raw:>8.2f}", flush=True)
    for store_name in args.stores.split(","):
        settings.VECTOR_STORE = store_name
        client, _ = local_tenant(f"ingest-{uuid.uuid4().hex[:8]}", "ingest bench")
        records = [RecordText(i + 1, text, {"title": text[:80]}) for i, text in enumerate(texts)]
        started = time.perf_counter()
        stored = 0
        for chunk in range(0, len(records), BATCH):
            result = vectors_store_records(
                client=client, table_name="bench_ingest", vector_type="content", records=records[chunk : chunk + BATCH]
            )
            stored += result.stored
        rate = len(records) / (time.perf_counter() - started)
        print(f"{'Pulse store path, ' + store_name:<34}{rate:>10.1f}{rate / raw:>8.2f}  ({stored} stored)", flush=True)


if __name__ == "__main__":
    main()
