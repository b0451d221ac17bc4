"""The process's Qdrant client: a server at QDRANT_URL, or qdrant-client's embedded mode at QDRANT_PATH.

Embedded mode locks its folder to one process. `make run` therefore starts one process that
owns the folder (`manage.py vector_server`) and points everything else at it with QDRANT_URL,
so web, worker and beat all use the same HTTP code path as production.
"""

from functools import lru_cache

from django.conf import settings
from qdrant_client import QdrantClient


@lru_cache(maxsize=1)
def get_qdrant() -> QdrantClient:
    if settings.QDRANT_URL:
        return QdrantClient(url=settings.QDRANT_URL, api_key=settings.QDRANT_API_KEY or None, timeout=10)
    if settings.QDRANT_PATH == ":memory:":
        return QdrantClient(location=":memory:")
    return QdrantClient(path=settings.QDRANT_PATH)


def store_mode() -> str:
    return "server" if settings.QDRANT_URL else "embedded"


def readiness_check() -> str:
    collections = get_qdrant().get_collections().collections
    return f"qdrant {store_mode()}, {len(collections)} collections"
