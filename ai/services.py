"""Writes and actions of the AI area: providers, provider tests, embeddings."""

import time
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from django.utils import timezone

from ai.execution import EmbeddingOutcome, execute_embedding
from ai.ledger import call_cost, usage_record
from ai.provider_config import model_info_for, provider_config_for
from ai.providers.base import ProviderError, Usage
from ai.providers.gateway import CustomGatewayProvider, KeyInfo
from ai.providers.registry import build_provider
from ai.routing import route_integration
from pulse.core import services as core_services
from pulse.core.models import Client, Integration

CONFIGURATION_KEYS = ("api_version", "deployment", "model_path", "organization")
MODEL_KEYS = ("model_name", "dimensions", "max_tokens", "input_price_per_1k", "output_price_per_1k", "send_dimensions")
PERFORMANCE_KEYS = ("batch_size", "timeout_seconds", "max_retries")
TEST_TEXT = "Pulse connection test: fix flaky login test on CI"


def _split(data: dict[str, Any], base: Integration | None = None) -> tuple[dict[str, Any], dict | None]:
    """Provider API fields → integration fields (merged over `base` on update) and credentials."""
    fields: dict[str, Any] = {}
    configuration = dict(base.configuration) if base else {}
    model_config = dict(base.model_config) if base else {}
    performance = dict(base.performance_config) if base else {}
    if "provider" in data:
        configuration["provider"] = data["provider"]
    for keys, target in (
        (CONFIGURATION_KEYS, configuration),
        (MODEL_KEYS, model_config),
        (PERFORMANCE_KEYS, performance),
    ):
        for key in keys:
            if key in data:
                if data[key] in (None, ""):
                    target.pop(key, None)
                else:
                    target[key] = data[key]
    fields.update(configuration=configuration, model_config=model_config, performance_config=performance)
    for api_name, field in (
        ("name", "integration_name"),
        ("subtype", "integration_subtype"),
        ("base_url", "base_url"),
        ("fallback_integration", "fallback_integration"),
        ("active", "active"),
    ):
        if api_name in data:
            fields[field] = data[api_name] if data[api_name] is not None or field == "fallback_integration" else ""
    credentials = {"api_key": data["api_key"]} if data.get("api_key") else None
    return fields, credentials


def provider_create(*, client: Client, data: dict[str, Any]) -> Integration:
    fields, credentials = _split(data)
    fields.setdefault("integration_subtype", Integration.Subtype.EMBEDDING)
    return core_services.integration_create(
        client=client, integration_type=Integration.Type.AI_MODEL, credentials=credentials, **fields
    )


def provider_update(*, integration: Integration, data: dict[str, Any]) -> Integration:
    fields, credentials = _split(data, base=integration)
    return core_services.integration_update(integration=integration, credentials=credentials, **fields)


def provider_draft(*, client: Client, data: dict[str, Any], base: Integration | None = None) -> Integration:
    """An unsaved integration from API input, validated like a save, for test-before-save."""
    fields, credentials = _split(data, base=base)
    draft = Integration(client=client, integration_type=Integration.Type.AI_MODEL, **fields)
    draft.credentials = dict(base.credentials) if base else {}
    if credentials:
        draft.credentials.update(credentials)
    draft.integration_subtype = draft.integration_subtype or Integration.Subtype.EMBEDDING
    draft.integration_name = draft.integration_name or "draft"
    core_services.integration_run_validators(draft)
    return draft


@dataclass(frozen=True)
class ProviderTestResult:
    ok: bool
    latency_ms: float
    reason: str = ""
    dimensions: int | None = None
    sample: str = ""
    model: str = ""


def provider_test(*, client: Client, integration: Integration) -> ProviderTestResult:
    """Check credentials and run one tiny embed or generate. Saved or not; recorded in the ledger."""
    info = model_info_for(integration)
    provider = build_provider(provider_config_for(integration))
    embedding = "embedding" in info.capabilities
    started = time.perf_counter()
    usage = Usage()
    try:
        if embedding:
            result = provider.embed([TEST_TEXT])
            vector = result.vectors[0]
            usage, outcome = (
                result.usage,
                ProviderTestResult(
                    ok=True,
                    latency_ms=0,
                    dimensions=len(vector),
                    sample=", ".join(f"{x:.4f}" for x in vector[:5]),
                    model=result.model,
                ),
            )
            if info.dimensions and len(vector) != info.dimensions:
                outcome = ProviderTestResult(
                    ok=False,
                    latency_ms=0,
                    dimensions=len(vector),
                    reason=f"the model returned {len(vector)} dimensions; the configuration says {info.dimensions}",
                )
        else:
            result = provider.generate(
                [{"role": "user", "content": "Reply with the single word OK."}], {"max_tokens": 5}
            )
            usage, outcome = (
                result.usage,
                ProviderTestResult(ok=True, latency_ms=0, sample=result.text[:200], model=result.model),
            )
    except ProviderError as exc:
        outcome = ProviderTestResult(ok=False, latency_ms=0, reason=str(exc))
    latency = round((time.perf_counter() - started) * 1000, 1)
    outcome = ProviderTestResult(**{**vars(outcome), "latency_ms": latency})
    usage_record(
        client=client,
        integration=integration if integration.pk else None,
        provider=integration.provider,
        operation="embedding" if embedding else "text_generation",
        model_name=info.name,
        input_count=1,
        usage=usage,
        cost=call_cost(info, usage) if outcome.ok else Decimal(0),
        latency_ms=latency,
        success=outcome.ok,
        error_class="" if outcome.ok else "ProviderTestFailed",
        metadata={"purpose": "provider_test"},
    )
    if integration.pk:
        provider_record_test(integration=integration, result=outcome)
    return outcome


def provider_record_test(*, integration: Integration, result: ProviderTestResult) -> None:
    """Keep the last test on the integration (shown on its card). Also used after a test-before-save."""
    performance = dict(integration.performance_config)
    performance["last_test"] = {
        "ok": result.ok,
        "latency_ms": result.latency_ms,
        "reason": result.reason,
        "at": timezone.now().isoformat(),
    }
    integration.performance_config = performance
    Integration.objects.filter(pk=integration.pk).update(performance_config=performance)


def gateway_key_info(*, integration: Integration, max_timeout: float | None = None) -> KeyInfo:
    """A custom gateway's own view of its key (`/key/info`: spend, budget, alias, models)."""
    config = provider_config_for(integration)
    if max_timeout is not None:
        config = replace(config, timeout=min(config.timeout, max_timeout))
    return CustomGatewayProvider(config).key_info()


def embeddings_create(
    *, client: Client, texts: list[str], integration: Integration | None = None, job_size: int | None = None
) -> EmbeddingOutcome:
    integration = integration or route_integration(
        client=client, operation="embedding", job_size=job_size or len(texts)
    )
    return execute_embedding(client=client, integration=integration, texts=texts)
