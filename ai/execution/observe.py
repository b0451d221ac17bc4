"""What the execution path tells the operator: Prometheus metrics of every provider call, and the
alerts it raises (a budget past its warning share). Called from the one call loop (`run`) and the
cooldown, never from the adapters."""

from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from ai.execution.budgets import budget_status
from ai.providers.base import Usage
from pulse.core import metrics
from pulse.core.alerts import alert_raise
from pulse.core.models import Alert, Client


def call_observed(
    *,
    client: Client,
    provider: str,
    model: str,
    operation: str,
    usage: Usage,
    cost: Decimal | None,
    latency_ms: float,
    error: str,
    texts: int,
) -> None:
    """One provider call (or refusal) in the metrics: calls, errors, tokens, cost, latency and,
    for a successful embedding, the texts embedded."""
    labels = (provider, model, operation, metrics.tenant_label(client))
    outcome = "error" if error else "success"
    metrics.AI_CALLS.labels(*labels, outcome).inc()
    if error:
        metrics.AI_ERRORS.labels(*labels, error).inc()
    if usage.input_tokens:
        metrics.AI_TOKENS.labels(*labels, "input").inc(usage.input_tokens)
    if usage.output_tokens:
        metrics.AI_TOKENS.labels(*labels, "output").inc(usage.output_tokens)
    if cost:
        metrics.AI_COST.labels(*labels).inc(float(cost))
    elif cost is None and not error:
        metrics.AI_UNPRICED.labels(*labels).inc()
    if latency_ms or not error:  # a refusal before any call (budget) has no latency to tell
        metrics.AI_SECONDS.labels(*labels, outcome).observe(latency_ms / 1000)
    if operation == "embedding" and not error:
        metrics.EMBEDDINGS.labels(provider, model, labels[3]).inc(texts)


def model_loaded(*, provider: str, model: str, seconds: float) -> None:
    metrics.AI_MODEL_LOAD_SECONDS.labels(provider, model).observe(seconds)


def fallback_used(*, client: Client, operation: str, primary, answered) -> None:
    metrics.AI_FALLBACKS.labels(
        operation, primary.integration.provider, answered.integration.provider, metrics.tenant_label(client)
    ).inc()


def cooldown_skipped(*, provider: str, operation: str) -> None:
    metrics.AI_COOLDOWN_SKIPS.labels(provider, operation).inc()


def budget_watch(*, client: Client) -> None:
    """After a priced call: a limit past PULSE_ALERT_BUDGET_PERCENT of itself opens an alert, one
    per limit and period (today, this month)."""
    status = budget_status(client=client)
    share = Decimal(settings.PULSE_ALERT_BUDGET_PERCENT) / 100
    now = timezone.now()
    for period, limit, spent, stamp in (
        ("daily", status.daily_limit, status.spent_today, now.strftime("%Y-%m-%d")),
        ("monthly", status.monthly_limit, status.spent_this_month, now.strftime("%Y-%m")),
    ):
        if not limit or spent < limit * share:
            continue
        percent = int(spent / limit * 100)
        then = "paid calls are blocked" if status.action == "block" else "embeddings fall back to a local model"
        alert_raise(
            client=client,
            kind=Alert.Kind.BUDGET,
            key=f"budget:{period}:{stamp}",
            title=f"AI spend is at {percent} % of the {period} budget",
            detail=f"${spent:.4f} of ${limit:.2f} used ({stamp}); once it is reached, {then}.",
        )
