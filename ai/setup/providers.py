"""A tenant's AI providers: create, update, test (saved or not), Save & Test, a gateway's key info.

Every face calls these (the API, the hub's form, commands), so a rule holds everywhere once it is
here: the row's own rules run as core's integration validators (`ai.execution.validation`), and
the API key, which only an input can carry, is required here.
"""

import time
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ai.execution.ledger import call_cost, usage_record
from ai.execution.rows import ResolvedProvider, default_subtype, provider_config_for, provider_row_values, resolve
from ai.execution.validation import validate_api_key
from ai.providers.base import BaseProvider, Usage
from ai.providers.errors import ProviderError
from ai.providers.gateway import CustomGatewayProvider, KeyInfo
from ai.providers.registry import build_provider
from pulse.core import services as core_services
from pulse.core.crypto import redact
from pulse.core.destinations import check_secret_destination, integration_destination
from pulse.core.models import Client, Integration
from pulse.core.services import EDITABLE_FIELDS

TEST_TEXT = "Pulse connection test: fix flaky login test on CI"


def _check_key(data: dict[str, Any], base: Integration | None) -> None:
    provider = data.get("provider") or (base.provider if base else "")
    validate_api_key(
        provider=provider,
        has_key=bool(data.get("api_key") or (base and base.credentials.get("api_key"))),
        key=data.get("api_key") or "",
    )


# Errors of the integrations table under the names of the providers' flat shape.
PROVIDER_ERROR_FIELDS = {"integration_name": "name", "integration_subtype": "subtype"}


def provider_create(*, client: Client, data: dict[str, Any]) -> Integration:
    _check_key(data, None)
    columns, credentials = provider_row_values(data)
    columns.setdefault("integration_subtype", default_subtype(data.get("provider", "")))
    with core_services.errors_named(PROVIDER_ERROR_FIELDS):
        return core_services.integration_create(
            client=client, integration_type=Integration.Type.AI_MODEL, credentials=credentials, **columns
        )


def provider_update(*, integration: Integration, data: dict[str, Any]) -> Integration:
    _check_key(data, integration)
    columns, credentials = provider_row_values(data, base=integration)
    with core_services.errors_named(PROVIDER_ERROR_FIELDS):
        return core_services.integration_update(integration=integration, credentials=credentials, **columns)


def provider_draft(*, client: Client, data: dict[str, Any], base: Integration | None = None) -> Integration:
    """An unsaved integration: `base` (a saved provider) with the input's edits, or the input alone,
    validated like a save, for test-before-save. A draft of `base` sends its stored key nowhere
    else than where it was saved for."""
    _check_key(data, base)
    columns, credentials = provider_row_values(data, base=base)
    draft = Integration(client=client, integration_type=Integration.Type.AI_MODEL)
    if base is not None:
        for field in EDITABLE_FIELDS:
            setattr(draft, field, getattr(base, field))
        draft.credentials = dict(base.credentials)
    for field, value in columns.items():
        setattr(draft, field, value)
    draft.credentials = {**draft.credentials, **(credentials or {})}
    draft.integration_subtype = draft.integration_subtype or default_subtype(draft.provider)
    draft.integration_name = draft.integration_name or "draft"
    if base is not None:
        check_secret_destination(
            before=integration_destination(base), integration=draft, supplied=(credentials or {}).keys()
        )
    with core_services.errors_named(PROVIDER_ERROR_FIELDS):
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
    load_ms: float | None = None  # a cold model load before the test call, kept out of its latency


def _probe_embedding(resolved: ResolvedProvider, adapter: BaseProvider) -> tuple[ProviderTestResult, Usage]:
    result = adapter.embed([TEST_TEXT])
    vector = result.vectors[0]
    expected = resolved.info.dimensions
    if expected and len(vector) != expected:
        reason = f"the model returned {len(vector)} dimensions; the configuration says {expected}"
        return ProviderTestResult(ok=False, latency_ms=0, dimensions=len(vector), reason=reason), result.usage
    sample = ", ".join(f"{x:.4f}" for x in vector[:5])
    return ProviderTestResult(ok=True, latency_ms=0, dimensions=len(vector), sample=sample, model=result.model), (
        result.usage
    )


def _probe_generation(resolved: ResolvedProvider, adapter: BaseProvider) -> tuple[ProviderTestResult, Usage]:
    result = adapter.generate([{"role": "user", "content": "Reply with the single word OK."}], {"max_tokens": 5})
    return ProviderTestResult(ok=True, latency_ms=0, sample=result.text[:200], model=result.model), result.usage


def provider_test(*, client: Client, integration: Integration) -> ProviderTestResult:
    """Check credentials and run one tiny embed or generate. Saved or not; recorded in the ledger."""
    resolved = resolve(integration)
    embedding = "embedding" in resolved.info.capabilities
    load_ms = None
    started = time.perf_counter()
    try:
        adapter = build_provider(resolved.config)
        if adapter.warm_up():
            load_ms = round((time.perf_counter() - started) * 1000, 1)
        started = time.perf_counter()
        outcome, usage = (_probe_embedding if embedding else _probe_generation)(resolved, adapter)
    except ProviderError as exc:
        reason = redact(str(exc), integration.credentials.values())  # a vendor may echo the key
        outcome, usage = ProviderTestResult(ok=False, latency_ms=0, reason=reason), Usage()
    outcome = replace(outcome, latency_ms=round((time.perf_counter() - started) * 1000, 1), load_ms=load_ms)
    usage_record(
        client=client,
        integration=integration if integration.pk else None,
        provider=integration.provider,
        operation="embedding" if embedding else "text_generation",
        model_name=resolved.info.name,
        input_count=1,
        usage=usage,
        cost=call_cost(resolved.info, usage) if outcome.ok else Decimal(0),
        latency_ms=outcome.latency_ms,
        success=outcome.ok,
        error_class="" if outcome.ok else "ProviderTestFailed",
        metadata={"purpose": "provider_test", **({"cold_load_ms": round(load_ms)} if load_ms else {})},
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


@dataclass(frozen=True)
class ProviderSaveResult:
    integration: Integration | None  # None: the test failed and nothing was saved
    test: ProviderTestResult | None  # None: saved without a test, as asked


def provider_save(
    *, client: Client, data: dict[str, Any], instance: Integration | None = None, test_first: bool = True
) -> ProviderSaveResult:
    """Save & Test: build the unsaved provider, test it, and save it only if the test passes (or
    without a test when asked, for offline set-ups). Invalid input raises ValidationError."""
    draft = provider_draft(client=client, data=data, base=instance)
    result = provider_test(client=client, integration=draft) if test_first else None
    if result is not None and not result.ok:
        return ProviderSaveResult(integration=None, test=result)
    with transaction.atomic():
        if instance is None:
            saved = provider_create(client=client, data=data)
        else:
            saved = provider_update(integration=instance, data=data)
        if result is not None:
            provider_record_test(integration=saved, result=result)
    return ProviderSaveResult(integration=saved, test=result)


def gateway_key_info(*, integration: Integration, max_timeout: float | None = None) -> KeyInfo:
    """A custom gateway's own view of its key (`/key/info`: spend, budget, alias, models).
    A gateway without a URL is a ValidationError; one that fails answers a ProviderError whose
    message holds no secret."""
    config = provider_config_for(integration)
    if not config.base_url:
        raise ValidationError({"provider_id": f"{integration.integration_name} has no base URL to ask."})
    if max_timeout is not None:
        config = replace(config, timeout=min(config.timeout, max_timeout))
    try:
        return CustomGatewayProvider(config).key_info()
    except ProviderError as exc:
        raise type(exc)(redact(str(exc), integration.credentials.values()), status_code=exc.status_code) from None
