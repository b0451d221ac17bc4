"""Rebuilding a collection's HNSW index does not block writers to the shared table. In autocommit
the build runs CONCURRENTLY (SHARE UPDATE EXCLUSIVE on the table, not CREATE INDEX's SHARE), so
another collection's insert goes through while it runs and searches keep the old index, and the
swap leaves one valid index with the tier's parameters and no `_next` behind. A failed concurrent
build's INVALID `_next` is cleaned up, and inside a transaction (where CONCURRENTLY cannot run)
the build still works."""

import threading
import time
import uuid

import numpy as np
import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from psycopg import sql

from ai.vectors.stores import pgvector as pgv
from ai.vectors.stores import pgvector_index as pgi
from ai.vectors.stores.base import VectorPoint

DIMS = 384
# The first tier (m 16, ef_construction 64). Enough points that the build lasts seconds here, long
# enough to watch its locks and write beside it (10k: about 4 s at load 3-4; 5k: 1.7 s).
POINTS = 10_000


@pytest.fixture
def indexes(monkeypatch):
    """The index names a test creates, dropped at the end of a transactional test (its flush
    empties the tables but keeps their indexes; another test's rollback removes them)."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL with pgvector")
    monkeypatch.setattr(pgi, "_growth", {})
    monkeypatch.setattr(pgi, "_indexes", {})
    names: list[str] = []
    yield names
    if connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        for name in names:
            for index in (name, name + "_next"):
                cursor.execute(sql.SQL("DROP INDEX IF EXISTS {}").format(sql.Identifier(index)))


def _collection(client, indexes: list[str], dims: int) -> str:
    collection = f"client_{client.pk}_{uuid.uuid4().hex[:8]}_{dims}"
    indexes.append(pgi.index_name(collection))
    return collection


def _fill(collection: str, client, count: int, dims: int, seed: int = 0) -> None:
    """Random unit vectors through the store's COPY merge (no index upkeep)."""
    rng = np.random.default_rng(seed)
    for start in range(0, count, 5000):
        vectors = rng.normal(size=(min(5000, count - start), dims)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        points = [
            VectorPoint(str(uuid.uuid4()), client.pk, "bench", start + i, "content", v) for i, v in enumerate(vectors)
        ]
        pgv.copy_merge(collection, points)


def _index_state(name: str) -> tuple[bool, set[str]] | None:
    """(valid, reloptions) of the index `name`; None when there is none."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indisvalid, c.reloptions FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid "
            "WHERE c.relname = %s",
            [name],
        )
        row = cursor.fetchone()
    return None if row is None else (row[0], set(row[1] or []))


def _fit_in_thread(collection: str, client_id: int, state: dict) -> None:
    """fit on this thread's own connection (autocommit, as a worker's), closed at the end."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            state["pid"] = cursor.fetchone()[0]
        state["built"] = pgi.fit(collection, client_id, DIMS)
    except Exception as exc:
        state["error"] = exc
        raise
    finally:
        connection.close()


def _build_lock_modes(pid: int) -> set[str]:
    """The modes of the table locks `pid` holds while its query is a CREATE INDEX (empty before
    the build starts): the count before it takes a lock of its own, which would mislead."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT l.mode FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.pid = %s AND l.granted AND l.relation = 'pgvector_embeddings'::regclass "
            "AND a.state = 'active' AND a.query LIKE 'CREATE INDEX%%'",
            [pid],
        )
        return {row[0] for row in cursor.fetchall()}


def _insert_elsewhere(client) -> None:
    """One row of another collection, giving up after 200 ms of waiting for a lock."""
    vector = "[" + ",".join(["0.05"] * DIMS) + "]"
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '200ms'")
        try:
            cursor.execute(
                "INSERT INTO pgvector_embeddings (point_id, collection, client_id, table_name, record_id, "
                "vector_type, embedding, payload) VALUES (%s, 'other_384', %s, 'bench', 1, 'content', %s, '{}')",
                [uuid.uuid4(), client.pk, vector],
            )
        finally:
            cursor.execute("RESET lock_timeout")


def _still_building(pid: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_stat_progress_create_index WHERE pid = %s", [pid])
        return cursor.fetchone() is not None


def _search_with_scans(collection: str, client, name: str) -> tuple[list, int]:
    """A search through the store, and how many scans the index `name` served in its transaction."""
    query = np.random.default_rng(1).normal(size=DIMS)
    with transaction.atomic(), connection.cursor() as cursor:
        hits = pgv.PgVectorStore().search(collection, client_id=client.pk, vector=query.tolist(), limit=10)
        cursor.execute("SELECT pg_stat_get_xact_numscans(oid) FROM pg_class WHERE relname = %s", [name])
        return hits, cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_a_rebuild_in_autocommit_lets_other_writers_through_and_swaps_in_a_valid_index(indexes, tenant_a):
    collection = _collection(tenant_a, indexes, DIMS)
    name = pgi.index_name(collection)
    _fill(collection, tenant_a, POINTS, DIMS)
    with connection.cursor() as cursor:  # an index built for another tier: this fit is a rebuild
        pgi._create(cursor, name, collection, tenant_a.pk, DIMS, (4, 8, 0), concurrently=False)
    state: dict = {}
    thread = threading.Thread(target=_fit_in_thread, args=(collection, tenant_a.pk, state))
    started = time.monotonic()
    thread.start()
    try:
        modes: set[str] = set()
        while not modes and thread.is_alive() and time.monotonic() - started < 25:
            modes = _build_lock_modes(state["pid"]) if "pid" in state else set()
            time.sleep(0.01)
        assert modes, "never saw the build running"
        # CREATE INDEX's SHARE lock would queue every insert into the table behind the build.
        assert "ShareLock" not in modes and "ShareUpdateExclusiveLock" in modes, modes
        _insert_elsewhere(tenant_a)  # raises LockNotAvailable if the insert had to wait 200 ms
        hits, old_index_scans = _search_with_scans(collection, tenant_a, name)
        assert _still_building(state["pid"]), "the build ended before the insert: nothing was proven"
        assert len(hits) == 10 and old_index_scans == 1  # searches go on, with the old index
    finally:
        thread.join(timeout=60)
    assert "error" not in state
    assert state["built"] == (16, 64)
    assert _index_state(name) == (True, {"m=16", "ef_construction=64"})
    assert _index_state(name + "_next") is None
    with connection.cursor() as cursor:
        assert pgi.count(cursor, "other_384", tenant_a.pk) == 1


@pytest.mark.django_db(transaction=True)
def test_a_failed_concurrent_build_is_cleaned_up_and_a_shrunk_collection_loses_its_index(
    indexes, tenant_a, monkeypatch
):
    monkeypatch.setattr(pgi, "EXACT_BELOW", 50)
    monkeypatch.setattr(pgi, "TIERS", ((0, 16, 64, 100), (120, 24, 200, 400)))
    collection = _collection(tenant_a, indexes, 16)
    name = pgi.index_name(collection)
    _fill(collection, tenant_a, 60, 16)
    # A concurrent build that fails (here a unique index over duplicates) leaves its index INVALID.
    with pytest.raises(IntegrityError, match="could not create unique index"), connection.cursor() as cursor:
        cursor.execute(
            sql.SQL(
                "CREATE UNIQUE INDEX CONCURRENTLY {} ON pgvector_embeddings (client_id) WHERE collection = {}"
            ).format(sql.Identifier(name + "_next"), sql.Literal(collection))
        )
    assert _index_state(name + "_next") == (False, set())

    assert pgi.fit(collection, tenant_a.pk, 16) == (16, 64)
    assert _index_state(name) == (True, {"m=16", "ef_construction=64"})
    assert _index_state(name + "_next") is None

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM pgvector_embeddings WHERE collection = %s AND record_id >= 40", [collection])
    with CaptureQueriesContext(connection) as shrink:
        assert pgi.fit(collection, tenant_a.pk, 16) is None  # 40 points: exact again
    assert _index_state(name) is None
    assert any(q["sql"].startswith("DROP INDEX CONCURRENTLY") for q in shrink.captured_queries)


@pytest.mark.django_db
def test_inside_a_transaction_the_build_runs_there_and_replaces_a_stray_next(indexes, tenant_a, monkeypatch):
    monkeypatch.setattr(pgi, "EXACT_BELOW", 50)
    monkeypatch.setattr(pgi, "TIERS", ((0, 16, 64, 100), (120, 24, 200, 400)))
    collection = _collection(tenant_a, indexes, 16)
    name = pgi.index_name(collection)
    _fill(collection, tenant_a, 60, 16)
    with connection.cursor() as cursor:  # left by an earlier build; in its way by name
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the fill's pending FK checks block DDL
        cursor.execute(
            sql.SQL("CREATE INDEX {} ON pgvector_embeddings (client_id) WHERE collection = {}").format(
                sql.Identifier(name + "_next"), sql.Literal(collection)
            )
        )
    assert connection.in_atomic_block  # the test's transaction: CONCURRENTLY could not run here

    with CaptureQueriesContext(connection) as build:
        assert pgi.fit(collection, tenant_a.pk, 16) == (16, 64)

    assert _index_state(name) == (True, {"m=16", "ef_construction=64"})
    assert _index_state(name + "_next") is None
    assert not any("CONCURRENTLY" in q["sql"] for q in build.captured_queries)
