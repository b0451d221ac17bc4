"""The one execution path around every provider call: `execute_embedding` and `execute_generation`.

They add, once for all adapters: routing when no provider is given, budget checks before paid
calls, input truncation to the model's token limit, timeouts (in the adapters' clients), retries
with exponential backoff and jitter on transient errors only (honouring Retry-After), fallback
along `fallback_integration`, a cooldown for an integration that keeps failing, validation of
every vector, and one ledger row per call. A failed call never returns a made-up or zero vector:
it raises an `AIError`.

Which embed to call: `execute_embedding` is one uncached provider call (the API's and the hub's
"embed this text"); `ai.vectors.embedding.embed_texts` is for vectors that get stored or searched
(content-hash cache, batch quality check), and it calls `execute_embedding`.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from ai.execution.routing import route_integration
from ai.execution.rows import ResolvedProvider, resolve
from ai.execution.run import Outcome, run_with_fallback
from ai.providers.base import BaseProvider, EmbeddingResult, GenerationResult, TextSink, Usage
from ai.providers.catalog import ModelInfo
from ai.providers.errors import DimensionMismatchError, PermanentProviderError
from ai.providers.registry import build_provider
from pulse.core.models import Client, Integration


@dataclass
class EmbeddingOutcome(Outcome):
    vectors: list[list[float]] = field(default_factory=list)

    @property
    def model(self) -> str:
        return self.info.name

    @property
    def dimensions(self) -> int:
        return len(self.vectors[0]) if self.vectors else (self.info.dimensions or 0)


@dataclass
class GenerationOutcome(Outcome):
    text: str = ""
    model: str = ""
    usage: Usage = field(default_factory=Usage)


def checked_vectors(vectors: list[list[float]], count: int, dimensions: int | None, provider: str) -> list[list[float]]:
    """The contract every embedding call must meet before anyone sees its vectors: one vector per
    text, all of one size (the model's, when known), none zero, NaN or infinite."""
    if len(vectors) != count:
        raise PermanentProviderError(f"{provider}: returned {len(vectors)} vectors for {count} texts")
    sizes = {len(vector) for vector in vectors}
    if len(sizes) > 1 or (dimensions is not None and sizes != {dimensions}):
        found = ", ".join(str(size) for size in sorted(sizes))
        raise DimensionMismatchError(f"{provider}: returned {found} dimensions, expected {dimensions or 'one size'}")
    norms = np.linalg.norm(np.asarray(vectors, dtype=np.float64), axis=1)
    if not np.isfinite(norms).all() or (norms == 0.0).any():
        raise PermanentProviderError(f"{provider}: returned a zero or non-finite vector")
    return vectors


def _truncate(adapter: BaseProvider, info: ModelInfo, texts: list[str]) -> tuple[list[str], int]:
    limit = info.max_tokens
    if not limit or adapter.key == "sentence_transformers":
        # Local models truncate to their own max_seq_length with their own tokenizer.
        return texts, 0
    out, truncated = [], 0
    for text in texts:
        if adapter.count_tokens(text) > limit:
            text = adapter.truncate(text, limit)
            truncated += 1
        out.append(text)
    return out, truncated


def _chosen(
    client: Client, integration: Integration | None, provider: ResolvedProvider | None, operation: str, job_size: int
) -> ResolvedProvider:
    if provider is not None:
        return provider
    return resolve(integration or route_integration(client=client, operation=operation, job_size=job_size))


def execute_embedding(
    *,
    client: Client,
    texts: list[str],
    integration: Integration | None = None,
    provider: ResolvedProvider | None = None,
    job_size: int | None = None,
    metadata: dict | None = None,
    max_seconds: float | None = None,
) -> EmbeddingOutcome:
    """Vectors for `texts` from `provider` (already resolved), or `integration`, or the tenant's
    routed embedding model, with fallback to providers of the same dimensions. A web request
    passes `max_seconds`, so it can never wait on providers past its own time."""
    if not texts:
        raise ValueError("execute_embedding needs at least one text")
    primary = _chosen(client, integration, provider, "embedding", job_size or len(texts))
    metadata = dict(metadata or {})

    def call(adapter: BaseProvider, info: ModelInfo):
        prepared, truncated = _truncate(adapter, info, texts)
        if truncated:
            metadata["truncated"] = truncated
        result: EmbeddingResult = adapter.embed(prepared)
        vectors = checked_vectors(result.vectors, len(texts), info.dimensions, adapter.key)
        return vectors, result.usage, result.model

    vectors, outcome = run_with_fallback(
        client=client,
        provider=primary,
        operation="embedding",
        input_count=len(texts),
        call=call,
        metadata=metadata,
        max_seconds=max_seconds,
    )
    return EmbeddingOutcome(**vars(outcome), vectors=vectors)


def execute_generation(
    *,
    client: Client,
    messages: list[dict[str, str]],
    integration: Integration | None = None,
    params: dict | None = None,
    operation: str = "text_generation",
    metadata: dict | None = None,
    max_seconds: float | None = None,
    on_text: TextSink | None = None,
) -> GenerationOutcome:
    """A reply from `integration` (or the routed model), with fallback along its chain. `on_text`
    receives the text as it streams (a fallback's attempt streams again from its start)."""
    primary = _chosen(client, integration, None, operation, 1)

    def call(adapter: BaseProvider, info: ModelInfo):
        result: GenerationResult = adapter.generate(messages, params, on_text)
        return result, result.usage, result.model

    result, outcome = run_with_fallback(
        client=client,
        provider=primary,
        operation=operation,
        input_count=len(messages),
        call=call,
        metadata=dict(metadata or {}),
        max_seconds=max_seconds,
    )
    return GenerationOutcome(**vars(outcome), text=result.text, model=result.model, usage=result.usage)


def token_counter(integration: Integration) -> tuple[Callable[[str], int], int | None]:
    """The model's own token counter (the adapter's: exact locally, cl100k for remote models) and its
    context size, for callers that fit a prompt to the model (the Q&A agent's sources)."""
    resolved = resolve(integration)
    return build_provider(resolved.config).count_tokens, resolved.info.max_tokens
