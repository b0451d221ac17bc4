"""The one execution path around every provider call.

Every embed and generate in Pulse goes through `execute_embedding` / `execute_generation`, which
add, once for all adapters: budget checks before paid calls, input truncation to the model's
token limit, timeouts (in the adapters' clients), retries with exponential backoff and jitter on
transient errors only (honouring Retry-After), fallback along `fallback_integration`, a cooldown
for an integration that keeps failing, output validation, and one ledger row per call.
A failed call never returns a made-up or zero vector: it raises.
"""

import logging
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache

from ai.budgets import BudgetExceededError, budget_status
from ai.ledger import call_cost, usage_record
from ai.provider_config import model_info_for, provider_config_for
from ai.providers.base import (
    BaseProvider,
    EmbeddingResult,
    GenerationResult,
    ModelInfo,
    PermanentProviderError,
    ProviderError,
    Usage,
)
from ai.providers.registry import UnknownProviderError, build_provider
from pulse.core.models import Client, Integration

logger = logging.getLogger(__name__)
R = TypeVar("R")

MAX_CHAIN = 10


class AIExecutionError(Exception):
    """Every candidate failed. `errors` lists what happened to each, in order."""

    http_status = 502

    def __init__(self, message: str, errors: list[str]):
        super().__init__(message + (": " + "; ".join(errors) if errors else ""))
        self.errors = errors


class DimensionMismatchError(PermanentProviderError):
    pass


@dataclass
class Outcome:
    integration: Integration
    info: ModelInfo
    attempts: int
    errors: list[str] = field(default_factory=list)


@dataclass
class EmbeddingOutcome(Outcome):
    vectors: list[list[float]] = field(default_factory=list)
    model: str = ""

    @property
    def dimensions(self) -> int:
        return len(self.vectors[0]) if self.vectors else (self.info.dimensions or 0)


@dataclass
class GenerationOutcome(Outcome):
    text: str = ""
    model: str = ""
    usage: Usage = field(default_factory=Usage)


# ---- settings -------------------------------------------------------------------------------


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


def _backoff(attempt: int, retry_after: float | None) -> float | None:
    """Seconds to wait before attempt `attempt + 1`, or None when waiting is not worth it."""
    base = _setting("AI_RETRY_BASE_SECONDS", 0.5)
    delay = min(base * (2**attempt), _setting("AI_RETRY_MAX_SECONDS", 20.0))
    delay += random.uniform(0, delay / 2)  # jitter: callers that failed together retry apart
    if retry_after is not None:
        if retry_after > _setting("AI_RETRY_AFTER_CAP_SECONDS", 30.0):
            return None  # the provider asks for a long wait: fall back instead of blocking
        delay = max(delay, retry_after)
    return delay


# ---- cooldown -------------------------------------------------------------------------------


def _cooldown_key(integration: Integration) -> str:
    return f"ai:cooldown:{integration.pk}"


def _failures_key(integration: Integration) -> str:
    return f"ai:failures:{integration.pk}"


def cooling_down_until(integration: Integration) -> float | None:
    until = cache.get(_cooldown_key(integration))
    return until if until and until > time.time() else None


def _note_failure(integration: Integration) -> None:
    key = _failures_key(integration)
    failures = (cache.get(key) or 0) + 1
    cache.set(key, failures, timeout=600)
    if failures >= int(_setting("AI_COOLDOWN_FAILURES", 3)):
        seconds = _setting("AI_COOLDOWN_SECONDS", 60)
        cache.set(_cooldown_key(integration), time.time() + seconds, timeout=int(seconds) + 1)
        cache.delete(key)
        logger.warning("integration %s cools down for %.0fs after %d failures", integration.pk, seconds, failures)


def _note_success(integration: Integration) -> None:
    cache.delete(_failures_key(integration))


# ---- chain ----------------------------------------------------------------------------------


def fallback_chain(integration: Integration) -> list[Integration]:
    chain, seen = [], set()
    current: Integration | None = integration
    while current is not None and current.pk not in seen and len(chain) < MAX_CHAIN:
        seen.add(current.pk)
        if current.active:
            chain.append(current)
        current = current.fallback_integration
    return chain


def is_paid(info: ModelInfo) -> bool:
    # An unknown price counts as paid: budgets must not be bypassed by an unpriced model.
    return info.input_price_per_1k is None or info.input_price_per_1k > 0 or bool(info.output_price_per_1k)


def _local_embedding_integration(client: Client, dimensions: int | None) -> Integration | None:
    for candidate in Integration.objects.for_client(client).filter(
        integration_type=Integration.Type.AI_MODEL, integration_subtype=Integration.Subtype.EMBEDDING, active=True
    ):
        if candidate.provider == "sentence_transformers" and model_info_for(candidate).dimensions == dimensions:
            return candidate
    return None


def _run(
    *,
    client: Client,
    integration: Integration,
    operation: str,
    input_count: int,
    call: Callable[[BaseProvider, ModelInfo], tuple[R, Usage, str]],
    metadata: dict[str, Any],
    expect_dimensions: int | None = None,
) -> tuple[R, Outcome]:
    if integration.client_id != client.pk:
        raise PermanentProviderError("The integration does not belong to this tenant.")
    errors: list[str] = []
    attempts_total = 0
    chain = fallback_chain(integration)

    def record_failure(candidate: Integration, info: ModelInfo, latency_ms: float, error_class: str) -> None:
        # Failed and refused calls are billed nothing by the vendors: cost 0, not unknown.
        usage_record(
            client=client,
            integration=candidate,
            provider=candidate.provider,
            operation=operation,
            model_name=info.name,
            input_count=input_count,
            usage=Usage(),
            cost=Decimal(0),
            latency_ms=latency_ms,
            success=False,
            error_class=error_class,
            metadata=metadata,
        )

    budget = None
    index = 0
    while index < len(chain):
        candidate = chain[index]
        index += 1
        info = model_info_for(candidate)
        if expect_dimensions is not None and info.dimensions not in (None, expect_dimensions):
            errors.append(
                f"{candidate.integration_name} skipped: {info.dimensions} dimensions, "
                f"{chain[0].integration_name} has {expect_dimensions}"
            )
            continue
        until = cooling_down_until(candidate)
        if until:
            errors.append(f"{candidate.integration_name} cooling down for {until - time.time():.0f}s")
            continue
        if is_paid(info):
            budget = budget or budget_status(client=client)
            if budget.exceeded:
                message = f"The {budget.exceeded} AI budget is used up; {candidate.integration_name} was not called."
                record_failure(candidate, info, 0, "BudgetExceeded")
                local = (
                    _local_embedding_integration(client, expect_dimensions or info.dimensions)
                    if budget.action == "fallback_local" and operation == "embedding"
                    else None
                )
                if local is None:
                    reason = (
                        " and no local model with the same dimensions can take over"
                        if budget.action == "fallback_local"
                        else ""
                    )
                    raise BudgetExceededError(message + reason, action=budget.action)
                errors.append(message + f" Falling back to {local.integration_name}.")
                chain.insert(index, local)
                continue
        try:
            provider = build_provider(provider_config_for(candidate))
        except UnknownProviderError as exc:
            errors.append(f"{candidate.integration_name}: {exc}")
            continue
        retries = int((candidate.performance_config or {}).get("max_retries", _setting("AI_MAX_RETRIES", 2)))
        for attempt in range(retries + 1):
            attempts_total += 1
            started = time.perf_counter()
            try:
                result, usage, model_name = call(provider, info)
            except ProviderError as exc:
                record_failure(candidate, info, (time.perf_counter() - started) * 1000, type(exc).__name__)
                errors.append(f"{candidate.integration_name}: {exc}")
                if exc.permanent:
                    break
                wait = _backoff(attempt, exc.retry_after) if attempt < retries else None
                if wait is None:
                    break
                time.sleep(wait)
                continue
            latency = (time.perf_counter() - started) * 1000
            cost = call_cost(info, usage)
            if cost is None and hasattr(provider, "spend_calculate"):
                cost = _gateway_cost(provider, model_name or info.name, usage)
            usage_record(
                client=client,
                integration=candidate,
                provider=candidate.provider,
                operation=operation,
                model_name=model_name or info.name,
                input_count=input_count,
                usage=usage,
                cost=cost,
                latency_ms=latency,
                success=True,
                metadata=metadata,
            )
            _note_success(candidate)
            return result, Outcome(integration=candidate, info=info, attempts=attempts_total, errors=errors)
        _note_failure(candidate)
    raise AIExecutionError(f"No AI provider could complete the {operation}", errors)


def _gateway_cost(provider, model: str, usage: Usage) -> Decimal | None:
    try:
        return provider.spend_calculate(model=model, input_tokens=usage.input_tokens, output_tokens=usage.output_tokens)
    except ProviderError:
        return None


# ---- entry points ---------------------------------------------------------------------------


def _validated(vectors: list[list[float]], count: int, dimensions: int | None, provider: str) -> list[list[float]]:
    if len(vectors) != count:
        raise PermanentProviderError(f"{provider}: returned {len(vectors)} vectors for {count} texts")
    for vector in vectors:
        if dimensions is not None and len(vector) != dimensions:
            raise DimensionMismatchError(f"{provider}: returned {len(vector)} dimensions, expected {dimensions}")
        norm = math.sqrt(sum(x * x for x in vector))
        if not math.isfinite(norm) or norm == 0.0:
            raise PermanentProviderError(f"{provider}: returned a zero or non-finite vector")
    return vectors


def _truncate(provider: BaseProvider, info: ModelInfo, texts: list[str]) -> tuple[list[str], int]:
    limit = info.max_tokens
    if not limit or provider.key == "sentence_transformers":
        # Local models truncate to their own max_seq_length with their own tokenizer.
        return texts, 0
    out, truncated = [], 0
    for text in texts:
        if provider.count_tokens(text) > limit:
            text = provider.truncate(text, limit)
            truncated += 1
        out.append(text)
    return out, truncated


def execute_embedding(
    *, client: Client, integration: Integration, texts: list[str], metadata: dict | None = None
) -> EmbeddingOutcome:
    if not texts:
        raise ValueError("execute_embedding needs at least one text")
    primary_dims = model_info_for(integration).dimensions
    metadata = dict(metadata or {})

    def call(provider: BaseProvider, info: ModelInfo):
        prepared, truncated = _truncate(provider, info, texts)
        if truncated:
            metadata["truncated"] = truncated
        result: EmbeddingResult = provider.embed(prepared)
        vectors = _validated(result.vectors, len(texts), info.dimensions, provider.key)
        return vectors, result.usage, result.model

    vectors, outcome = _run(
        client=client,
        integration=integration,
        operation="embedding",
        input_count=len(texts),
        call=call,
        metadata=metadata,
        expect_dimensions=primary_dims,
    )
    return EmbeddingOutcome(**vars(outcome), vectors=vectors, model=outcome.info.name)


def execute_generation(
    *,
    client: Client,
    integration: Integration,
    messages: list[dict[str, str]],
    params: dict | None = None,
    operation: str = "text_generation",
    metadata: dict | None = None,
) -> GenerationOutcome:
    def call(provider: BaseProvider, info: ModelInfo):
        result: GenerationResult = provider.generate(messages, params)
        return result, result.usage, result.model

    result, outcome = _run(
        client=client,
        integration=integration,
        operation=operation,
        input_count=len(messages),
        call=call,
        metadata=dict(metadata or {}),
    )
    return GenerationOutcome(**vars(outcome), text=result.text, model=result.model, usage=result.usage)
