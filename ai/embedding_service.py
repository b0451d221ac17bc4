"""Texts → vectors for a tenant: routed integration, dedupe by content hash, a per-model cache,
length-sorted batches, and a quality check on every batch."""

import hashlib
from dataclasses import dataclass

import numpy as np

from ai.execution import execute_embedding
from ai.models import EmbeddingCache
from ai.provider_config import model_info_for
from ai.quality import validate_batch
from ai.routing import route_integration
from ai.vectors.base import model_key
from pulse.core.models import Client, Integration

LOCAL_BATCH = 256  # the local model sorts by length inside one call; large calls are cheaper
REMOTE_BATCH = 64


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True)
class ModelIdentity:
    provider: str
    model: str
    dimensions: int

    @property
    def key(self) -> str:
        return model_key(provider=self.provider, model=self.model, dimensions=self.dimensions)


@dataclass
class EmbeddedText:
    text: str
    content_hash: str
    vector: list[float]
    model: ModelIdentity


@dataclass
class EmbeddingRun:
    items: list[EmbeddedText]
    embedded: int  # texts sent to a provider
    cache_hits: int
    errors: list[str]


def active_model(client: Client, integration: Integration | None = None) -> tuple[Integration, ModelIdentity | None]:
    integration = integration or route_integration(client=client, operation="embedding")
    info = model_info_for(integration)
    identity = ModelIdentity(integration.provider, info.name, info.dimensions) if info.dimensions else None
    return integration, identity


def _identity(integration: Integration, dimensions: int) -> ModelIdentity:
    return ModelIdentity(integration.provider, model_info_for(integration).name, dimensions)


def embed_texts(
    *, client: Client, texts: list[str], integration: Integration | None = None, job_size: int | None = None
) -> EmbeddingRun:
    """Vectors for `texts`, in order. Raises (AIExecutionError, EmbeddingQualityError,
    BudgetExceededError) rather than return anything made up."""
    integration = integration or route_integration(
        client=client, operation="embedding", job_size=job_size or len(texts)
    )
    _, identity = active_model(client, integration)
    hashes = [content_hash(text) for text in texts]
    unique = dict(zip(hashes, texts, strict=True))
    found: dict[str, tuple[list[float], ModelIdentity]] = {}
    if identity:
        for row in EmbeddingCache.objects.for_client(client).filter(
            model_key=identity.key, content_hash__in=list(unique)
        ):
            found[row.content_hash] = (np.frombuffer(bytes(row.vector), dtype="<f4").tolist(), identity)
    cache_hits = sum(1 for h in hashes if h in found)
    missing = sorted((h for h in unique if h not in found), key=lambda h: len(unique[h]))
    size = LOCAL_BATCH if integration.provider == "sentence_transformers" else REMOTE_BATCH
    size = int((integration.performance_config or {}).get("request_batch_size") or size)
    errors: list[str] = []
    for start in range(0, len(missing), size):
        batch = missing[start : start + size]
        outcome = execute_embedding(client=client, integration=integration, texts=[unique[h] for h in batch])
        validate_batch(outcome.vectors, expected_dimensions=identity.dimensions if identity else None)
        errors.extend(outcome.errors)
        # A fallback model (same dimensions, different space) is recorded as what it is.
        produced = _identity(outcome.integration, outcome.dimensions)
        EmbeddingCache.objects.bulk_create(
            [
                EmbeddingCache(
                    client=client,
                    model_key=produced.key,
                    content_hash=h,
                    dimensions=produced.dimensions,
                    vector=np.asarray(v, dtype="<f4").tobytes(),
                )
                for h, v in zip(batch, outcome.vectors, strict=True)
            ],
            ignore_conflicts=True,
        )
        for h, vector in zip(batch, outcome.vectors, strict=True):
            found[h] = (vector, produced)
    items = [EmbeddedText(text, h, found[h][0], found[h][1]) for text, h in zip(texts, hashes, strict=True)]
    return EmbeddingRun(items=items, embedded=len(missing), cache_hits=cache_hits, errors=errors)
