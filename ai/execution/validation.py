"""Save-time rules for `ai_model` integrations, registered with core's integration validators, so
the API, the hub, the admin and a YAML import all refuse the same things with the same words."""

import re

from django.core.exceptions import ValidationError

from ai.execution.rows import model_info_for
from ai.providers.registry import PROVIDER_LABELS, PROVIDERS, can_embed
from pulse.core.models import Integration

# Fields a provider type cannot work without (API keys are checked where they are entered:
# a YAML import creates providers first and reports the secrets still to set).
REQUIRED = {
    "azure_openai": {
        "base_url": "Azure OpenAI needs this.",
        "deployment": "Azure OpenAI needs this.",
        "api_version": "Azure OpenAI needs this.",
    },
    "custom_gateway": {"base_url": "The gateway's URL, e.g. https://gateway.example.com/v1."},
    "local_openai": {"base_url": "The server's URL, e.g. http://127.0.0.1:8080/v1 (llama.cpp) or :11434/v1 (Ollama)."},
}
KEYLESS_PROVIDERS = ("sentence_transformers", "custom_gateway", "local_openai")


def validate_ai_integration(integration: Integration) -> None:
    if integration.integration_type != Integration.Type.AI_MODEL:
        return
    provider = (integration.configuration or {}).get("provider")
    if provider not in PROVIDERS:
        raise ValidationError({"configuration": f"'provider' must be one of: {', '.join(sorted(PROVIDERS))}."})
    if not (integration.model_config or {}).get("model_name"):
        raise ValidationError({"model_config": "'model_name' is required for an AI model."})
    values = {"base_url": integration.base_url, **(integration.configuration or {})}
    missing = {field: message for field, message in REQUIRED.get(provider, {}).items() if not values.get(field)}
    if missing:
        raise ValidationError(missing)
    _validate_url_parts(integration)
    _validate_can_embed(integration, provider)
    _validate_embedding_fallback(integration)


def _validate_can_embed(integration: Integration, provider: str) -> None:
    """A provider type without embeddings (Claude) can never serve them: not as its use, not by a
    declared capability, so it never becomes a tenant's embedding model (API, hub, YAML alike)."""
    if can_embed(provider):
        return
    label = PROVIDER_LABELS.get(provider, provider)
    if integration.integration_subtype == Integration.Subtype.EMBEDDING:
        raise ValidationError({"integration_subtype": f"{label} makes no embeddings: use it for text generation."})
    if "embedding" in ((integration.model_config or {}).get("capabilities") or []):
        raise ValidationError({"capabilities": f"{label} makes no embeddings."})


# Settings that end up in request URLs or headers (Azure puts the deployment in the path).
NAME_RULE = "Letters, digits, '.', '_' and '-' only."
URL_PARTS = {
    "deployment": (re.compile(r"^[A-Za-z0-9._-]{1,64}$"), NAME_RULE),
    "api_version": (re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(-preview)?$"), "A date such as 2024-10-21."),
    "organization": (re.compile(r"^[A-Za-z0-9._-]{1,128}$"), NAME_RULE),
}


def _validate_url_parts(integration: Integration) -> None:
    configuration = integration.configuration or {}
    bad = {
        name: message
        for name, (pattern, message) in URL_PARTS.items()
        if configuration.get(name) and not pattern.match(str(configuration[name]))
    }
    model = str((integration.model_config or {}).get("model_name", ""))
    if not model.isprintable() or len(model) > 200:
        bad["model_name"] = "Printable characters only, at most 200."
    if bad:
        raise ValidationError(bad)


def _validate_embedding_fallback(integration: Integration) -> None:
    fallback = integration.fallback_integration
    if fallback is None or integration.integration_subtype != Integration.Subtype.EMBEDDING:
        return
    if fallback.integration_type != Integration.Type.AI_MODEL:
        raise ValidationError({"fallback_integration": "An AI model can only fall back to another AI model."})
    mine, theirs = model_info_for(integration).dimensions, model_info_for(fallback).dimensions
    if mine is None or theirs is None or mine != theirs:
        raise ValidationError(
            {
                "fallback_integration": (
                    f"{fallback.integration_name} makes {theirs or 'unknown'}-dimension vectors; this model makes "
                    f"{mine or 'unknown'}. An embedding fallback must have the same dimensions "
                    f"({integration.integration_name} has {mine or 'unknown'}, {fallback.integration_name} has "
                    f"{theirs or 'unknown'}): vectors of different sizes cannot share a collection."
                )
            }
        )


def validate_api_key(*, provider: str, has_key: bool, key: str = "") -> None:
    """A provider that signs every call needs its key before it is saved or tested, and a key
    travels in an HTTP header: printable ASCII only."""
    if provider not in KEYLESS_PROVIDERS and not has_key:
        raise ValidationError({"api_key": "This provider needs an API key."})
    if key and not (key.isascii() and key.isprintable()):
        raise ValidationError({"api_key": "An API key has only printable ASCII characters (no accents or spaces)."})
