"""The usage ledger: one row per provider call, and the cost of a call."""

from decimal import Decimal

from ai.models import AIUsageTracking
from ai.providers.base import Usage
from ai.providers.catalog import ModelInfo
from pulse.core.models import Client, Integration

_PER_1K = Decimal(1000)


def call_cost(info: ModelInfo, usage: Usage) -> Decimal | None:
    """USD for this usage, or None when a needed price is unknown (never a made-up $0)."""
    if info.input_price_per_1k is None:
        return None
    if usage.output_tokens and info.output_price_per_1k is None:
        return None
    cost = Decimal(str(info.input_price_per_1k)) * usage.input_tokens / _PER_1K
    if usage.output_tokens:
        cost += Decimal(str(info.output_price_per_1k)) * usage.output_tokens / _PER_1K
    return cost.quantize(Decimal("0.00000001"))


def usage_record(
    *,
    client: Client,
    integration: Integration | None,
    provider: str,
    operation: str,
    model_name: str,
    input_count: int,
    usage: Usage,
    cost: Decimal | None,
    latency_ms: float | None,
    success: bool,
    error_class: str = "",
    metadata: dict | None = None,
) -> AIUsageTracking:
    return AIUsageTracking.objects.create(
        client=client,
        integration=integration,
        provider=provider,
        operation=operation,
        model_name=model_name,
        input_count=input_count,
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        total_tokens=usage.total_tokens,
        cost=cost,
        cost_unpriced=success and cost is None,
        latency_ms=None if latency_ms is None else round(latency_ms),
        success=success,
        error_class=error_class,
        request_metadata=metadata or {},
    )
