"""The pgvector store against real PostgreSQL: binary COPY upserts keep every float exactly,
upserts replace, tenants stay apart, small collections have no index and are searched exactly,
ingest builds the index when a collection crosses a size tier (and rebuilds it at the next), a
bulk load builds it once at its end, and the results do not change when the index appears."""

import json
import uuid

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ai.vectors.stores import pgvector as pgv
from ai.vectors.stores import pgvector_index as pgi
from ai.vectors.stores.base import VectorPoint

pytestmark = pytest.mark.django_db
DIMS = 16


@pytest.fixture
def store(settings, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL with pgvector")
    # What a process remembers about collections (their sizes, their indexes) starts empty.
    monkeypatch.setattr(pgi, "_growth", {})
    monkeypatch.setattr(pgi, "_indexes", {})
    return pgv.PgVectorStore()


@pytest.fixture
def small_tiers(monkeypatch):
    """Tiers at test sizes: exact below 50 points, (16, 64) from 50, (24, 200) from 120."""
    monkeypatch.setattr(pgi, "EXACT_BELOW", 50)
    monkeypatch.setattr(pgi, "TIERS", ((0, 16, 64, 100), (120, 24, 200, 400)))


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


def _exact_top(vectors, query, k):
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    return [int(i) + 1 for i in np.argsort(-(unit @ (query / np.linalg.norm(query))))[:k]]


def _index_scans(collection) -> int:
    """Scans of the collection's HNSW index in this transaction (the test's); -1 without one."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_stat_get_xact_numscans(oid) FROM pg_class WHERE relname = %s", [pgi.index_name(collection)]
        )
        row = cursor.fetchone()
    return -1 if row is None else row[0]


def _built_with(collection) -> set[str] | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = %s", [pgi.index_name(collection)])
        row = cursor.fetchone()
    return None if row is None else set(row[0])


def _search_ids(store, collection, client, queries, limit=10):
    return [
        [h.record_id for h in store.search(collection, client_id=client.pk, vector=q.tolist(), limit=limit)]
        for q in queries
    ]


def test_a_small_collection_has_no_index_and_returns_the_exact_neighbours_in_order(store, tenant_a):
    rng = np.random.default_rng(3)
    vectors = rng.normal(size=(600, DIMS)).astype(np.float32)
    collection = _collection(store, tenant_a)
    store.upsert(collection, _points(tenant_a, vectors))
    assert _built_with(collection) is None
    for query in rng.normal(size=(20, DIMS)).astype(np.float32):
        hits = store.search(collection, client_id=tenant_a.pk, vector=query.tolist(), limit=25)
        assert [h.record_id for h in hits] == _exact_top(vectors, query, 25)


def test_ingest_builds_the_index_when_the_collection_crosses_a_tier_and_rebuilds_at_the_next(
    store, tenant_a, small_tiers
):
    rng = np.random.default_rng(4)
    vectors = rng.normal(size=(130, DIMS)).astype(np.float32)
    collection = _collection(store, tenant_a)
    store.upsert(collection, _points(tenant_a, vectors[:40]))
    assert _built_with(collection) is None  # 40 points: exact

    store.upsert(collection, _points(tenant_a, vectors[40:60], start=41))
    assert _built_with(collection) >= {"m=16", "ef_construction=64"}  # 60 points: the first tier

    store.upsert(collection, _points(tenant_a, vectors[60:], start=61))
    assert _built_with(collection) >= {"m=24", "ef_construction=200"}  # 130 points: the second
    hits = store.search(collection, client_id=tenant_a.pk, vector=vectors[0].tolist(), limit=5, exclude_record_ids=[1])
    assert 1 not in {h.record_id for h in hits} and len(hits) == 5 and _index_scans(collection) == 1


def test_ingest_counts_a_collection_only_when_it_may_have_crossed_a_tier(store, tenant_a, small_tiers):
    vectors = np.random.default_rng(5).normal(size=(60, DIMS)).astype(np.float32)
    collection = _collection(store, tenant_a)
    store.upsert(collection, _points(tenant_a, vectors[:10]))  # the process's first write: counted once

    with CaptureQueriesContext(connection) as small_batches:
        for k in range(10, 45, 5):  # 45 points written: below the 50 where the index starts
            store.upsert(collection, _points(tenant_a, vectors[k : k + 5], start=k + 1))
    with CaptureQueriesContext(connection) as crossing:
        store.upsert(collection, _points(tenant_a, vectors[45:], start=46))

    assert not any("count(*)" in q["sql"] for q in small_batches.captured_queries)
    assert any("count(*)" in q["sql"] for q in crossing.captured_queries)
    assert _built_with(collection) >= {"m=16"}


def test_results_are_the_same_before_and_after_the_bulk_load_builds_the_index(store, tenant_a, small_tiers):
    rng = np.random.default_rng(6)
    vectors = rng.normal(size=(100, DIMS)).astype(np.float32)
    queries = rng.normal(size=(15, DIMS)).astype(np.float32)
    collection = _collection(store, tenant_a)
    with store.bulk_load():
        for k in range(0, 100, 20):
            store.upsert(collection, _points(tenant_a, vectors[k : k + 20], start=k + 1))
        assert _built_with(collection) is None  # 100 points, still no index while loading
        before = _search_ids(store, collection, tenant_a, queries)
    assert _built_with(collection) >= {"m=16", "ef_construction=64"}

    after = _search_ids(store, collection, tenant_a, queries)

    assert _index_scans(collection) == len(queries)  # the index answered every search after
    assert after == before == [_exact_top(vectors, q, 10) for q in queries]


def test_a_bulk_load_that_fails_still_leaves_its_collection_indexed(store, tenant_a, small_tiers):
    collection = _collection(store, tenant_a)
    vectors = np.random.default_rng(7).normal(size=(80, DIMS)).astype(np.float32)
    with pytest.raises(RuntimeError), store.bulk_load():
        store.upsert(collection, _points(tenant_a, vectors))
        raise RuntimeError("the load stops half way")
    assert _built_with(collection) >= {"m=16"}


def test_tenants_stay_apart_on_the_index_path(store, tenant_a, tenant_b, small_tiers):
    rng = np.random.default_rng(8)
    vectors = rng.normal(size=(70, DIMS)).astype(np.float32)
    mine, theirs = _collection(store, tenant_a), _collection(store, tenant_b)
    store.upsert(mine, _points(tenant_a, vectors))
    store.upsert(theirs, _points(tenant_b, vectors, start=1000))
    assert _built_with(mine) and _built_with(theirs)

    assert store.search(mine, client_id=tenant_b.pk, vector=vectors[0].tolist(), limit=10) == []
    found = _search_ids(store, theirs, tenant_b, vectors[:5], limit=70)
    assert all(set(ids) == set(range(1000, 1070)) for ids in found)


def test_tune_collection_fits_the_index_to_the_size_and_drops_it_below_the_threshold(store, tenant_a, small_tiers):
    collection = _collection(store, tenant_a)
    points = _points(tenant_a, np.random.default_rng(9).normal(size=(130, DIMS)).astype(np.float32))
    with store.bulk_load():
        store.upsert(collection, points)
    assert _built_with(collection) >= {"m=24", "ef_construction=200"}
    assert store.tune_collection(collection, client_id=tenant_a.pk) is None  # already right
    with connection.cursor() as cursor:
        assert pgi.ef_search(pgi.index_params(cursor, collection), 10, filtered=False) == 400

    store.delete(collection, client_id=tenant_a.pk, point_ids=[p.point_id for p in points[40:]])
    assert store.tune_collection(collection, client_id=tenant_a.pk) is None
    assert _built_with(collection) is None  # 40 points: exact again
    assert [h.record_id for h in store.search(collection, client_id=tenant_a.pk, vector=[1.0] * DIMS, limit=50)] == (
        _exact_top(np.array([p.vector for p in points[:40]]), np.ones(DIMS), 40)
    )
