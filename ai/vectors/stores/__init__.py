"""The deployment's vector store (`VECTOR_STORE=qdrant|pgvector`): `base` is the interface every
store implements, `qdrant` and `pgvector` the two stores, `qdrant_client` the process's Qdrant
connection and `local_server` the small process that serves the embedded Qdrant to the others."""

from django.conf import settings

from ai.vectors.stores.base import VectorStore
from pulse.core.metrics import TimedStore

STORES = ("qdrant", "pgvector")


def get_vector_store(name: str | None = None) -> VectorStore:
    """The store, its every call timed in the metrics (pulse_vector_store_duration_seconds)."""
    name = name or settings.VECTOR_STORE
    if name == "qdrant":
        from ai.vectors.stores.qdrant import QdrantStore

        return TimedStore(QdrantStore())
    if name == "pgvector":
        from ai.vectors.stores.pgvector import PgVectorStore

        return TimedStore(PgVectorStore())
    raise ValueError(f"VECTOR_STORE must be one of {', '.join(STORES)}, not {name!r}")


def readiness_check() -> str:
    """The configured store answers (never the other one: a pgvector deployment has no Qdrant)."""
    if settings.VECTOR_STORE == "pgvector":
        from ai.vectors.stores.pgvector import readiness_check as pgvector_ready

        return pgvector_ready()
    from ai.vectors.stores.qdrant_client import readiness_check as qdrant_ready

    return qdrant_ready()
