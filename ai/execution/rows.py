"""A provider row and everything derived from it, in one place.

An AI provider is an `integrations` row of type `ai_model` whose settings sit in three JSON
columns. Every face (the API, the hub's form, the YAML file) speaks one flat shape of named fields
instead; the key lists and the two functions below are the only mapping between the two, and
`resolve` is the only way from a row to the adapter's `ProviderConfig` and the model's facts.
"""

from dataclasses import dataclass, replace
from typing import Any

from ai.providers.base import ProviderConfig
from ai.providers.catalog import ModelInfo, model_info
from ai.providers.registry import can_embed
from pulse.core.models import Integration

# Which JSON column holds which flat field.
CONFIGURATION_KEYS = ("api_version", "deployment", "model_path", "local_backend", "organization")
MODEL_KEYS = (
    "model_name",
    "dimensions",
    "max_tokens",
    "input_price_per_1k",
    "output_price_per_1k",
    "send_dimensions",
    "tier",
    "capabilities",
)
PERFORMANCE_KEYS = ("batch_size", "timeout_seconds", "max_retries")
COLUMNS = {"configuration": CONFIGURATION_KEYS, "model_config": MODEL_KEYS, "performance_config": PERFORMANCE_KEYS}
# Flat fields that are plain columns of the row.
ROW_COLUMNS = {
    "name": "integration_name",
    "subtype": "integration_subtype",
    "base_url": "base_url",
    "fallback_integration": "fallback_integration",
    "active": "active",
}
AI_SUBTYPES = (Integration.Subtype.EMBEDDING, Integration.Subtype.LLM, Integration.Subtype.GATEWAY)
TEXT_KEYS = ("model_name", *CONFIGURATION_KEYS)  # shown as "" rather than null when unset
DEFAULT_TIMEOUTS = {"sentence_transformers": 120.0}
_SUBTYPE_CAPABILITIES = {
    Integration.Subtype.EMBEDDING: ("embedding",),
    Integration.Subtype.LLM: ("text_generation", "analysis"),
    Integration.Subtype.GATEWAY: ("text_generation", "analysis"),
}


def provider_fields(integration: Integration) -> dict[str, Any]:
    """The row in the faces' flat shape. Secrets are never part of it."""
    fields: dict[str, Any] = {
        "name": integration.integration_name,
        "provider": integration.provider,
        "subtype": integration.integration_subtype,
        "base_url": integration.base_url,
        "fallback_integration": integration.fallback_integration_id,
        "active": integration.active,
    }
    for column, keys in COLUMNS.items():
        stored = getattr(integration, column) or {}
        fields.update({key: stored.get(key, "" if key in TEXT_KEYS else None) for key in keys})
    return fields


def provider_row_values(data: dict[str, Any], base: Integration | None = None) -> tuple[dict[str, Any], dict | None]:
    """Flat fields → the row's columns (JSON columns merged over `base` on update) and the new
    credentials (None when no secret was given: a blank key keeps the stored one)."""
    columns: dict[str, Any] = {}
    for column, keys in COLUMNS.items():
        values = dict(getattr(base, column) or {}) if base else {}
        for key in keys:
            if key not in data:
                continue
            if data[key] in (None, ""):
                values.pop(key, None)
            else:
                values[key] = data[key]
        columns[column] = values
    if "provider" in data:
        columns["configuration"]["provider"] = data["provider"]
    for name, column in ROW_COLUMNS.items():
        if name in data:
            keep_null = column == "fallback_integration"
            columns[column] = data[name] if data[name] is not None or keep_null else ""
    credentials = {"api_key": data["api_key"]} if data.get("api_key") else None
    return columns, credentials


def model_info_for(integration: Integration) -> ModelInfo:
    """Catalog facts for the integration's model, with its overrides; a model the catalog does not
    know takes its capabilities from the integration's subtype."""
    model_config = integration.model_config or {}
    info = model_info(provider=integration.provider, model=model_config.get("model_name", ""), overrides=model_config)
    if not info.capabilities:
        info = replace(info, capabilities=_SUBTYPE_CAPABILITIES.get(integration.integration_subtype, ()))
    if "embedding" in info.capabilities and not can_embed(integration.provider):
        # A row may claim it (a subtype, an override); the adapter decides: never an embedding model.
        info = replace(info, capabilities=tuple(c for c in info.capabilities if c != "embedding"))
    return info


def default_subtype(provider: str) -> str:
    """What a provider row is for when the input does not say: embeddings where the type can make them."""
    return Integration.Subtype.EMBEDDING if can_embed(provider) else Integration.Subtype.LLM


@dataclass(frozen=True)
class ResolvedProvider:
    """A provider row with its model's facts and its adapter's config, worked out once per call
    and passed down (routing, the execution path, the embedding cache and the store use one)."""

    integration: Integration
    info: ModelInfo
    config: ProviderConfig

    @property
    def name(self) -> str:
        return self.integration.integration_name


def resolve(integration: Integration) -> ResolvedProvider:
    info = model_info_for(integration)
    return ResolvedProvider(integration=integration, info=info, config=_config(integration, info))


def _config(integration: Integration, info: ModelInfo) -> ProviderConfig:
    fields = provider_fields(integration)
    provider = fields["provider"]
    return ProviderConfig(
        provider=provider,
        model=fields["model_name"],
        api_key=integration.credentials.get("api_key", ""),
        base_url=fields["base_url"] or "",
        api_version=fields["api_version"],
        deployment=fields["deployment"],
        organization=fields["organization"],
        dimensions=info.dimensions,
        max_input_tokens=info.max_tokens,
        timeout=float(fields["timeout_seconds"] or DEFAULT_TIMEOUTS.get(provider, 30.0)),
        batch_size=int(fields["batch_size"] or 64),
        extra={
            "model_path": fields["model_path"],
            "local_backend": fields["local_backend"],
            "send_dimensions": bool(fields["send_dimensions"]),
        },
    )


def provider_config_for(integration: Integration) -> ProviderConfig:
    return resolve(integration).config
