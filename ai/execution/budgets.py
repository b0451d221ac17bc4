"""Tenant cost limits (`client_ai_configuration`, category `cost_limits`): read and set.

    {"daily_usd": 5, "monthly_usd": 100, "action": "block" | "fallback_local"}

Checked before every paid call by the execution path, which every entry point goes through.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, time
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from ai.models import AIUsageTracking, ClientAIConfiguration
from ai.providers.catalog import ModelInfo
from ai.providers.errors import AIError
from pulse.core.models import Client

BUDGET_ACTIONS = ("block", "fallback_local")


class BudgetExceededError(AIError):
    """A paid call was refused because the tenant's budget is used up."""

    http_status = 402
    permanent = True

    def __init__(self, message: str, *, action: str):
        super().__init__(message)
        self.action = action


def is_paid(info: ModelInfo) -> bool:
    # An unknown price counts as paid: budgets must not be bypassed by an unpriced model.
    return info.input_price_per_1k is None or info.input_price_per_1k > 0 or bool(info.output_price_per_1k)


@dataclass(frozen=True)
class BudgetStatus:
    daily_limit: Decimal | None
    monthly_limit: Decimal | None
    spent_today: Decimal
    spent_this_month: Decimal
    action: str

    @property
    def exceeded(self) -> str | None:
        """Which limit is reached ('daily' or 'monthly'), or None."""
        if self.daily_limit is not None and self.spent_today >= self.daily_limit:
            return "daily"
        if self.monthly_limit is not None and self.spent_this_month >= self.monthly_limit:
            return "monthly"
        return None

    @property
    def monthly_remaining(self) -> Decimal | None:
        return None if self.monthly_limit is None else max(self.monthly_limit - self.spent_this_month, Decimal(0))

    @property
    def daily_remaining(self) -> Decimal | None:
        return None if self.daily_limit is None else max(self.daily_limit - self.spent_today, Decimal(0))


def _stored_limit(value) -> Decimal | None:
    return None if value in (None, "") else Decimal(str(value))


def budget_status(*, client: Client, now: datetime | None = None) -> BudgetStatus:
    now = now or timezone.now()
    config = ClientAIConfiguration.objects.for_client(client).configuration_of(
        ClientAIConfiguration.Category.COST_LIMITS
    )
    day_start = datetime.combine(now.astimezone(UTC).date(), time.min, tzinfo=UTC)
    month_start = day_start.replace(day=1)
    rows = AIUsageTracking.objects.for_client(client).filter(cost__isnull=False)
    spent_month = rows.filter(created_at__gte=month_start).aggregate(total=Sum("cost"))["total"] or Decimal(0)
    spent_day = rows.filter(created_at__gte=day_start).aggregate(total=Sum("cost"))["total"] or Decimal(0)
    return BudgetStatus(
        daily_limit=_stored_limit(config.get("daily_usd")),
        monthly_limit=_stored_limit(config.get("monthly_usd")),
        spent_today=spent_day,
        spent_this_month=spent_month,
        action=config.get("action", "block") if config.get("action") in BUDGET_ACTIONS else "block",
    )


def _limit(value, field: str, errors: dict) -> float | None:
    if value in (None, ""):
        return None
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        errors[field] = "Enter an amount in USD, e.g. 5 or 12.50."
        return None
    if not number.is_finite() or number < 0:
        errors[field] = "Enter an amount of 0 or more."
        return None
    return float(number)


def cost_limits_clean(*, daily_usd, monthly_usd, action: str) -> dict:
    """The limits as stored ({"daily_usd", "monthly_usd", "action"}, unset limits left out), or a
    ValidationError naming each bad field."""
    errors: dict[str, str] = {}
    limits = {
        "daily_usd": _limit(daily_usd, "daily_usd", errors),
        "monthly_usd": _limit(monthly_usd, "monthly_usd", errors),
        "action": action,
    }
    if action not in BUDGET_ACTIONS:
        errors["action"] = f"Must be one of: {', '.join(BUDGET_ACTIONS)}."
    daily, monthly = limits["daily_usd"], limits["monthly_usd"]
    if daily is not None and monthly is not None and daily > monthly:
        errors["daily_usd"] = f"The daily limit (${daily:g}) cannot be above the monthly one (${monthly:g})."
    if errors:
        raise ValidationError(errors)
    return {key: value for key, value in limits.items() if value is not None}


@transaction.atomic
def cost_limits_set(*, client: Client, daily_usd, monthly_usd, action: str) -> dict:
    configuration = cost_limits_clean(daily_usd=daily_usd, monthly_usd=monthly_usd, action=action)
    ClientAIConfiguration.objects.update_or_create(
        client=client,
        config_category=ClientAIConfiguration.Category.COST_LIMITS,
        defaults={"configuration": configuration},
    )
    return configuration
