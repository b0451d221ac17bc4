"""The pgvector store against real PostgreSQL: binary COPY upserts keep every float exactly,
upserts replace, tenants stay apart, small collections are searched exactly, and a grown
collection's index is rebuilt with wider build parameters."""

import json
import uuid

import numpy as np
import pytest
from django.db import connection

from ai.vectors.stores import pgvector as pgv
from ai.vectors.stores.base import VectorPoint

pytestmark = pytest.mark.django_db
DIMS = 16


@pytest.fixture
def store(settings):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL with pgvector")
    return pgv.PgVectorStore()


def _points(client, vectors, *, payload=None, start=1):
    return [
        VectorPoint(str(uuid.uuid4()), client.pk, "bench", start + i, "content", v.tolist(), payload or {"i": i})
        for i, v in enumerate(vectors)
    ]


def _collection(store, client, name="t"):
    collection = f"client_{client.pk}_{name}_{DIMS}"
    store.ensure_collection(collection, client_id=client.pk, dimensions=DIMS)
    return collection


def _stored(point_ids):
    # pgvector prints the shortest text that reads back as the same float4, so text compares exactly.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT point_id::text, embedding::text, payload FROM pgvector_embeddings WHERE point_id = ANY(%s::uuid[])",
            [point_ids],
        )
        rows = cursor.fetchall()
    return {row[0]: (np.array(json.loads(row[1]), dtype=np.float32), json.loads(row[2])) for row in rows}


def test_binary_copy_round_trips_vectors_and_payloads_exactly(store, tenant_a):
    rng = np.random.default_rng(1)
    # float32 values with long decimal forms, tiny and huge magnitudes: a lossy path would change some.
    vectors = (rng.normal(size=(50, DIMS)) * np.logspace(-30, 30, DIMS)).astype(np.float32)
    collection = _collection(store, tenant_a)
    points = _points(tenant_a, vectors, payload={"title": "naïve 'quote' \\ back", "n": [1, 2]})
    store.upsert(collection, points)
    stored = _stored([p.point_id for p in points])
    assert len(stored) == 50
    for point, vector in zip(points, vectors, strict=True):
        assert np.array_equal(stored[point.point_id][0], vector)
        assert stored[point.point_id][1] == {"title": "naïve 'quote' \\ back", "n": [1, 2]}


def test_upsert_replaces_and_the_last_copy_of_a_point_in_a_batch_wins(store, tenant_a):
    collection = _collection(store, tenant_a)
    first = _points(tenant_a, np.ones((1, DIMS), dtype=np.float32))[0]
    store.upsert(collection, [first])
    newer = VectorPoint(first.point_id, tenant_a.pk, "bench", 1, "content", [0.5] * DIMS, {"v": 2})
    newest = VectorPoint(first.point_id, tenant_a.pk, "bench", 1, "content", [0.25] * DIMS, {"v": 3})
    store.upsert(collection, [newer, newest])
    stored = _stored([first.point_id])
    assert list(stored) == [first.point_id]
    assert np.array_equal(stored[first.point_id][0], np.full(DIMS, 0.25, dtype=np.float32))
    assert stored[first.point_id][1] == {"v": 3}


def test_another_tenant_never_sees_the_collection(store, tenant_a, tenant_b):
    rng = np.random.default_rng(2)
    vectors = rng.normal(size=(20, DIMS)).astype(np.float32)
    mine = _collection(store, tenant_a)
    theirs = _collection(store, tenant_b)
    store.upsert(mine, _points(tenant_a, vectors))
    store.upsert(theirs, _points(tenant_b, vectors[:3], start=100))
    # Tenant B asking for A's collection by name still gets nothing: the tenant is in every query.
    assert store.search(mine, client_id=tenant_b.pk, vector=vectors[0].tolist(), limit=10) == []
    found = store.search(theirs, client_id=tenant_b.pk, vector=vectors[5].tolist(), limit=10)
    assert {h.record_id for h in found} == {100, 101, 102}


def _ef(collection, limit, *, filtered):
    with connection.cursor() as cursor:
        return pgv._ef_search(cursor, collection, limit, filtered=filtered)


def _exact_top(vectors, query, k):
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    return [int(i) + 1 for i in np.argsort(-(unit @ (query / np.linalg.norm(query))))[:k]]


def _index_scans(collection) -> int:
    """Scans of the collection's HNSW index in this transaction (the test's)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_stat_get_xact_numscans(oid) FROM pg_class WHERE relname = %s", [pgv._index_name(collection)]
        )
        return cursor.fetchone()[0]


def test_a_small_collection_returns_the_exact_neighbours_in_order(store, tenant_a):
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(600, DIMS)).astype(np.float32)
    collection = _collection(store, tenant_a)
    store.upsert(collection, _points(tenant_a, vectors))
    for query in rng.normal(size=(20, DIMS)).astype(np.float32):
        hits = store.search(collection, client_id=tenant_a.pk, vector=query.tolist(), limit=25)
        assert [h.record_id for h in hits] == _exact_top(vectors, query, 25)
    # At 600 points the graph walk would find the same neighbours: what shows the exact path is
    # that the index was never read.
    assert _index_scans(collection) == 0


def test_above_the_threshold_the_index_answers_with_the_filter_and_exclusions(store, tenant_a, monkeypatch):
    monkeypatch.setattr(pgv, "EXACT_BELOW", 10)
    rng = np.random.default_rng(4)
    vectors = rng.normal(size=(300, DIMS)).astype(np.float32)
    collection = _collection(store, tenant_a)
    store.upsert(collection, _points(tenant_a, vectors))
    query = vectors[0]
    hits = store.search(collection, client_id=tenant_a.pk, vector=query.tolist(), limit=5, exclude_record_ids=[1])
    assert 1 not in {h.record_id for h in hits} and len(hits) == 5 and _index_scans(collection) == 1
    assert _ef(collection, 5, filtered=True) == 2 * pgv.TIERS[0][3]


def test_tune_collection_rebuilds_a_grown_collection_with_its_tier(store, tenant_a, monkeypatch):
    collection = _collection(store, tenant_a)  # built empty: the smallest tier
    store.upsert(collection, _points(tenant_a, np.random.default_rng(5).normal(size=(40, DIMS)).astype(np.float32)))
    assert store.tune_collection(collection, client_id=tenant_a.pk) is None  # 40 points: still the first tier
    monkeypatch.setattr(pgv, "TIERS", ((0, 16, 64, 100), (30, 24, 200, 400)))
    assert store.tune_collection(collection, client_id=tenant_a.pk) == (24, 200)
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = %s", [pgv._index_name(collection)])
        assert set(cursor.fetchone()[0]) >= {"m=24", "ef_construction=200"}
    assert store.tune_collection(collection, client_id=tenant_a.pk) is None  # already right
    assert _ef(collection, 10, filtered=False) == 400
