"""The vector store interface and what every store shares: collection names and point ids."""

import re
import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol

POINT_NAMESPACE = uuid.UUID("6f1c1d0e-5b7a-4c1e-9a51-7c6b8f1d2a90")
_SLUG = re.compile(r"[^a-z0-9]+")


def point_id(*, client_id: int, table_name: str, record_id: int, vector_type: str) -> str:
    """Deterministic, so writing the same record twice updates one point instead of adding one."""
    return str(uuid.uuid5(POINT_NAMESPACE, f"{client_id}/{table_name}/{record_id}/{vector_type}"))


def model_key(*, provider: str, model: str, dimensions: int) -> str:
    return f"{provider}:{model}:{dimensions}"


def collection_name(*, client_id: int, table_name: str, model: str, dimensions: int) -> str:
    """`client_{id}_{table}` as the design notes name it, plus the model: vectors of different
    models (even of equal size) live in different spaces and never share a collection."""
    slug = _SLUG.sub("_", model.lower()).strip("_")[:60]
    return f"client_{client_id}_{table_name}_{slug}_{dimensions}"


@dataclass(frozen=True)
class VectorPoint:
    point_id: str
    client_id: int
    table_name: str
    record_id: int
    vector_type: str
    vector: list[float]
    payload: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SearchHit:
    record_id: int
    table_name: str
    score: float
    payload: dict[str, Any]


class VectorStore(Protocol):
    """Every method takes the tenant: a store filters on it even inside a per-tenant collection."""

    name: str

    def ensure_collection(self, collection: str, *, client_id: int, dimensions: int) -> None: ...

    def upsert(self, collection: str, points: list[VectorPoint]) -> None: ...

    def search(
        self,
        collection: str,
        *,
        client_id: int,
        vector: list[float],
        limit: int,
        score_threshold: float | None = None,
        filters: dict[str, Any] | None = None,
        exclude_record_ids: list[int] | None = None,
    ) -> list[SearchHit]: ...

    def delete(self, collection: str, *, client_id: int, point_ids: list[str]) -> None: ...

    def point_ids(self, collection: str, *, client_id: int) -> set[str]: ...

    def collections(self, *, client_id: int) -> list[str]: ...

    def drop_collection(self, collection: str) -> None: ...
