"""pgvector bulk path and per-tier beams: the vector_search.py dataset loaded by COPY upserts into
collections that have no index yet, `tune_collection` on the tenants queried, ANALYZE, then
queries through `PgVectorStore.search` (recall@10 against exact numpy search).

    B="BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/pulse_pgv"
    env $B .venv/bin/python bench/pgvector_bulk.py --size 300000              # load, query, drop
    # 1M table with a 280k-point tenant, kept between steps:
    env $B .venv/bin/python bench/pgvector_bulk.py --size 1000000 --big 280000 --phase load
    env $B .venv/bin/python bench/pgvector_bulk.py --size 1000000 --big 280000 --phase sweep \
        --query-seed 2 --ef 40,60,100,200,400       # choose each tier's ef_search on these
    env $B .venv/bin/python bench/pgvector_bulk.py --size 1000000 --big 280000 --phase report \
        --query-seed 3                              # report on fresh queries, the store's own beams
    env $B .venv/bin/python bench/pgvector_bulk.py --size 1000000 --big 280000 --phase explain \
        --query-seed 2 --ef 100,400                 # EXPLAIN (ANALYZE, BUFFERS) of one query
    env $B .venv/bin/python bench/pgvector_bulk.py --size 1000000 --big 280000 --phase ingest \
        --ingest 60000                              # Pulse's upserts against bulk_load, fresh collection
    env $B .venv/bin/python bench/pgvector_bulk.py --size 1000000 --big 280000 --phase drop

Tenants queried: the biggest (tier 3 at 280k), the second (tier 2) and the smallest (tier 1 at 1M,
the exact path at 300k). The sweep forces one ef_search on every index (`PgVectorStore(ef_search=)`);
the report uses the store's tiers as they are. Each phase prints the load averages before it.
"""

import argparse
import contextlib
import os
import time
import uuid
from pathlib import Path

import numpy as np
from common import percentiles, setup_django
from vector_search import DIMS, SHARES, dataset

QUERIED = (("big", 0), ("second", 1), ("small", len(SHARES) - 1))


def layout(size: int, big: int | None) -> tuple[np.ndarray, np.ndarray]:
    """vector_search.py's dataset; with `big`, tenant 0 holds exactly that many points and the
    others share the rest in their usual proportions."""
    rng = np.random.default_rng(size)
    vectors, tenants = dataset(size, rng)
    if big:
        order = rng.permutation(size)
        tenants[order[:big]] = 0
        rest = SHARES[1:] / SHARES[1:].sum()
        tenants[order[big:]] = 1 + rng.choice(len(rest), size=size - big, p=rest)
    return vectors, tenants


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=300_000)
    parser.add_argument("--big", type=int, default=None, help="points of the biggest tenant")
    parser.add_argument("--queries", type=int, default=100)
    parser.add_argument("--query-seed", type=int, default=1)
    phases = ("all", "load", "sweep", "report", "explain", "ingest", "drop")
    parser.add_argument("--phase", choices=phases, default="all")
    parser.add_argument("--ef", default="40,60,100,200,400", help="sweep: ef_search values")
    parser.add_argument("--ingest", type=int, default=60_000, help="ingest: points written to a fresh collection")
    args = parser.parse_args()
    setup_django(database_url=os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/pulse_bench"))
    from ai.vectors.stores.pgvector import PgVectorStore
    from pulse.core.models import Client

    clients = [Client.objects.get_or_create(slug=f"bench-{i}", defaults={"name": f"bench {i}"})[0] for i in range(20)]
    # A kept layout has a fixed name per size so the later phases find it; a one-shot run a fresh one.
    run = f"bulk{args.size}" if args.phase != "all" else uuid.uuid4().hex[:6]
    collections = [f"client_{c.pk}_{run}_{DIMS}" for c in clients]
    print(f"phase {args.phase}, {_load_average()}", flush=True)
    if args.phase == "drop":
        _drop(PgVectorStore(), collections)
        return
    vectors, tenants = layout(args.size, args.big)
    try:
        if args.phase in ("all", "load"):
            _load(PgVectorStore(), clients, collections, vectors, tenants)
        if args.phase in ("all", "report"):
            _run_queries(PgVectorStore(), clients, collections, vectors, tenants, args, "store's beams")
        if args.phase == "ingest":
            _ingest(clients[0], vectors[tenants == 0][: args.ingest])
        if args.phase == "explain":
            _explain(clients, collections, vectors, tenants, args)
        if args.phase == "sweep":
            for ef in [int(e) for e in args.ef.split(",")]:
                _run_queries(PgVectorStore(ef_search=ef), clients, collections, vectors, tenants, args, f"ef {ef}")
    finally:
        if args.phase == "all":
            _drop(PgVectorStore(), collections)


def _load(store, clients, collections, vectors, tenants) -> None:
    from django.db import connection

    from ai.vectors.stores.base import VectorPoint
    from ai.vectors.stores.pgvector import copy_merge

    began = time.time()
    for t, client in enumerate(clients):
        rows = np.flatnonzero(tenants == t)
        for k in range(0, len(rows), 5000):
            points = [
                VectorPoint(str(uuid.uuid4()), client.pk, "bench", int(i), "content", vectors[i].tolist(), {})
                for i in rows[k : k + 5000]
            ]
            # The upsert's own COPY and merge, without its index upkeep: what `bulk_load` does,
            # except that only the queried tenants get an index below (the others fill the table).
            copy_merge(collections[t], points)
    print(f"COPY upserts of {len(vectors)} vectors: {time.time() - began:.0f} s, {_load_average()}", flush=True)
    for _, t in QUERIED:
        began = time.time()
        built = store.tune_collection(collections[t], client_id=clients[t].pk)
        print(f"tenant {t}: index (m, ef_construction) {built} in {time.time() - began:.0f} s, {_load_average()}")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE pgvector_embeddings")


def _run_queries(store, clients, collections, vectors, tenants, args, label) -> None:
    for name, t in QUERIED:
        rows = np.flatnonzero(tenants == t)
        _query(store, clients[t], collections[t], vectors, rows, f"{label}, {name}", args.queries, args.query_seed)


_queries: dict[tuple, tuple] = {}  # (rows' first id, points, n, seed) -> (queries, exact top 10s)


def _queries_and_truths(vectors, rows, n, seed) -> tuple:
    """The tenant's queries (its own points, nudged) and their exact top 10s, made once per run."""
    key = (int(rows[0]), len(rows), n, seed)
    if key not in _queries:
        rng, mine = np.random.default_rng(seed), vectors[rows]
        queries = mine[rng.integers(0, len(rows), size=n)] + rng.normal(scale=0.05, size=(n, DIMS))
        queries /= np.linalg.norm(queries, axis=1, keepdims=True)
        truths = []
        for k in range(0, n, 50):
            scores = queries[k : k + 50].astype(np.float32) @ mine.T
            truths += [set(rows[top].tolist()) for top in np.argpartition(-scores, 10, axis=1)[:, :10]]
        _queries[key] = (queries, truths)
    return _queries[key]


def _query(store, client, collection, vectors, rows, label, n, seed) -> None:
    queries, truths = _queries_and_truths(vectors, rows, n, seed)
    times, recalls = [], []
    cpu_before = _backend_cpu_ms()
    for q, truth in zip(queries, truths, strict=True):
        began = time.perf_counter()
        hits = store.search(collection, client_id=client.pk, vector=q.tolist(), limit=10)
        times.append((time.perf_counter() - began) * 1000)
        recalls.append(len({h.record_id for h in hits} & truth) / 10)
    cpu = (_backend_cpu_ms() - cpu_before) / n
    p50, p95 = percentiles(times)
    print(
        f"{label} ({len(rows)} points): p50 {p50:.2f} ms, p95 {p95:.2f} ms, recall@10 {np.mean(recalls):.3f}, "
        f"min {min(recalls):.1f}, backend CPU {cpu:.1f} ms/query; {_load_average()}",
        flush=True,
    )


def _backend_cpu_ms() -> float:
    """CPU time the PostgreSQL backend serving this connection has used (ms, /proc, 10 ms
    ticks): the work a query costs, apart from the waits a shared machine adds to its latency."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def _explain(clients, collections, vectors, tenants, args) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of the index path's query (the store's SQL and settings) for the
    first query of each tenant with an index, at each --ef: where the time goes."""
    from django.db import connection, transaction
    from psycopg import sql

    from ai.vectors.stores import pgvector_index as indexes

    for name, t in QUERIED:
        rows = np.flatnonzero(tenants == t)
        rng = np.random.default_rng(args.query_seed)
        q = vectors[rows][rng.integers(0, len(rows), size=1)][0] + rng.normal(scale=0.05, size=DIMS)
        literal = "[" + ",".join(f"{x:.6f}" for x in q / np.linalg.norm(q)) + "]"
        for ef in [int(e) for e in args.ef.split(",")]:
            with transaction.atomic(), connection.cursor() as cursor:
                if indexes.index_params(cursor, collections[t]) is None:
                    continue
                cursor.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
                cursor.execute(sql.SQL("SET LOCAL hnsw.ef_search = {}").format(sql.Literal(ef)))
                cursor.execute("SET LOCAL enable_sort = off")
                query = sql.SQL(
                    "EXPLAIN (ANALYZE, BUFFERS) SELECT record_id, 1 - ({d}) FROM pgvector_embeddings "
                    "WHERE collection = {c} AND client_id = {k} ORDER BY {d} LIMIT 10"
                ).format(
                    d=sql.SQL("embedding::vector({n}) <=> %(q)s::vector({n})").format(n=sql.Literal(DIMS)),
                    c=sql.Literal(collections[t]),
                    k=sql.Literal(clients[t].pk),
                )
                cursor.execute(query, {"q": literal})
                plan = "\n    ".join(r[0] for r in cursor.fetchall() if "Buffers" in r[0] or "Time" in r[0])
                print(f"{name} ({len(rows)} points), ef_search {ef}:\n    {plan}", flush=True)


def _ingest(client, vectors) -> None:
    """Pulse's ingest path into a fresh collection beside the loaded ones, 1,000 points a batch:
    upserts as a sync writes them (the index built when the collection crosses a tier, then kept
    up row by row), then the same inside `bulk_load` (as the backfill writes a table)."""
    from ai.vectors.stores.base import VectorPoint
    from ai.vectors.stores.pgvector import PgVectorStore

    store, collection = PgVectorStore(), f"client_{client.pk}_ingest_{DIMS}"
    for label, bulk in (("upserts", False), ("bulk_load", True)):
        store.drop_collection(collection)
        began = time.time()
        with store.bulk_load() if bulk else contextlib.nullcontext():
            for k in range(0, len(vectors), 1000):
                points = [
                    VectorPoint(str(uuid.uuid4()), client.pk, "bench", k + i, "content", v.tolist(), {})
                    for i, v in enumerate(vectors[k : k + 1000])
                ]
                store.upsert(collection, points)
        took = time.time() - began
        print(f"ingest {len(vectors)} points by {label}: {took:.0f} s, {len(vectors) / took:.0f}/s; {_load_average()}")
    store.drop_collection(collection)


def _drop(store, collections) -> None:
    for collection in collections:
        store.drop_collection(collection)


def _load_average() -> str:
    """The machine is shared: every figure goes out with the load it was measured under."""
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


if __name__ == "__main__":
    main()
