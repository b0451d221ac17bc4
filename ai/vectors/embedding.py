"""Texts → vectors for records that get stored or searched: the tenant's embedding model (chosen
once per call and passed down), dedupe by content hash, a per-model cache, length-sorted batches
through the execution path, and a batch-level quality check.

For one uncached provider call ("embed this text") use `ai.execution.calls.execute_embedding`.
"""

import hashlib
from dataclasses import dataclass

import numpy as np

from ai.execution.calls import execute_embedding
from ai.execution.routing import route_integration
from ai.execution.rows import ResolvedProvider, resolve
from ai.models import EmbeddingCache
from ai.providers.registry import build_provider, provider_class
from ai.vectors.quality import validate_batch
from ai.vectors.stores.base import model_key
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


def embedding_provider(client: Client, integration: Integration | None = None) -> ResolvedProvider:
    """The tenant's embedding model (or `integration`), resolved once for a whole store or search.
    No job size: stores and searches of any size must land in the same vector space."""
    return resolve(integration or route_integration(client=client, operation="embedding"))


def identity_of(provider: ResolvedProvider, dimensions: int | None = None) -> ModelIdentity | None:
    """The vector space `provider` writes into; None while its size is unknown (first call tells)."""
    size = dimensions or provider.info.dimensions
    return ModelIdentity(provider.integration.provider, provider.info.name, size) if size else None


def _cached(client: Client, identity: ModelIdentity | None, hashes: list[str]) -> dict[str, list[float]]:
    if identity is None:
        return {}
    rows = EmbeddingCache.objects.for_client(client).filter(model_key=identity.key, content_hash__in=hashes)
    return {row.content_hash: np.frombuffer(bytes(row.vector), dtype="<f4").tolist() for row in rows}


def _cache_store(client: Client, identity: ModelIdentity, hashes: list[str], vectors: list[list[float]]) -> None:
    EmbeddingCache.objects.bulk_create(
        [
            EmbeddingCache(
                client=client,
                model_key=identity.key,
                content_hash=h,
                dimensions=identity.dimensions,
                vector=np.asarray(v, dtype="<f4").tobytes(),
            )
            for h, v in zip(hashes, vectors, strict=True)
        ],
        ignore_conflicts=True,
    )


@dataclass
class _Plan:
    hashes: list[str]
    unique: dict[str, str]  # hash -> text
    found: dict  # hash -> (cached vector, its model)
    missing: list[str]  # uncached hashes, shortest text first
    size: int  # texts per provider call


def _plan(client: Client, texts: list[str], provider: ResolvedProvider) -> _Plan:
    identity = identity_of(provider)
    hashes = [content_hash(text) for text in texts]
    unique = dict(zip(hashes, texts, strict=True))
    found = {h: (vector, identity) for h, vector in _cached(client, identity, list(unique)).items()}
    missing = sorted((h for h in unique if h not in found), key=lambda h: len(unique[h]))
    size = LOCAL_BATCH if provider.integration.provider == "sentence_transformers" else REMOTE_BATCH
    size = int((provider.integration.performance_config or {}).get("request_batch_size") or size)
    return _Plan(hashes, unique, found, missing, size)


def embed_ahead(*, client: Client, texts: list[str], provider: ResolvedProvider) -> _Plan | None:
    """Start encoding the first batch `embed_texts` will send for `texts`, when the provider can
    (a local model: `prefetch`) and it is not cached, so that the caller works meanwhile (hybrid
    search ranks keywords while the query is encoded). Pass the plan it returns to `embed_texts`,
    which then takes the encoding and does not read the cache again."""
    if not hasattr(provider_class(provider.integration.provider), "prefetch"):
        return None
    plan = _plan(client, texts, provider)
    if plan.missing:
        build_provider(provider.config).prefetch([plan.unique[h] for h in plan.missing[: plan.size]])
    return plan


def embed_texts(
    *, client: Client, texts: list[str], provider: ResolvedProvider, plan: _Plan | None = None
) -> EmbeddingRun:
    """Vectors for `texts`, in order. Raises an AIError rather than return anything made up.
    `plan`: what `embed_ahead` returned for the same texts and provider."""
    if plan is None or plan.hashes != [content_hash(text) for text in texts]:
        plan = _plan(client, texts, provider)
    hashes, unique, found, missing, size = plan.hashes, plan.unique, dict(plan.found), plan.missing, plan.size
    cache_hits = sum(1 for h in hashes if h in found)
    errors: list[str] = []
    for start in range(0, len(missing), size):
        batch = missing[start : start + size]
        outcome = execute_embedding(client=client, texts=[unique[h] for h in batch], provider=provider)
        validate_batch(outcome.vectors)
        errors.extend(outcome.errors)
        # A fallback model (same dimensions, different space) is recorded as what it is.
        produced = identity_of(outcome.provider, outcome.dimensions)
        _cache_store(client, produced, batch, outcome.vectors)
        found.update({h: (vector, produced) for h, vector in zip(batch, outcome.vectors, strict=True)})
    items = [EmbeddedText(text, h, *found[h]) for text, h in zip(texts, hashes, strict=True)]
    return EmbeddingRun(items=items, embedded=len(missing), cache_hits=cache_hits, errors=errors)
