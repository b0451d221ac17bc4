"""pgvector in Pulse's own PostgreSQL: one table, one partial HNSW index per collection.

Each collection (tenant, table, model) gets `CREATE INDEX ... USING hnsw ((embedding::vector(D))
vector_cosine_ops) WHERE collection = '<name>' AND client_id = <id>`. Queries repeat that exact expression and
predicate (the collection as a literal, so the planner can match the partial index) and add the
tenant filter; `hnsw.iterative_scan = relaxed_order` keeps filtered recall high (without it a
selective filter returns fewer rows than asked: see ../shared/research/vector-stores.md).
"""

import hashlib
import json
import re
from typing import Any

from django.db import connection, transaction
from psycopg import sql

from ai.vectors.stores.base import SearchHit, VectorPoint

_SAFE = re.compile(r"^[a-z0-9_]+$")
EF_SEARCH = 100


def _vector_literal(vector: list[float]) -> str:
    return "[" + ",".join(repr(float(x)) for x in vector) + "]"


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
                cursor.execute(
                    sql.SQL(
                        "CREATE INDEX IF NOT EXISTS {index} ON pgvector_embeddings "
                        "USING hnsw ((embedding::vector({dims})) vector_cosine_ops) "
                        "WITH (m = 16, ef_construction = 64) WHERE collection = {collection} AND client_id = {client}"
                    ).format(
                        index=sql.Identifier(index),
                        dims=sql.Literal(dimensions),
                        collection=sql.Literal(collection),
                        client=sql.Literal(int(client_id)),
                    )
                )
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        self._dimensions[collection] = dimensions

    def upsert(self, collection: str, points: list[VectorPoint]) -> None:
        if not points:
            return
        rows = [
            (
                p.point_id,
                _checked(collection),
                p.client_id,
                p.table_name,
                p.record_id,
                p.vector_type,
                _vector_literal(p.vector),
                json.dumps(p.payload),
            )
            for p in points
        ]
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.executemany(
                "INSERT INTO pgvector_embeddings "
                "(point_id, collection, client_id, table_name, record_id, vector_type, embedding, payload) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s::vector, %s::jsonb) "
                "ON CONFLICT (point_id) DO UPDATE SET collection = EXCLUDED.collection, "
                "embedding = EXCLUDED.embedding, payload = EXCLUDED.payload",
                rows,
            )

    def search(
        self, collection, *, client_id, vector, limit, score_threshold=None, filters=None, exclude_record_ids=None
    ) -> list[SearchHit]:
        dims = self._dims(_checked(collection))
        if dims is None:
            return []
        clauses, params = _where(collection, client_id, filters, exclude_record_ids)
        params.update(query=_vector_literal(vector), limit=limit)
        distance = sql.SQL("embedding::vector({dims}) <=> %(query)s::vector({dims})").format(dims=sql.Literal(dims))
        query = sql.SQL(
            "SELECT record_id, table_name, 1 - ({distance}) AS score, payload FROM pgvector_embeddings "
            "WHERE {where} ORDER BY {distance} LIMIT %(limit)s"
        ).format(distance=distance, where=sql.SQL(" AND ").join(clauses))
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL hnsw.iterative_scan = relaxed_order")
            cursor.execute(sql.SQL("SET LOCAL hnsw.ef_search = {}").format(sql.Literal(max(EF_SEARCH, limit * 2))))
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
