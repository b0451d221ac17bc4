"""The pgvector store's HNSW indexes: which collections get one, with which build parameters, and
the search beam each one gets.

A collection below EXACT_BELOW points has no index and is searched exactly. Once it holds more,
it gets a partial HNSW index built with its size tier's parameters, rebuilt when it crosses into
the next tier. Ingest keeps that true cheaply: each process counts a collection once, then adds
the points it writes (an upper bound on growth) and counts again only when that bound reaches
the next tier's size (`after_write`). A bulk load (`deferred`) writes with no index to maintain
(COPY then one build is far faster than growing the graph row by row: bench/pgvector_bulk.py's
ingest phase) and fits the indexes of what it wrote when it ends, however it ends.

A (re)build does not block writers to the shared table when it runs in autocommit (the usual
case: ingest, the backfill, `tune_collection` outside a transaction): it uses CREATE INDEX
CONCURRENTLY beside the old index and swaps them, so every tenant's inserts go on during a build
that takes minutes at 200k+ points. Inside a caller's transaction it cannot (CONCURRENTLY refuses
to run in a transaction block) and builds there, with writes to the table waiting until that
transaction ends. Searches stay correct throughout: they use the index by name and search
exactly when there is none.
"""

import contextvars
import hashlib
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass

from django.db import connection, transaction
from psycopg import sql

# Below this many points a collection is searched exactly: a sequential distance over a few
# thousand rows costs about what the graph walk does, and its recall is 1 by construction.
EXACT_BELOW = 5000
# (points at least, m, ef_construction, ef_search), each from EXACT_BELOW up: larger graphs need
# wider build parameters for the same recall. Each beam is the smallest swept value with no query
# below recall@10 0.5 among 400 tuning queries (bench/pgvector_bulk.py at 1M: 13k, 135k and 280k
# points); narrower beams left some queries stranded in the wrong cluster (recall 0) at 135k-280k.
TIERS = ((0, 16, 64, 60), (50_000, 16, 128, 200), (200_000, 24, 200, 200))
EF_SEARCH_MAX = 1000
# An HNSW build that outgrows maintenance_work_mem (64 MB by default) slows down severalfold; 280k
# 384-d points with m 24 need about 0.6 GB.
BUILD_MEMORY = "1GB"
# Another process may build or drop an index; until this many seconds pass this one keeps using
# what it saw. Either way the search stays correct: without the index it is exact, only slower.
INDEX_TTL = 60.0
_BUILD_LOCK = 0x5047_5648  # advisory lock key: one build at a time on the shared table


@dataclass
class _Growth:
    counted: int  # the collection's points at the last count
    added: int = 0  # points this process wrote since


_indexes: dict[str, tuple[float, tuple[int, int] | None]] = {}  # collection -> (seen at, (m, efc))
_growth: dict[tuple[str, int], _Growth] = {}
_deferred: contextvars.ContextVar[set | None] = contextvars.ContextVar("pgvector_deferred", default=None)


def index_name(collection: str) -> str:
    return "pgv_hnsw_" + hashlib.sha1(collection.encode()).hexdigest()[:16]  # noqa: S324 - a name, not security


def tier(points: int) -> tuple[int, int, int] | None:
    """(m, ef_construction, ef_search) for a collection of `points`; None: no index, exact search."""
    if points < EXACT_BELOW:
        return None
    return next((m, efc, ef) for least, m, efc, ef in reversed(TIERS) if points >= least)


def index_params(cursor, collection: str, *, fresh: bool = False) -> tuple[int, int] | None:
    """(m, ef_construction) of the collection's index, None when it has none; looked up at most
    once a minute per process (a catalog read, not a count)."""
    seen = _indexes.get(collection)
    if not fresh and seen is not None and time.monotonic() - seen[0] < INDEX_TTL:
        return seen[1]
    cursor.execute("SELECT reloptions FROM pg_class WHERE relname = %s", [index_name(collection)])
    row = cursor.fetchone()
    params = None
    if row is not None:
        options = dict(o.split("=", 1) for o in (row[0] or []))
        params = (int(options.get("m", 16)), int(options.get("ef_construction", 64)))
    _indexes[collection] = (time.monotonic(), params)
    return params


def ef_search(params: tuple[int, int], limit: int, *, filtered: bool, fixed: int | None = None) -> int:
    """The beam for a query on an index built with `params`: its tier's (the first tier whose
    ef_construction it reaches), at least 2x the rows asked for, doubled when a filter or an
    exclusion drops some of what the graph walk finds."""
    base = fixed or next((ef for _, _, efc, ef in reversed(TIERS) if params[1] >= efc), TIERS[0][3])
    return min(max(base, 2 * limit) * (2 if filtered else 1), EF_SEARCH_MAX)


def count(cursor, collection: str, client_id: int) -> int:
    """The collection's points (an index-only scan of the (collection, client) btree)."""
    cursor.execute(
        "SELECT count(*) FROM pgvector_embeddings WHERE collection = %s AND client_id = %s",
        [collection, int(client_id)],
    )
    return cursor.fetchone()[0]


def fit(collection: str, client_id: int, dimensions: int) -> tuple[int, int] | None:
    """Give the collection the index its size calls for: none below EXACT_BELOW, else its tier's.
    Returns the (m, ef_construction) of an index it built, None when it built none."""
    # CREATE / DROP INDEX CONCURRENTLY cannot run inside a transaction block, and the caller's
    # transaction (a test's, or one that wants its writes indexed before it commits) must see the
    # index: there it is built in that transaction, under CREATE INDEX's blocking SHARE lock.
    in_transaction = connection.in_atomic_block or not connection.get_autocommit()
    replace = _replace if in_transaction else _replace_concurrently
    built = None
    with transaction.atomic() if in_transaction else nullcontext(), connection.cursor() as cursor:
        points = count(cursor, collection, client_id)
        wanted = tier(points)
        if _needs_fitting(cursor, collection, wanted):
            with _build_lock(cursor, in_transaction):
                # Another process may have fitted it while this one waited for the lock.
                if _needs_fitting(cursor, collection, wanted):
                    built = replace(cursor, collection, client_id, dimensions, wanted)
    _growth[(collection, int(client_id))] = _Growth(points)
    _indexes.pop(collection, None)  # the next search reads it again
    return built


def _needs_fitting(cursor, collection: str, wanted) -> bool:
    return (wanted and wanted[:2]) != index_params(cursor, collection, fresh=True)


@contextmanager
def _build_lock(cursor, in_transaction: bool) -> Iterator[None]:
    """One build at a time on the shared table. Outside a transaction a session lock: CONCURRENTLY
    commits several transactions of its own, and a transaction lock would end with the first."""
    if in_transaction:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_BUILD_LOCK])
        yield
        return
    cursor.execute("SELECT pg_advisory_lock(%s)", [_BUILD_LOCK])
    try:
        yield
    finally:
        cursor.execute("SELECT pg_advisory_unlock(%s)", [_BUILD_LOCK])


def _create(cursor, name: str, collection: str, client_id: int, dims: int, wanted, *, concurrently: bool) -> None:
    m, efc, _ = wanted
    cursor.execute(
        sql.SQL(
            "CREATE INDEX {concurrently}{index} ON pgvector_embeddings "
            "USING hnsw ((embedding::vector({dims})) vector_cosine_ops) "
            "WITH (m = {m}, ef_construction = {efc}) WHERE collection = {collection} AND client_id = {client}"
        ).format(
            concurrently=sql.SQL("CONCURRENTLY " if concurrently else ""),
            index=sql.Identifier(name),
            dims=sql.Literal(dims),
            m=sql.Literal(m),
            efc=sql.Literal(efc),
            collection=sql.Literal(collection),
            client=sql.Literal(int(client_id)),
        )
    )


def _replace(cursor, collection: str, client_id: int, dims: int, wanted) -> tuple[int, int] | None:
    """In the caller's transaction: build the new index beside the old one (CREATE INDEX takes a
    SHARE lock: searches go on with the old index, writes to the table wait until the transaction
    ends), then swap them; dropping takes the table's ACCESS EXCLUSIVE lock from there to the end of
    the transaction."""
    name = index_name(collection)
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # pending FK checks would block the DDL
    # A concurrent build that failed leaves an INVALID <name>_next behind, and CREATE would then
    # fail on the name. IF EXISTS locks nothing when there is none (the usual case); when there is
    # one, the drop's ACCESS EXCLUSIVE lock is held through this build, once.
    cursor.execute(sql.SQL("DROP INDEX IF EXISTS {}").format(sql.Identifier(name + "_next")))
    if wanted is None:
        cursor.execute(sql.SQL("DROP INDEX IF EXISTS {}").format(sql.Identifier(name)))
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        return None
    cursor.execute(sql.SQL("SET LOCAL maintenance_work_mem = {}").format(sql.Literal(BUILD_MEMORY)))
    _create(cursor, name + "_next", collection, client_id, dims, wanted, concurrently=False)
    cursor.execute(sql.SQL("DROP INDEX IF EXISTS {}").format(sql.Identifier(name)))
    cursor.execute(sql.SQL("ALTER INDEX {} RENAME TO {}").format(sql.Identifier(name + "_next"), sql.Identifier(name)))
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    return wanted[:2]


def _replace_concurrently(cursor, collection: str, client_id: int, dims: int, wanted) -> tuple[int, int] | None:
    """In autocommit, each statement its own transactions: build the new index beside the old one
    with CREATE INDEX CONCURRENTLY (a SHARE UPDATE EXCLUSIVE lock: writes and searches go on, the
    latter with the old index), then drop the old one concurrently and rename the new one. Between
    the drop and the rename the name is missing for an instant: a search then reads no index and
    searches exactly (correct, slower). CONCURRENTLY also waits for transactions open on the table
    to end (a long one delays the build, not the writers)."""
    name, drop = index_name(collection), sql.SQL("DROP INDEX CONCURRENTLY IF EXISTS {}")
    # Under the build lock any <name>_next is a leftover: a CONCURRENTLY build that failed or was
    # cancelled leaves its index INVALID (and possibly still updated by every write).
    cursor.execute(drop.format(sql.Identifier(name + "_next")))
    if wanted is None:
        cursor.execute(drop.format(sql.Identifier(name)))
        return None
    # A session setting (SET LOCAL needs a transaction), reset so a reused connection drops it.
    cursor.execute(sql.SQL("SET maintenance_work_mem = {}").format(sql.Literal(BUILD_MEMORY)))
    try:
        _create(cursor, name + "_next", collection, client_id, dims, wanted, concurrently=True)
    finally:
        cursor.execute("RESET maintenance_work_mem")
    cursor.execute(drop.format(sql.Identifier(name)))
    cursor.execute(sql.SQL("ALTER INDEX {} RENAME TO {}").format(sql.Identifier(name + "_next"), sql.Identifier(name)))
    return wanted[:2]


def after_write(collection: str, client_id: int, dimensions: int, written: int) -> None:
    """Called after each upsert: fits the index when the collection may have crossed a tier's
    size. Counts only on a process's first write to a collection and at those crossings."""
    key = (collection, int(client_id))
    pending = _deferred.get()
    if pending is not None:
        pending.add((collection, int(client_id), dimensions))
        return
    state = _growth.get(key)
    if state is not None:
        state.added += written
        boundary = _next_boundary(state.counted)
        if boundary is None or state.counted + state.added < boundary:
            return
    fit(collection, client_id, dimensions)


def _next_boundary(points: int) -> int | None:
    starts = sorted({EXACT_BELOW, *(least for least, *_ in TIERS if least > EXACT_BELOW)})
    return next((b for b in starts if b > points), None)


@contextmanager
def deferred() -> Iterator[None]:
    """Writes inside leave the indexes alone; on the way out, however the block ends, every
    collection written gets the index its size calls for, so none stays large without one."""
    if _deferred.get() is not None:  # nested: the outer block fits them
        yield
        return
    pending: set = set()
    token = _deferred.set(pending)
    try:
        yield
    finally:
        _deferred.reset(token)
        for collection, client_id, dimensions in sorted(pending):
            fit(collection, client_id, dimensions)


def forget(collection: str) -> None:
    _indexes.pop(collection, None)
    for key in [key for key in _growth if key[0] == collection]:
        del _growth[key]
