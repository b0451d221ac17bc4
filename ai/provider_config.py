"""From an `ai_model` integration row to the plain ProviderConfig and ModelInfo adapters use."""

from dataclasses import replace

from ai.catalog import model_info
from ai.providers.base import ModelInfo, ProviderConfig
from pulse.core.models import Integration

DEFAULT_TIMEOUTS = {"sentence_transformers": 120.0}


def provider_config_for(integration: Integration) -> ProviderConfig:
    provider = integration.provider
    configuration = integration.configuration or {}
    model_config = integration.model_config or {}
    performance = integration.performance_config or {}
    info = model_info_for(integration)
    return ProviderConfig(
        provider=provider,
        model=model_config.get("model_name", ""),
        api_key=integration.credentials.get("api_key", ""),
        base_url=integration.base_url or "",
        api_version=configuration.get("api_version", ""),
        deployment=configuration.get("deployment", ""),
        organization=configuration.get("organization", ""),
        dimensions=info.dimensions,
        max_input_tokens=info.max_tokens,
        timeout=float(performance.get("timeout_seconds") or DEFAULT_TIMEOUTS.get(provider, 30.0)),
        batch_size=int(performance.get("batch_size") or 64),
        extra={
            "model_path": configuration.get("model_path", ""),
            "send_dimensions": bool(model_config.get("send_dimensions")),
        },
    )


_SUBTYPE_CAPABILITIES = {
    Integration.Subtype.EMBEDDING: ("embedding",),
    Integration.Subtype.LLM: ("text_generation", "analysis"),
    Integration.Subtype.GATEWAY: ("text_generation", "analysis"),
}


def model_info_for(integration: Integration) -> ModelInfo:
    """Catalog facts for the integration's model, with its overrides; a model the catalog does not
    know takes its capabilities from the integration's subtype."""
    model_config = integration.model_config or {}
    info = model_info(provider=integration.provider, model=model_config.get("model_name", ""), overrides=model_config)
    if not info.capabilities:
        info = replace(info, capabilities=_SUBTYPE_CAPABILITIES.get(integration.integration_subtype, ()))
    return info


def embedding_dimensions(integration: Integration) -> int | None:
    return model_info_for(integration).dimensions
