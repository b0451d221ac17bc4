"""pgvector in Pulse's own PostgreSQL: one table, one partial HNSW index per collection.

Each collection (tenant, table, model) gets `CREATE INDEX ... USING hnsw ((embedding::vector(D))
vector_cosine_ops) WHERE collection = '<name>' AND client_id = <id>`. Queries repeat that exact expression and
predicate (the collection as a literal, so the planner can match the partial index) and add the
tenant filter; `hnsw.iterative_scan = relaxed_order` keeps filtered recall high (without it a
selective filter returns fewer rows than asked: see ../shared/research/vector-stores.md).

Vectors travel in pgvector's binary format (the `pgvector` package's psycopg dumper): upserts COPY
the batch into a temporary table and merge it with one INSERT ... ON CONFLICT, in one transaction.
Index build parameters follow the collection's size (`tune_collection` rebuilds a grown one),
`ef_search` follows the index and the query, and small collections are searched exactly.
"""

import hashlib
import json
import re
import uuid
from typing import Any

from django.db import connection, transaction
from pgvector import Vector
from pgvector.psycopg import register_vector
from psycopg import sql
from psycopg.types.json import Jsonb

from ai.vectors.stores.base import SearchHit, VectorPoint

_SAFE = re.compile(r"^[a-z0-9_]+$")
# Below this many points a collection is searched exactly: a sequential distance over a few
# thousand rows costs about what the graph walk does, and its recall is 1 by construction.
EXACT_BELOW = 5000
# (points at least, m, ef_construction, ef_search): larger graphs need wider build and search
# beams for the same recall (bench/vector_search.py: m 16 / 64 / 100 gave 0.84 at 280k points).
TIERS = ((0, 16, 64, 100), (50_000, 16, 128, 200), (200_000, 24, 200, 400))
EF_SEARCH_MAX = 1000
# An HNSW build that outgrows maintenance_work_mem (64 MB by default) slows down severalfold; 280k
# 384-d points with m 24 need about 0.6 GB.
BUILD_MEMORY = "1GB"
_COLUMNS = ("point_id", "collection", "client_id", "table_name", "record_id", "vector_type", "embedding", "payload")
_TYPES = ["uuid", "text", "int8", "text", "int8", "text", "vector", "jsonb"]
_ef_by_index: dict[str, int] = {}  # index name -> ef_search of its tier, read from its reloptions
_large: set[tuple[str, int]] = set()  # (collection, client) seen with EXACT_BELOW points or more


def _tier(points: int) -> tuple[int, int, int]:
    """(m, ef_construction, ef_search) for a collection of `points`."""
    return next((m, efc, ef) for least, m, efc, ef in reversed(TIERS) if points >= least)


def _binary_vectors() -> None:
    """Teach this connection pgvector's binary format (once per database connection)."""
    connection.ensure_connection()
    raw = connection.connection
    if raw.adapters.types.get("vector") is None:
        register_vector(raw)


def _index_name(collection: str) -> str:
    return "pgv_hnsw_" + hashlib.sha1(collection.encode()).hexdigest()[:16]  # noqa: S324 - a name, not security


def _checked(collection: str) -> str:
    if not _SAFE.match(collection):
        raise ValueError(f"invalid collection name {collection!r}")
    return collection


def _where(collection: str, client_id: int, filters: dict | None, exclude: list[int] | None) -> tuple[list, dict]:
    """The search's WHERE clauses and their parameters."""
    # Both as literals, exactly the partial index's predicate, so the planner sees that the HNSW
    # index covers this tenant's collection (with a parameter it chose the btree index and a
    # sort instead: exact, and 10x slower at 28k rows; bench/vector_search.py).
    clauses = [
        sql.SQL("collection = {} AND client_id = {}").format(sql.Literal(collection), sql.Literal(int(client_id)))
    ]
    params: dict[str, Any] = {}
    for i, (key, value) in enumerate((filters or {}).items()):
        name = f"f{i}"
        if key == "vector_type":  # a column here, not part of the payload
            params[name] = value if isinstance(value, list) else [value]
            clauses.append(sql.SQL("vector_type = ANY(%({})s)").format(sql.SQL(name)))
            continue
        # Containment matches a scalar field equal to the value and a list field holding it, as
        # Qdrant's match does; a list of values matches any of them.
        params[name] = json.dumps(value if isinstance(value, list) else [value])
        clauses.append(
            sql.SQL(
                "EXISTS (SELECT 1 FROM jsonb_array_elements(%({})s::jsonb) AS f(v) WHERE payload->{} @> f.v)"
            ).format(sql.SQL(name), sql.Literal(key))
        )
    if exclude:
        params["exclude"] = list(exclude)
        clauses.append(sql.SQL("NOT (record_id = ANY(%(exclude)s))"))
    return clauses, params


class PgVectorStore:
    name = "pgvector"

    def __init__(self) -> None:
        if connection.vendor != "postgresql":
            raise RuntimeError("VECTOR_STORE=pgvector needs DATABASE_URL to point at PostgreSQL with pgvector")
        self._dimensions: dict[str, int] = {}

    def _dims(self, collection: str) -> int | None:
        if collection not in self._dimensions:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT vector_dims(embedding) FROM pgvector_embeddings WHERE collection = %s LIMIT 1",
                    [collection],
                )
                row = cursor.fetchone()
            if row is None:
                return None
            self._dimensions[collection] = row[0]
        return self._dimensions[collection]

    def ensure_collection(self, collection: str, *, client_id: int, dimensions: int) -> None:
        existing = self._dims(_checked(collection))
        if existing is not None and existing != dimensions:
            raise ValueError(f"collection {collection} holds {existing}-d vectors, not {dimensions}-d")
        index = _index_name(collection)
        with connection.cursor() as cursor:
            # Look first: CREATE INDEX, even IF NOT EXISTS, fails in a transaction that already
            # inserted rows (Django's foreign keys are deferred), and the check is cheap.
            cursor.execute(
                "SELECT 1 FROM pg_indexes WHERE tablename = 'pgvector_embeddings' AND indexname = %s", [index]
            )
            if cursor.fetchone() is None:
                # Deferred FK checks pending in this transaction would block the DDL; run them now.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                _create_index(cursor, collection, client_id, dimensions, _count(cursor, collection, client_id))
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        self._dimensions[collection] = dimensions

    def tune_collection(self, collection: str, *, client_id: int) -> tuple[int, int] | None:
        """Rebuild the collection's index with the build parameters of its current size when they
        differ from the ones it was built with (an index made for an empty collection is too
        narrow at 280k points). Returns the new (m, ef_construction), or None when unchanged.
        Building after the rows is also far faster than growing the graph row by row."""
        dims = self._dims(_checked(collection))
        if dims is None:
            return None
        index = _index_name(collection)
        with transaction.atomic(), connection.cursor() as cursor:
            points = _count(cursor, collection, client_id)
            m, efc, _ = _tier(points)
            cursor.execute("SELECT reloptions FROM pg_class WHERE relname = %s", [index])
            row = cursor.fetchone()
            if row is not None and {f"m={m}", f"ef_construction={efc}"} <= set(row[0] or []):
                return None
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # pending FK checks would block the DDL
            cursor.execute(sql.SQL("SET LOCAL maintenance_work_mem = {}").format(sql.Literal(BUILD_MEMORY)))
            cursor.execute(sql.SQL("DROP INDEX IF EXISTS {}").format(sql.Identifier(index)))
            _create_index(cursor, collection, client_id, dims, points)
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        _ef_by_index.pop(index, None)
        return m, efc

    def upsert(self, collection: str, points: list[VectorPoint]) -> None:
        if not points:
            return
        _checked(collection)
        # A point given twice in one batch: the last wins (ON CONFLICT may touch a row only once).
        latest = {p.point_id: p for p in points}
        _binary_vectors()
        with transaction.atomic(), connection.cursor() as cursor:
            # Session-local and emptied on commit; emptied here too, in case an outer transaction
            # (a test's) spans several upserts.
            cursor.execute(
                "CREATE TEMP TABLE IF NOT EXISTS pgv_upsert (LIKE pgvector_embeddings INCLUDING DEFAULTS) "
                "ON COMMIT DELETE ROWS"
            )
            cursor.execute("TRUNCATE pgv_upsert")
            columns = sql.SQL(", ").join(map(sql.Identifier, _COLUMNS))
            copy_sql = sql.SQL("COPY pgv_upsert ({}) FROM STDIN WITH (FORMAT BINARY)").format(columns)
            with cursor.cursor.copy(copy_sql) as copy:
                copy.set_types(_TYPES)
                for p in latest.values():
                    copy.write_row(
                        (
                            uuid.UUID(str(p.point_id)),
                            collection,
                            p.client_id,
                            p.table_name,
                            p.record_id,
                            p.vector_type,
                            Vector(p.vector),
                            Jsonb(p.payload),
                        )
                    )
            cursor.execute(
                sql.SQL(
                    "INSERT INTO pgvector_embeddings ({columns}) SELECT {columns} FROM pgv_upsert "
                    "ON CONFLICT (point_id) DO UPDATE SET collection = EXCLUDED.collection, "
                    "embedding = EXCLUDED.embedding, payload = EXCLUDED.payload"
                ).format(columns=columns)
            )

    def search(
        self, collection, *, client_id, vector, limit, score_threshold=None, filters=None, exclude_record_ids=None
    ) -> list[SearchHit]:
        dims = self._dims(_checked(collection))
        if dims is None:
            return []
        clauses, params = _where(collection, client_id, filters, exclude_record_ids)
        params.update(query=Vector(vector), limit=limit)
        distance = sql.SQL("embedding::vector({dims}) <=> %(query)s::vector({dims})").format(dims=sql.Literal(dims))
        _binary_vectors()
        with transaction.atomic(), connection.cursor() as cursor:
            if _exact(cursor, collection, client_id):
                query = _exact_query(distance, clauses)
            else:
                query = sql.SQL(
                    "SELECT record_id, table_name, 1 - ({distance}) AS score, payload FROM pgvector_embeddings "
                    "WHERE {where} ORDER BY {distance} LIMIT %(limit)s"
                ).format(distance=distance, where=sql.SQL(" AND ").join(clauses))
                cursor.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
                ef = _ef_search(cursor, collection, limit, filtered=len(clauses) > 1)
                cursor.execute(sql.SQL("SET LOCAL hnsw.ef_search = {}").format(sql.Literal(ef)))
                # pgvector's cost estimate grows with ef_search: at 84k points and ef_search 200 the
                # planner chose the btree and a sort of the whole collection (92 ms instead of 7;
                # bench/vector_search.py). The index path never wants a sort.
                cursor.execute("SET LOCAL enable_sort = off")
            cursor.execute(query, params)
            rows = cursor.fetchall()
        hits = [
            SearchHit(int(r[0]), r[1], float(r[2]), r[3] if isinstance(r[3], dict) else json.loads(r[3])) for r in rows
        ]
        # relaxed_order may return rows slightly out of order; the threshold applies to true scores.
        hits.sort(key=lambda h: h.score, reverse=True)
        return [h for h in hits if score_threshold is None or h.score >= score_threshold]

    def delete(self, collection, *, client_id, point_ids) -> None:
        if point_ids:
            with connection.cursor() as cursor:
                cursor.execute(
                    "DELETE FROM pgvector_embeddings WHERE collection = %s AND client_id = %s AND point_id = ANY(%s)",
                    [collection, client_id, list(point_ids)],
                )

    def point_ids(self, collection, *, client_id) -> set[str]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT point_id FROM pgvector_embeddings WHERE collection = %s AND client_id = %s",
                [collection, client_id],
            )
            return {str(row[0]) for row in cursor.fetchall()}

    def collections(self, *, client_id) -> list[str]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT DISTINCT collection FROM pgvector_embeddings WHERE client_id = %s", [client_id])
            return sorted(row[0] for row in cursor.fetchall())

    def drop_collection(self, collection) -> None:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM pgvector_embeddings WHERE collection = %s", [_checked(collection)])
            cursor.execute(sql.SQL("DROP INDEX IF EXISTS {}").format(sql.Identifier(_index_name(collection))))
        self._dimensions.pop(collection, None)
        _ef_by_index.pop(_index_name(collection), None)
        _large.difference_update({key for key in _large if key[0] == collection})


def _exact(cursor, collection: str, client_id: int) -> bool:
    """Search this collection exactly? Its points are counted (up to EXACT_BELOW) only until it is
    seen to be large: that count took 4 ms a search at 20,000 points (EXPLAIN ANALYZE, loaded machine).
    A large collection that later loses points keeps the index path, which stays correct."""
    key = (collection, int(client_id))
    if key in _large:
        return False
    if _count(cursor, collection, client_id, stop=EXACT_BELOW) < EXACT_BELOW:
        return True
    _large.add(key)
    return False


def _count(cursor, collection: str, client_id: int, stop: int | None = None) -> int:
    """The collection's points, counted up to `stop` (the btree on (collection, client) answers)."""
    limit = sql.SQL("LIMIT {}").format(sql.Literal(stop)) if stop else sql.SQL("")
    cursor.execute(
        sql.SQL(
            "SELECT count(*) FROM (SELECT 1 FROM pgvector_embeddings WHERE collection = %s AND client_id = %s {}) AS c"
        ).format(limit),
        [collection, int(client_id)],
    )
    return cursor.fetchone()[0]


def _create_index(cursor, collection: str, client_id: int, dimensions: int, points: int) -> None:
    m, efc, _ = _tier(points)
    cursor.execute(
        sql.SQL(
            "CREATE INDEX IF NOT EXISTS {index} ON pgvector_embeddings "
            "USING hnsw ((embedding::vector({dims})) vector_cosine_ops) "
            "WITH (m = {m}, ef_construction = {efc}) WHERE collection = {collection} AND client_id = {client}"
        ).format(
            index=sql.Identifier(_index_name(collection)),
            dims=sql.Literal(dimensions),
            m=sql.Literal(m),
            efc=sql.Literal(efc),
            collection=sql.Literal(collection),
            client=sql.Literal(int(client_id)),
        )
    )


def _ef_search(cursor, collection: str, limit: int, *, filtered: bool) -> int:
    """The beam for this query: the tier the index was built for (its ef_construction tells, read
    once per process), at least 2x the rows asked for, doubled when a filter or an exclusion
    drops some of what the graph walk finds."""
    index = _index_name(collection)
    if index not in _ef_by_index:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = %s", [index])
        row = cursor.fetchone()
        options = dict(o.split("=", 1) for o in (row[0] or [])) if row else {}
        built = int(options.get("ef_construction", TIERS[0][2]))
        _ef_by_index[index] = next((ef for _, _, efc, ef in reversed(TIERS) if built >= efc), TIERS[0][3])
    ef = max(_ef_by_index[index], 2 * limit) * (2 if filtered else 1)
    return min(ef, EF_SEARCH_MAX)


def _exact_query(distance, clauses) -> sql.Composed:
    """Every point of the collection, sorted by true distance: the rows are fetched first
    (MATERIALIZED), so the planner cannot answer the ORDER BY from the approximate index."""
    return sql.SQL(
        "WITH c AS MATERIALIZED (SELECT record_id, table_name, payload, {distance} AS d FROM pgvector_embeddings "
        "WHERE {where}) SELECT record_id, table_name, 1 - d AS score, payload FROM c ORDER BY d LIMIT %(limit)s"
    ).format(distance=distance, where=sql.SQL(" AND ").join(clauses))


def readiness_check() -> str:
    """pgvector is installed and its table is there. Runs on a probe thread, whose connection is
    closed here (Django opens one per thread and would keep it)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
            row = cursor.fetchone()
            cursor.execute("SELECT 1 FROM pgvector_embeddings LIMIT 1")
        if row is None:
            raise RuntimeError("the vector extension is not installed")
        return f"pgvector {row[0]}"
    finally:
        connection.close()
