"""Search latency (p50/p95) and recall@10 against exact search, per store, in Pulse's layout.

    .venv/bin/python bench/vector_search.py [--sizes 10000,100000] [--stores qdrant,pgvector] [--queries 200]

Synthetic 384-d normalized vectors in 1,000 clusters, spread over 20 tenants of unequal size
(the largest holds 28 %, the smallest 1.4 %), one collection per tenant as Pulse lays them out.
Queries go through the store classes Pulse uses (`QdrantStore`, `PgVectorStore`), with the tenant
filter Pulse always adds, and without it for comparison; recall is measured against an exact
numpy search over the same tenant's vectors. Qdrant runs in qdrant-client's embedded mode (exact,
pure Python: the only Qdrant that runs here); pgvector in PostgreSQL (DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/pulse_bench).
"""

import argparse
import os
import time
import uuid

import numpy as np
from common import percentiles, setup_django

DIMS = 384
SHARES = np.array([28, 14, 10, 8, 6, 5, 4, 4, 3, 3, 2.5, 2.5, 2, 2, 1.5, 1.5, 1.4, 1.4, 1.4, 1.4])
SHARES = SHARES / SHARES.sum()


def dataset(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    centers = rng.normal(size=(1000, DIMS))
    labels = rng.integers(0, 1000, size=n)
    vectors = centers[labels] + rng.normal(scale=0.6, size=(n, DIMS))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    tenants = rng.choice(len(SHARES), size=n, p=SHARES)
    return vectors.astype(np.float32), tenants


def _ingest(store, clients, vectors: np.ndarray, tenants: np.ndarray, run: str) -> float:
    """Load every tenant's share into its own collection; vectors per second."""
    from ai.vectors.stores.base import VectorPoint

    started = time.perf_counter()
    for t, client in enumerate(clients):
        collection = f"client_{client.pk}_bench_{run}_{DIMS}"
        store.ensure_collection(collection, client_id=client.pk, dimensions=DIMS)
        rows = np.flatnonzero(tenants == t)
        for chunk in range(0, len(rows), 1000):
            store.upsert(
                collection,
                [
                    VectorPoint(str(uuid.uuid4()), client.pk, "bench", int(i), "content", vectors[i].tolist(), {})
                    for i in rows[chunk : chunk + 1000]
                ],
            )
    return len(vectors) / (time.perf_counter() - started)


def _tune(store, clients, run: str) -> None:
    """Size each collection's index to the collection, as the backfill does after a table."""
    started = time.perf_counter()
    for client in clients:
        tuned = store.tune_collection(f"client_{client.pk}_bench_{run}_{DIMS}", client_id=client.pk)
        if tuned:
            print(f"  client {client.pk}: index rebuilt with m, ef_construction = {tuned}", flush=True)
    print(f"  index rebuilds: {time.perf_counter() - started:.0f} s", flush=True)


def _measure(store, client, collection: str, queries: np.ndarray, exact: list[set], filtered: bool):
    """Latencies (ms) and recall@10 against exact search, with or without the tenant filter."""
    times, recalls = [], []
    for q, truth in zip(queries, exact, strict=True):
        began = time.perf_counter()
        if filtered:
            found = {h.record_id for h in store.search(collection, client_id=client.pk, vector=q.tolist(), limit=10)}
        else:
            found = _unfiltered(store, collection, q)
        times.append((time.perf_counter() - began) * 1000)
        recalls.append(len(found & truth) / 10)
    return times, recalls


def _query_tenants(store, store_name, clients, vectors, tenants, run, rng, n_queries, size, ingest) -> None:
    for label, t in (("big", 0), ("small", len(SHARES) - 1)):
        client = clients[t]
        collection = f"client_{client.pk}_bench_{run}_{DIMS}"
        rows = np.flatnonzero(tenants == t)
        mine = vectors[rows]
        queries = mine[rng.integers(0, len(rows), size=n_queries)] + rng.normal(scale=0.05, size=(n_queries, DIMS))
        queries /= np.linalg.norm(queries, axis=1, keepdims=True)
        exact = [set(rows[np.argsort(-mine @ q)[:10]].tolist()) for q in queries]
        for filtered in (True, False):
            times, recalls = _measure(store, client, collection, queries, exact, filtered)
            p50, p95 = percentiles(times)
            print(
                f"{store_name:<9}{size:>9} {label:<7}{'yes' if filtered else 'no':<7}{p50:>9.2f}{p95:>9.2f}"
                f"{np.mean(recalls):>11.3f}{ingest:>10.0f}",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--stores", default="qdrant,pgvector")
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    db_url = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/pulse_bench")
    setup_django(database_url=db_url if "pgvector" in args.stores else None)
    from qdrant_client import QdrantClient

    from ai.vectors.stores.pgvector import PgVectorStore
    from ai.vectors.stores.qdrant import QdrantStore
    from pulse.core.models import Client

    clients = [
        Client.objects.get_or_create(slug=f"bench-{i}", defaults={"name": f"bench {i}"})[0] for i in range(len(SHARES))
    ]
    print(f"{'store':<9}{'N':>9} {'tenant':<7}{'filter':<7}{'p50 ms':>9}{'p95 ms':>9}{'recall@10':>11}{'ingest/s':>10}")
    for size in [int(s) for s in args.sizes.split(",")]:
        vectors, tenants = dataset(size, np.random.default_rng(size))
        for store_name in args.stores.split(","):
            store = QdrantStore(QdrantClient(location=":memory:")) if store_name == "qdrant" else PgVectorStore()
            run = uuid.uuid4().hex[:6]
            ingest = _ingest(store, clients, vectors, tenants, run)
            shape = (args.queries, size, ingest)
            if store_name == "pgvector":  # the same queries on the index as loaded, then as rebuilt
                print("  as loaded (ingest builds each index when its collection crosses a size tier):", flush=True)
                _query_tenants(store, store_name, clients, vectors, tenants, run, np.random.default_rng(1), *shape)
                _tune(store, clients, run)
            _query_tenants(store, store_name, clients, vectors, tenants, run, np.random.default_rng(1), *shape)
            if store_name == "pgvector":
                for client in clients:
                    store.drop_collection(f"client_{client.pk}_bench_{run}_{DIMS}")


def _unfiltered(store, collection: str, query: np.ndarray) -> set[int]:
    """The same search without the tenant condition (what a shared index would do without it)."""
    if store.name == "qdrant":
        points = store.client.query_points(collection, query=query.tolist(), limit=10, with_payload=True).points
        return {int(p.payload["record_id"]) for p in points}
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL hnsw.ef_search = 100")
        cursor.execute(
            "SELECT record_id FROM pgvector_embeddings WHERE collection = %s "
            "ORDER BY embedding::vector(384) <=> %s::vector(384) LIMIT 10".replace("%s", "'" + collection + "'", 1),
            ["[" + ",".join(map(str, query.tolist())) + "]"],
        )
        return {row[0] for row in cursor.fetchall()}


if __name__ == "__main__":
    main()
