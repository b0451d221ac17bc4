"""pgvector in Pulse's own PostgreSQL: one table, one partial HNSW index per collection.

Each collection (tenant, table, model) gets `CREATE INDEX ... USING hnsw ((embedding::vector(D))
vector_cosine_ops) WHERE collection = '<name>' AND client_id = <id>`. Queries repeat that exact expression and
predicate (the collection as a literal, so the planner can match the partial index) and add the
tenant filter; `hnsw.iterative_scan = relaxed_order` keeps filtered recall high (without it a
selective filter returns fewer rows than asked: see ../shared/research/vector-stores.md).

Vectors travel in pgvector's binary format (the `pgvector` package's psycopg dumper): upserts COPY
the batch into a temporary table and merge it with one INSERT ... ON CONFLICT, in one transaction.
Which collections get an index, with which build parameters and search beams, lives in
`pgvector_index`: small collections have none and are searched exactly, and ingest builds or
rebuilds one when a collection crosses a size tier.
"""

import json
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection, transaction
from pgvector import Vector
from pgvector.psycopg import register_vector
from psycopg import sql
from psycopg.types.json import Jsonb

from ai.vectors.stores import pgvector_index as indexes
from ai.vectors.stores.base import SearchHit, VectorPoint

_SAFE = re.compile(r"^[a-z0-9_]+$")
_COLUMNS = ("point_id", "collection", "client_id", "table_name", "record_id", "vector_type", "embedding", "payload")
_TYPES = ["uuid", "text", "int8", "text", "int8", "text", "vector", "jsonb"]


def _binary_vectors() -> None:
    """Teach this connection pgvector's binary format (once per database connection)."""
    connection.ensure_connection()
    raw = connection.connection
    if raw.adapters.types.get("vector") is None:
        register_vector(raw)


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

    def __init__(self, *, ef_search: int | None = None) -> None:
        """`ef_search` fixes the search beam of every index (bench/pgvector_bulk.py sweeps it to
        choose the tiers' beams); by default each index gets its tier's."""
        if connection.vendor != "postgresql":
            raise RuntimeError("VECTOR_STORE=pgvector needs DATABASE_URL to point at PostgreSQL with pgvector")
        self._dimensions: dict[str, int] = {}
        self._ef_search = ef_search

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
        """Only checks the dimensions: the index comes once the collection is large enough to need
        one (`pgvector_index.after_write`), built for its size instead of grown from empty."""
        existing = self._dims(_checked(collection))
        if existing is not None and existing != dimensions:
            raise ValueError(f"collection {collection} holds {existing}-d vectors, not {dimensions}-d")
        self._dimensions[collection] = dimensions

    def tune_collection(self, collection: str, *, client_id: int) -> tuple[int, int] | None:
        """Give the collection the index its current size calls for: built with its tier's
        parameters, rebuilt when it was built for another tier, dropped below EXACT_BELOW.
        Returns the (m, ef_construction) of an index it built, None when it built none."""
        dims = self._dims(_checked(collection))
        if dims is None:
            return None
        return indexes.fit(collection, client_id, dims)

    @contextmanager
    def bulk_load(self) -> Iterator[None]:
        """Upserts inside maintain no index; each collection written gets its index on the way
        out (`pgvector_index.deferred`). The backfill loads a table this way."""
        with indexes.deferred():
            yield

    def upsert(self, collection: str, points: list[VectorPoint]) -> None:
        if not points:
            return
        _checked(collection)
        # A point given twice in one batch: the last wins (ON CONFLICT may touch a row only once).
        latest = {p.point_id: p for p in points}
        copy_merge(collection, list(latest.values()))
        first = points[0]
        indexes.after_write(collection, first.client_id, len(first.vector), len(latest))

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
            built = indexes.index_params(cursor, collection)
            if built is None:  # a small collection, or a large one whose index is being built
                query = _exact_query(distance, clauses)
            else:
                query = sql.SQL(
                    "SELECT record_id, table_name, 1 - ({distance}) AS score, payload FROM pgvector_embeddings "
                    "WHERE {where} ORDER BY {distance} LIMIT %(limit)s"
                ).format(distance=distance, where=sql.SQL(" AND ").join(clauses))
                cursor.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
                ef = indexes.ef_search(built, limit, filtered=len(clauses) > 1, fixed=self._ef_search)
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
            cursor.execute(sql.SQL("DROP INDEX IF EXISTS {}").format(sql.Identifier(indexes.index_name(collection))))
        self._dimensions.pop(collection, None)
        indexes.forget(collection)


def copy_merge(collection: str, points: list[VectorPoint]) -> None:
    """COPY the points (binary) into a temporary table and merge them with one INSERT ... ON
    CONFLICT, in one transaction; no index upkeep (the upsert does that)."""
    _binary_vectors()  # before the cursor: a psycopg cursor copies the connection's adapters
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
            for p in points:
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
