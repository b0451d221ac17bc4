"""Rules for `ai_model` integrations, registered with core's integration validators."""

from django.core.exceptions import ValidationError

from ai.provider_config import embedding_dimensions
from ai.providers.registry import PROVIDERS
from pulse.core.models import Integration


def validate_ai_integration(integration: Integration) -> None:
    if integration.integration_type != Integration.Type.AI_MODEL:
        return
    provider = (integration.configuration or {}).get("provider")
    if provider not in PROVIDERS:
        raise ValidationError({"configuration": f"'provider' must be one of: {', '.join(sorted(PROVIDERS))}."})
    if not (integration.model_config or {}).get("model_name"):
        raise ValidationError({"model_config": "'model_name' is required for an AI model."})
    fallback = integration.fallback_integration
    if fallback is None or integration.integration_subtype != Integration.Subtype.EMBEDDING:
        return
    if fallback.integration_type != Integration.Type.AI_MODEL:
        raise ValidationError({"fallback_integration": "An AI model can only fall back to another AI model."})
    mine, theirs = embedding_dimensions(integration), embedding_dimensions(fallback)
    if mine is None or theirs is None or mine != theirs:
        raise ValidationError(
            {
                "fallback_integration": (
                    f"An embedding fallback must have the same dimensions: {integration.integration_name} has "
                    f"{mine or 'unknown'}, {fallback.integration_name} has {theirs or 'unknown'}. "
                    "Vectors of different sizes cannot share a collection."
                )
            }
        )
