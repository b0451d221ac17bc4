"""pgvector bulk path: the vector_search.py dataset loaded by COPY upserts into collections without
an index, then `tune_collection` builds the big and the small tenant's index at their size tier,
then 100 queries each through `PgVectorStore.search` (recall@10 against exact numpy search).

    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/pulse_pgv \
        .venv/bin/python bench/pgvector_bulk.py [--size 300000]
"""

import argparse
import os
import time
import uuid

import numpy as np
from common import percentiles, setup_django
from vector_search import DIMS, SHARES, dataset


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=300_000)
    parser.add_argument("--queries", type=int, default=100)
    args = parser.parse_args()
    setup_django(database_url=os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/pulse_bench"))
    from django.db import connection

    from ai.vectors.stores.pgvector import PgVectorStore
    from pulse.core.models import Client

    clients = [Client.objects.get_or_create(slug=f"bench-{i}", defaults={"name": f"bench {i}"})[0] for i in range(20)]
    vectors, tenants = dataset(args.size, np.random.default_rng(args.size))
    store, run = PgVectorStore(), uuid.uuid4().hex[:6]
    collections = [f"client_{c.pk}_bench_{run}_{DIMS}" for c in clients]
    try:
        _load(store, clients, collections, vectors, tenants)
        for t in (0, len(SHARES) - 1):
            began = time.time()
            built = store.tune_collection(collections[t], client_id=clients[t].pk)
            print(f"tenant {t}: index (m, ef_construction) {built} in {time.time() - began:.0f} s", flush=True)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE pgvector_embeddings")
        for label, t in (("big", 0), ("small", len(SHARES) - 1)):
            _query(store, clients[t], collections[t], vectors, np.flatnonzero(tenants == t), label, args.queries)
    finally:
        for collection in collections:
            store.drop_collection(collection)


def _load(store, clients, collections, vectors, tenants) -> None:
    from ai.vectors.stores.base import VectorPoint

    began = time.time()
    for t, client in enumerate(clients):
        rows = np.flatnonzero(tenants == t)
        for k in range(0, len(rows), 5000):
            points = [
                VectorPoint(str(uuid.uuid4()), client.pk, "bench", int(i), "content", vectors[i].tolist(), {})
                for i in rows[k : k + 5000]
            ]
            store.upsert(collections[t], points)
    print(f"COPY upserts of {len(vectors)} vectors without indexes: {time.time() - began:.0f} s", flush=True)


def _query(store, client, collection, vectors, rows, label, n) -> None:
    rng, mine = np.random.default_rng(1), vectors[rows]
    queries = mine[rng.integers(0, len(rows), size=n)] + rng.normal(scale=0.05, size=(n, DIMS))
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    times, recalls = [], []
    for q in queries:
        truth = set(rows[np.argsort(-mine @ q)[:10]].tolist())
        began = time.perf_counter()
        hits = store.search(collection, client_id=client.pk, vector=q.tolist(), limit=10)
        times.append((time.perf_counter() - began) * 1000)
        recalls.append(len({h.record_id for h in hits} & truth) / 10)
    p50, p95 = percentiles(times)
    print(f"{label} ({len(rows)} points): p50 {p50:.2f} ms, p95 {p95:.2f} ms, recall@10 {np.mean(recalls):.3f}")


if __name__ == "__main__":
    main()
