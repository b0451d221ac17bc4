"""Qdrant: one collection per tenant, table and model; cosine distance, HNSW; every search also
filters on the tenant (two layers of isolation: a forged filter cannot widen the tenant)."""

from typing import Any

from qdrant_client import QdrantClient, models

from ai.vectors.stores.base import SearchHit, VectorPoint
from ai.vectors.stores.qdrant_client import get_qdrant, store_mode

PAYLOAD_INDEXES = {
    "client_id": models.PayloadSchemaType.INTEGER,
    "record_id": models.PayloadSchemaType.INTEGER,
    "table_name": models.PayloadSchemaType.KEYWORD,
    "vector_type": models.PayloadSchemaType.KEYWORD,
}


class QdrantStore:
    name = "qdrant"

    def __init__(self, client: QdrantClient | None = None) -> None:
        self._client = client

    @property
    def client(self) -> QdrantClient:
        return self._client or get_qdrant()

    def ensure_collection(self, collection: str, *, client_id: int, dimensions: int) -> None:
        if self.client.collection_exists(collection):
            existing = self.client.get_collection(collection).config.params.vectors
            size = existing.size if hasattr(existing, "size") else None
            if size != dimensions:
                raise ValueError(f"collection {collection} holds {size}-d vectors, not {dimensions}-d")
            return
        self.client.create_collection(
            collection,
            vectors_config=models.VectorParams(size=dimensions, distance=models.Distance.COSINE),
            hnsw_config=models.HnswConfigDiff(m=16, ef_construct=100),
        )
        if store_mode() == "embedded":
            return  # embedded mode is exact search and ignores payload indexes
        for field, schema in PAYLOAD_INDEXES.items():
            self.client.create_payload_index(collection, field_name=field, field_schema=schema)

    def upsert(self, collection: str, points: list[VectorPoint]) -> None:
        if not points:
            return
        self.client.upsert(
            collection,
            points=[
                models.PointStruct(
                    id=p.point_id,
                    vector=p.vector,
                    payload={
                        **p.payload,
                        "client_id": p.client_id,
                        "table_name": p.table_name,
                        "record_id": p.record_id,
                        "vector_type": p.vector_type,
                    },
                )
                for p in points
            ],
            wait=True,
        )

    @staticmethod
    def _tenant_filter(client_id: int, filters: dict[str, Any] | None, exclude: list[int] | None) -> models.Filter:
        must: list[models.Condition] = [
            models.FieldCondition(key="client_id", match=models.MatchValue(value=client_id))
        ]
        # Filters come checked against the sources' declared fields (ai.vectors.search); the tenant
        # condition above is never one of them, and a filter can only narrow it.
        for key, value in (filters or {}).items():
            match = models.MatchAny(any=value) if isinstance(value, list) else models.MatchValue(value=value)
            must.append(models.FieldCondition(key=key, match=match))
        must_not = [models.FieldCondition(key="record_id", match=models.MatchAny(any=exclude))] if exclude else None
        return models.Filter(must=must, must_not=must_not)

    def search(
        self, collection, *, client_id, vector, limit, score_threshold=None, filters=None, exclude_record_ids=None
    ) -> list[SearchHit]:
        if not self.client.collection_exists(collection):
            return []
        response = self.client.query_points(
            collection,
            query=vector,
            query_filter=self._tenant_filter(client_id, filters, exclude_record_ids),
            limit=limit,
            score_threshold=score_threshold,
            with_payload=True,
            search_params=None if store_mode() == "embedded" else models.SearchParams(hnsw_ef=max(64, limit * 4)),
        )
        hits = []
        for point in response.points:
            payload = point.payload or {}
            if payload.get("client_id") != client_id:  # defence in depth; the filter already excludes these
                continue
            hits.append(SearchHit(int(payload["record_id"]), payload["table_name"], float(point.score), payload))
        return hits

    def delete(self, collection, *, client_id, point_ids) -> None:
        if point_ids and self.client.collection_exists(collection):
            self.client.delete(collection, points_selector=models.PointIdsList(points=point_ids), wait=True)

    def point_ids(self, collection, *, client_id) -> set[str]:
        if not self.client.collection_exists(collection):
            return set()
        ids: set[str] = set()
        offset = None
        tenant = models.Filter(must=[models.FieldCondition(key="client_id", match=models.MatchValue(value=client_id))])
        while True:
            points, offset = self.client.scroll(
                collection, scroll_filter=tenant, limit=1000, offset=offset, with_payload=False
            )
            ids.update(str(p.id) for p in points)
            if offset is None:
                return ids

    def collections(self, *, client_id) -> list[str]:
        prefix = f"client_{client_id}_"
        return sorted(c.name for c in self.client.get_collections().collections if c.name.startswith(prefix))

    def drop_collection(self, collection) -> None:
        self.client.delete_collection(collection)
