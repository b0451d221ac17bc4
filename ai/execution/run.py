"""The loop every provider call runs in: candidates along the fallback chain, each one checked
(dimensions, cooldown, budget), called with retries on transient errors, and recorded in the ledger.

`run_with_fallback` is used by the entry points in `ai.execution.calls`; nothing else calls an
adapter for real work.
"""

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, TypeVar

from django.conf import settings

from ai.execution import observe
from ai.execution.budgets import BudgetExceededError, BudgetStatus, budget_status, is_paid
from ai.execution.cooldown import cooling_down_until, note_failure, note_success
from ai.execution.ledger import call_cost, usage_record
from ai.execution.rows import ResolvedProvider, resolve
from ai.providers.base import BaseProvider, Usage
from ai.providers.catalog import ModelInfo
from ai.providers.errors import AIError, PermanentProviderError, ProviderError, UnknownProviderError
from ai.providers.registry import build_provider
from pulse.core.crypto import redact
from pulse.core.models import Client, Integration

R = TypeVar("R")
MAX_CHAIN = 10
FAILED = object()  # a candidate that did not answer
# What a call does with an adapter: (result, usage, model name the vendor reported).
Call = Callable[[BaseProvider, ModelInfo], tuple[R, Usage, str]]


class AIExecutionError(AIError):
    """Every candidate failed. `errors` lists what happened to each, in order."""

    http_status = 502

    def __init__(self, message: str, errors: list[str]):
        super().__init__(message + (": " + "; ".join(errors) if errors else ""))
        self.errors = errors


@dataclass
class Outcome:
    provider: ResolvedProvider  # the candidate that answered
    attempts: int
    errors: list[str] = field(default_factory=list)
    cost: Decimal | None = None  # USD of the answering call as the ledger has it (None: unknown price)

    @property
    def integration(self) -> Integration:
        return self.provider.integration

    @property
    def info(self) -> ModelInfo:
        return self.provider.info


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


def fallback_chain(integration: Integration) -> list[Integration]:
    chain, seen = [], set()
    current: Integration | None = integration
    while current is not None and current.pk not in seen and len(chain) < MAX_CHAIN:
        seen.add(current.pk)
        if current.active:
            chain.append(current)
        current = current.fallback_integration
    return chain


def _local_embedding_provider(client: Client, dimensions: int | None) -> ResolvedProvider | None:
    for candidate in Integration.objects.for_client(client).filter(
        integration_type=Integration.Type.AI_MODEL, integration_subtype=Integration.Subtype.EMBEDDING, active=True
    ):
        if candidate.provider == "sentence_transformers":
            resolved = resolve(candidate)
            if resolved.info.dimensions == dimensions:
                return resolved
    return None


class _Run:
    """One call's state: what was tried, what failed, the budget (read once, when first needed)."""

    def __init__(
        self,
        *,
        client: Client,
        primary: ResolvedProvider,
        operation: str,
        input_count: int,
        metadata: dict,
        deadline: float | None,
    ) -> None:
        self.client = client
        self.deadline = deadline  # time.monotonic() by which the whole call must be done, or None
        self.primary = primary
        self.operation = operation
        self.input_count = input_count
        self.metadata = metadata
        # Every candidate of an embedding must produce the primary's size: one collection, one size.
        self.dimensions = primary.info.dimensions if operation == "embedding" else None
        self.errors: list[str] = []
        self.attempts = 0
        self.cost: Decimal | None = None
        self._budget: BudgetStatus | None = None

    def record(
        self,
        candidate: ResolvedProvider,
        *,
        usage: Usage,
        cost,
        latency_ms: float,
        model: str = "",
        error: str = "",
        load_ms: float | None = None,
    ) -> None:
        """One ledger row and the call's metrics. `load_ms`: a cold model load before this call,
        kept apart from its latency."""
        metadata = self.metadata if load_ms is None else {**self.metadata, "cold_load_ms": round(load_ms)}
        observe.call_observed(
            client=self.client,
            provider=candidate.integration.provider,
            model=model or candidate.info.name,
            operation=self.operation,
            usage=usage,
            cost=cost,
            latency_ms=latency_ms,
            error=error,
            texts=self.input_count,
        )
        usage_record(
            client=self.client,
            integration=candidate.integration,
            provider=candidate.integration.provider,
            operation=self.operation,
            model_name=model or candidate.info.name,
            input_count=self.input_count,
            usage=usage,
            cost=cost,
            latency_ms=latency_ms,
            success=not error,
            error_class=error,
            metadata=metadata,
        )

    def record_failure(self, candidate: ResolvedProvider, latency_ms: float, error_class: str) -> None:
        # Failed and refused calls are billed nothing by the vendors: cost 0, not unknown.
        self.record(candidate, usage=Usage(), cost=Decimal(0), latency_ms=latency_ms, error=error_class)

    def skip_reason(self, candidate: ResolvedProvider) -> str | None:
        dims = candidate.info.dimensions
        if self.dimensions is not None and dims not in (None, self.dimensions):
            return f"{candidate.name} skipped: {dims} dimensions, {self.primary.name} has {self.dimensions}"
        until = cooling_down_until(candidate.integration)
        if until:
            observe.cooldown_skipped(provider=candidate.integration.provider, operation=self.operation)
            return f"{candidate.name} cooling down for {until - time.time():.0f}s"
        return None

    def budget_substitute(self, candidate: ResolvedProvider) -> ResolvedProvider | None:
        """None when the candidate may be called. Over budget: the tenant's local model of the same
        size for an embedding under `fallback_local`, else BudgetExceededError."""
        if not is_paid(candidate.info):
            return None
        self._budget = self._budget or budget_status(client=self.client)
        if not self._budget.exceeded:
            return None
        message = f"The {self._budget.exceeded} AI budget is used up; {candidate.name} was not called."
        self.record_failure(candidate, 0, "BudgetExceeded")
        fallback_local = self._budget.action == "fallback_local"
        local = None
        if fallback_local and self.operation == "embedding":
            local = _local_embedding_provider(self.client, self.dimensions or candidate.info.dimensions)
        if local is None:
            reason = " and no local model with the same dimensions can take over" if fallback_local else ""
            raise BudgetExceededError(message + reason, action=self._budget.action)
        self.errors.append(message + f" Falling back to {local.name}.")
        return local

    def remaining(self) -> float | None:
        return None if self.deadline is None else self.deadline - time.monotonic()

    def adapter(self, candidate: ResolvedProvider) -> BaseProvider:
        """The candidate's adapter, its timeout capped by what is left of the call's deadline."""
        config = candidate.config
        if (left := self.remaining()) is not None:
            config = replace(config, timeout=max(1.0, min(config.timeout, left)))
        return build_provider(config)

    def call_with_retries(self, candidate: ResolvedProvider, adapter: BaseProvider, call: Call) -> Any:
        """The candidate's result, or FAILED once its retries are spent (or the error is permanent,
        or the deadline has passed)."""
        retries = int(
            (candidate.integration.performance_config or {}).get("max_retries", _setting("AI_MAX_RETRIES", 2))
        )
        load_ms = None
        for attempt in range(retries + 1):
            if (left := self.remaining()) is not None and left <= 0:
                self.errors.append(f"{candidate.name}: not tried, the request's time is up")
                return FAILED
            if attempt == 0:  # after the deadline check, as the load was when it happened inside the call
                load_ms = self.warm_up(adapter)
            self.attempts += 1
            started = time.perf_counter()
            try:
                result, usage, model_name = call(adapter, candidate.info)
            except ProviderError as exc:
                self.record(
                    candidate,
                    usage=Usage(),
                    cost=Decimal(0),
                    latency_ms=(time.perf_counter() - started) * 1000,
                    error=type(exc).__name__,
                    load_ms=load_ms,
                )
                load_ms = None
                self.errors.append(redact(f"{candidate.name}: {exc}", candidate.integration.credentials.values()))
                wait = None if exc.permanent or attempt >= retries else _backoff(attempt, exc.retry_after)
                left = self.remaining()
                if wait is None or (left is not None and wait >= left):
                    return FAILED
                time.sleep(wait)
                continue
            latency = (time.perf_counter() - started) * 1000
            cost = self.cost = _cost(adapter, candidate.info, usage, model_name)
            self.record(candidate, usage=usage, cost=cost, latency_ms=latency, model=model_name, load_ms=load_ms)
            note_success(candidate.integration)
            if cost:
                observe.budget_watch(client=self.client)
            return result
        return FAILED

    def warm_up(self, adapter: BaseProvider) -> float | None:
        """Milliseconds a cold model load took before the first call, or None (nothing to load).
        A load that fails is left to the call, which fails the same way and is recorded."""
        started = time.perf_counter()
        try:
            cold = adapter.warm_up()
        except ProviderError:
            return None
        if not cold:
            return None
        seconds = time.perf_counter() - started
        observe.model_loaded(provider=adapter.key, model=adapter.config.model, seconds=seconds)
        return seconds * 1000


def _cost(adapter: BaseProvider, info: ModelInfo, usage: Usage, model_name: str) -> Decimal | None:
    """The catalog's price, else the gateway's own price for the call, else unknown (None)."""
    cost = call_cost(info, usage)
    if cost is None and hasattr(adapter, "spend_calculate"):
        try:
            return adapter.spend_calculate(
                model=model_name or info.name, input_tokens=usage.input_tokens, output_tokens=usage.output_tokens
            )
        except ProviderError:
            return None
    return cost


def run_with_fallback(
    *,
    client: Client,
    provider: ResolvedProvider,
    operation: str,
    input_count: int,
    call: Call,
    metadata: dict[str, Any],
    max_seconds: float | None = None,
) -> tuple[Any, Outcome]:
    """Try `provider`, then its fallbacks, until one answers; raise AIExecutionError if none does.
    `max_seconds` bounds the whole call, retries and fallbacks included (a web request's budget)."""
    if provider.integration.client_id != client.pk:
        raise PermanentProviderError("The integration does not belong to this tenant.")
    deadline = None if max_seconds is None else time.monotonic() + max_seconds
    run = _Run(
        client=client,
        primary=provider,
        operation=operation,
        input_count=input_count,
        metadata=metadata,
        deadline=deadline,
    )
    chain = fallback_chain(provider.integration)
    queue = [provider if row.pk == provider.integration.pk else row for row in chain]
    while queue:
        head = queue.pop(0)
        candidate = head if isinstance(head, ResolvedProvider) else resolve(head)  # fallbacks: when reached
        if reason := run.skip_reason(candidate):
            run.errors.append(reason)
            continue
        if substitute := run.budget_substitute(candidate):
            queue.insert(0, substitute)
            continue
        try:
            adapter = run.adapter(candidate)
        except UnknownProviderError as exc:
            run.errors.append(f"{candidate.name}: {exc}")
            continue
        result = run.call_with_retries(candidate, adapter, call)
        if result is not FAILED:
            if candidate.integration.pk != provider.integration.pk:
                observe.fallback_used(client=client, operation=operation, primary=provider, answered=candidate)
            return result, Outcome(provider=candidate, attempts=run.attempts, errors=run.errors, cost=run.cost)
        note_failure(candidate.integration)
    raise AIExecutionError(f"No AI provider could complete the {operation}", run.errors)
