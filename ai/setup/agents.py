"""The agents' settings a tenant edits: question answering, insights, dashboard AI switches.

They live in `client_ai_preferences`, one row per preference type, as the design notes lay them out.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from ai.execution.rows import model_info_for
from ai.models import ClientAIPreferences
from pulse.core.models import Client, Integration

RESPONSE_STYLES = ("concise", "detailed", "technical")
ANALYSIS_DEPTHS = ("basic", "advanced", "expert")

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
