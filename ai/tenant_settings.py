"""Tenant AI settings the configuration hub edits: agent preferences, the embedding model, budgets.

Preferences live in `client_ai_preferences` (one row per preference type, as the design notes
lay them out); the embedding choice and the cost limits in `client_ai_configuration`.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from ai.models import ClientAIConfiguration, ClientAIPreferences, QdrantVector
from ai.provider_config import model_info_for
from ai.routing import NoProviderError, models_configuration, route_integration
from ai.vector_sources import vector_sources
from pulse.core.models import Client, Integration

RESPONSE_STYLES = ("concise", "detailed", "technical")
ANALYSIS_DEPTHS = ("basic", "advanced", "expert")
BUDGET_ACTIONS = ("block", "fallback_local")

# The design notes' defaults (phase 3-3, AIAgentConfiguration).
AGENT_DEFAULTS: dict[str, Any] = {
    "question_answering": {
        "primary_model": None,
        "fallback_model": None,
        "response_style": "detailed",
        "confidence_threshold": 0.8,
    },
    "insight_generation": {"analysis_depth": "advanced", "proactive_insights": True, "custom_prompts": []},
}
DASHBOARD_DEFAULTS: dict[str, Any] = {
    "auto_refresh": True,
    "anomaly_detection": True,
    "predictive_analytics": True,
    "narrative_generation": True,
}


def _merged(defaults: dict, stored: dict) -> dict:
    out = {}
    for key, value in defaults.items():
        if isinstance(value, dict):
            out[key] = _merged(value, stored.get(key) or {})
        else:
            out[key] = stored.get(key, value)
    return out


def agent_preferences(*, client: Client) -> dict[str, dict]:
    """{"agent_config": ..., "dashboard_ai": ...} with defaults for anything not stored yet."""
    stored = dict(
        ClientAIPreferences.objects.for_client(client)
        .filter(preference_type__in=("agent_config", "dashboard_ai"))
        .values_list("preference_type", "configuration")
    )
    return {
        "agent_config": _merged(AGENT_DEFAULTS, stored.get("agent_config") or {}),
        "dashboard_ai": _merged(DASHBOARD_DEFAULTS, stored.get("dashboard_ai") or {}),
    }


def _text_model(client: Client, value, field: str) -> int | None:
    if value in (None, ""):
        return None
    integration = Integration.objects.for_client(client).filter(pk=value, integration_type="ai_model").first()
    if integration is None or "text_generation" not in model_info_for(integration).capabilities:
        raise ValidationError({field: "Choose one of your providers that can generate text."})
    return integration.pk


@transaction.atomic
def agent_preferences_set(*, client: Client, agent_config: dict, dashboard_ai: dict) -> dict[str, dict]:
    qa = agent_config.get("question_answering", {})
    insights = agent_config.get("insight_generation", {})
    errors: dict[str, str] = {}
    if qa.get("response_style") not in RESPONSE_STYLES:
        errors["response_style"] = f"Must be one of: {', '.join(RESPONSE_STYLES)}."
    threshold = qa.get("confidence_threshold")
    if not isinstance(threshold, int | float) or not 0 <= threshold <= 1:
        errors["confidence_threshold"] = "Must be a number from 0 to 1."
    if insights.get("analysis_depth") not in ANALYSIS_DEPTHS:
        errors["analysis_depth"] = f"Must be one of: {', '.join(ANALYSIS_DEPTHS)}."
    prompts = insights.get("custom_prompts") or []
    if not isinstance(prompts, list) or not all(isinstance(p, str) and len(p) <= 2000 for p in prompts):
        errors["custom_prompts"] = "One prompt per line, each at most 2,000 characters."
    for field in ("primary_model", "fallback_model"):
        try:
            qa[field] = _text_model(client, qa.get(field), field)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    values = {
        "agent_config": _merged(AGENT_DEFAULTS, agent_config),
        "dashboard_ai": {key: bool(dashboard_ai.get(key)) for key in DASHBOARD_DEFAULTS},
    }
    for preference_type, configuration in values.items():
        ClientAIPreferences.objects.update_or_create(
            client=client, preference_type=preference_type, defaults={"configuration": configuration}
        )
    return values


def current_embedding_integration(*, client: Client) -> Integration | None:
    try:
        return route_integration(client=client, operation="embedding")
    except NoProviderError:
        return None


@dataclass(frozen=True)
class EmbeddingSwitchPlan:
    """What moving the tenant's embeddings to `target` means, said before it happens."""

    current: Integration | None
    target: Integration
    same_model: bool
    dimensions_change: bool
    records: int  # records that need a vector from the target model
    tables: list[dict]
    estimated_tokens: int | None
    estimated_cost: Decimal | None  # None: the price is unknown


def embedding_switch_plan(*, client: Client, target: Integration) -> EmbeddingSwitchPlan:
    current = current_embedding_integration(client=client)
    target_info = model_info_for(target)
    current_info = model_info_for(current) if current else None
    same_model = bool(current and current_info.name == target_info.name and current.provider == target.provider)
    tables = []
    for source in vector_sources():
        total = source.model.objects.for_client(client).count()
        done = (
            QdrantVector.objects.for_client(client)
            .filter(table_name=source.table_name, embedding_model=target_info.name)
            .count()
        )
        tables.append({"table": source.table_name, "records": total, "to_embed": max(total - done, 0)})
    records = sum(t["to_embed"] for t in tables)
    # A rough size: commit messages, issues and PRs average well under 200 tokens after truncation.
    tokens = records * 150 if records else 0
    price = target_info.input_price_per_1k
    cost = None if price is None else (Decimal(str(price)) * tokens / 1000).quantize(Decimal("0.0001"))
    return EmbeddingSwitchPlan(
        current=current,
        target=target,
        same_model=same_model,
        dimensions_change=bool(current_info and current_info.dimensions != target_info.dimensions),
        records=records,
        tables=tables,
        estimated_tokens=tokens,
        estimated_cost=cost,
    )


@transaction.atomic
def embedding_integration_set(*, client: Client, integration: Integration) -> None:
    if integration.client_id != client.pk or "embedding" not in model_info_for(integration).capabilities:
        raise ValidationError({"integration": "Choose one of your embedding providers."})
    if not integration.active:
        raise ValidationError({"integration": f"{integration.integration_name} is paused; activate it first."})
    row, _ = ClientAIConfiguration.objects.select_for_update().get_or_create(
        client=client, config_category=ClientAIConfiguration.Category.MODELS, defaults={"configuration": {}}
    )
    row.configuration = {**models_configuration(client), "embedding": integration.pk}
    row.save(update_fields=["configuration", "last_updated_at"])


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


@transaction.atomic
def cost_limits_set(*, client: Client, daily_usd, monthly_usd, action: str) -> dict:
    errors: dict[str, str] = {}
    limits = {
        "daily_usd": _limit(daily_usd, "daily_usd", errors),
        "monthly_usd": _limit(monthly_usd, "monthly_usd", errors),
        "action": action,
    }
    if action not in BUDGET_ACTIONS:
        errors["action"] = f"Must be one of: {', '.join(BUDGET_ACTIONS)}."
    if errors:
        raise ValidationError(errors)
    configuration = {key: value for key, value in limits.items() if value is not None}
    ClientAIConfiguration.objects.update_or_create(
        client=client,
        config_category=ClientAIConfiguration.Category.COST_LIMITS,
        defaults={"configuration": configuration},
    )
    return configuration
