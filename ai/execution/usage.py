"""Reads of the usage ledger: totals, daily series and budget for a range; latency and errors per model."""

from datetime import timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import Aggregate, Avg, Count, FloatField, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from ai.execution.budgets import budget_status
from ai.models import AIUsageTracking
from pulse.core.models import Client

RANGES = {"1d": 1, "7d": 7, "30d": 30, "90d": 90}


def _aggregates() -> dict:
    # Named *_sum where a plain name would shadow the model field in the filters beside it.
    return {
        "requests": Count("id"),
        "failures": Count("id", filter=Q(success=False)),
        "input_tokens_sum": Sum("input_tokens"),
        "output_tokens_sum": Sum("output_tokens"),
        "total_tokens_sum": Sum("total_tokens"),
        "cost_sum": Sum("cost"),
        "priced_requests": Count("id", filter=Q(cost__isnull=False)),
        "unpriced_requests": Count("id", filter=Q(cost_unpriced=True)),
    }


def _clean(totals: dict) -> dict:
    out = {key.removesuffix("_sum"): (value or 0) for key, value in totals.items()}
    out["cost"] = Decimal(out["cost"])
    priced = out.pop("priced_requests")
    # The average covers calls with a known price only: unpriced calls are counted, not guessed.
    out["average_cost_per_request"] = (out["cost"] / priced).quantize(Decimal("0.00000001")) if priced else None
    return out


def usage_summary(*, client: Client, range_key: str) -> dict:
    days = RANGES[range_key]
    now = timezone.now()
    since = now - timedelta(days=days)
    rows = AIUsageTracking.objects.for_client(client).filter(created_at__gte=since)
    totals = _clean(rows.aggregate(**_aggregates()))
    providers = [
        {"provider": row.pop("provider"), **_clean(row)}
        for row in rows.values("provider").annotate(**_aggregates()).order_by("provider")
    ]
    by_day = {
        row["day"]: row
        for row in rows.annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(requests=Count("id"), total_tokens_sum=Sum("total_tokens"), cost_sum=Sum("cost"))
    }
    daily = []
    for offset in range(days, -1, -1):
        day = (now - timedelta(days=offset)).date()
        row = by_day.get(day, {})
        daily.append(
            {
                "date": day,
                "requests": row.get("requests", 0),
                "total_tokens": row.get("total_tokens_sum") or 0,
                "cost": Decimal(row.get("cost_sum") or 0),
            }
        )
    budget = budget_status(client=client, now=now)
    return {
        "range": range_key,
        "since": since,
        "until": now,
        "totals": totals,
        "providers": providers,
        "daily": daily,
        "budget": {
            "daily_limit": budget.daily_limit,
            "monthly_limit": budget.monthly_limit,
            "spent_today": budget.spent_today,
            "spent_this_month": budget.spent_this_month,
            "daily_remaining": budget.daily_remaining,
            "monthly_remaining": budget.monthly_remaining,
            "action": budget.action,
            "exceeded": budget.exceeded,
        },
    }


class _Percentile(Aggregate):
    """PostgreSQL's ordered-set percentile_cont(fraction) WITHIN GROUP (ORDER BY expression)."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=float(fraction), **extra)


def _python_percentile(values: list[float], fraction: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    position = (len(values) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(values) - 1)
    return values[low] + (values[high] - values[low]) * (position - low)


def provider_latency_stats(*, client: Client, range_key: str) -> list[dict]:
    """Per provider and model: calls, error rate, latency p50/p95 (ms) from the ledger, and apart
    from them the cold model loads (how many, their median): a 20 s first load of a local model is
    not what a call costs."""
    since = timezone.now() - timedelta(days=RANGES[range_key])
    rows = AIUsageTracking.objects.for_client(client).filter(created_at__gte=since)
    aggregates = {
        "requests": Count("id"),
        "failures": Count("id", filter=Q(success=False)),
        "mean_ms": Avg("latency_ms"),
        "cold_loads": Count("id", filter=Q(request_metadata__has_key="cold_load_ms")),
    }
    postgres = connection.vendor == "postgresql"
    if postgres:  # computed in the database; elsewhere (SQLite) from the values below
        aggregates |= {"p50_ms": _Percentile("latency_ms", 0.5), "p95_ms": _Percentile("latency_ms", 0.95)}
    stats = list(rows.values("provider", "model_name").annotate(**aggregates).order_by("provider", "model_name"))
    for row in stats:
        if not postgres:
            values = list(
                rows.filter(
                    provider=row["provider"], model_name=row["model_name"], latency_ms__isnull=False
                ).values_list("latency_ms", flat=True)
            )
            row["p50_ms"] = _python_percentile(values, 0.5)
            row["p95_ms"] = _python_percentile(values, 0.95)
        row["error_rate"] = row["failures"] / row["requests"] if row["requests"] else 0.0
        row["load_p50_ms"] = _load_median(rows, row) if row["cold_loads"] else None
    return stats


def _load_median(rows, row: dict) -> float | None:
    loads = rows.filter(
        provider=row["provider"], model_name=row["model_name"], request_metadata__has_key="cold_load_ms"
    ).values_list("request_metadata__cold_load_ms", flat=True)
    return _python_percentile([float(value) for value in loads if value is not None], 0.5)
