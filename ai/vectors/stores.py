"""The deployment's vector store (`VECTOR_STORE=qdrant|pgvector`)."""

from django.conf import settings

from ai.vectors.base import VectorStore

STORES = ("qdrant", "pgvector")


def get_vector_store(name: str | None = None) -> VectorStore:
    name = name or settings.VECTOR_STORE
    if name == "qdrant":
        from ai.vectors.qdrant_store import QdrantStore

        return QdrantStore()
    if name == "pgvector":
        from ai.vectors.pgvector_store import PgVectorStore

        return PgVectorStore()
    raise ValueError(f"VECTOR_STORE must be one of {', '.join(STORES)}, not {name!r}")
