"""Writes of the core domain: integrations and secret rotation."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import ProtectedError

from pulse.core.destinations import check_secret_destination, integration_destination
from pulse.core.fields import EncryptedJSONField
from pulse.core.jsonlimits import json_value_problem
from pulse.core.models import Client, Integration
from pulse.core.outbound import url_refusal

MAX_FALLBACK_CHAIN = 10

# Apps add rules for integrations they understand (ai: providers and embedding dimensions)
# without core importing them. A validator gets the unsaved integration and raises ValidationError.
_validators: list[Callable[[Integration], None]] = []


def register_integration_validator(validator: Callable[[Integration], None]) -> None:
    if validator not in _validators:
        _validators.append(validator)


def integration_run_validators(integration: Integration) -> None:
    for validator in _validators:
        validator(integration)


@contextmanager
def errors_named(fields: dict[str, str]) -> Iterator[None]:
    """A face (API, form) names its fields its own way (`name`, not `integration_name`): errors of
    the services inside are re-keyed to the names the caller sent."""
    try:
        yield
    except ValidationError as exc:
        if not hasattr(exc, "error_dict"):
            raise
        raise ValidationError({fields.get(key, key): errors for key, errors in exc.error_dict.items()}) from None


EDITABLE_FIELDS = (  # what a service (and the admin) may set on an integration
    "integration_type",
    "integration_subtype",
    "integration_name",
    "base_url",
    "configuration",
    "model_config",
    "performance_config",
    "fallback_integration",
    "active",
)
_JSON_FIELDS = ("configuration", "model_config", "performance_config")


def integration_validate_fallback(*, client: Client, integration_id: int | None, fallback: Integration | None) -> None:
    """Reject a fallback from another tenant, the integration itself, or one that closes a loop."""
    if fallback is None:
        return
    if fallback.client_id != client.pk:
        # Same words as a missing id: another tenant's ids must not be discoverable.
        raise ValidationError({"fallback_integration": f"Integration {fallback.pk} does not exist in your tenant."})
    if integration_id is not None and fallback.pk == integration_id:
        raise ValidationError({"fallback_integration": "An integration cannot be its own fallback."})
    chain = [fallback.integration_name]
    current = fallback
    for _ in range(MAX_FALLBACK_CHAIN):
        nxt_id = current.fallback_integration_id
        if nxt_id is None:
            return
        if integration_id is not None and nxt_id == integration_id:
            path = " → ".join(["this integration", *chain, "this integration"])
            raise ValidationError({"fallback_integration": f"This fallback would create a loop: {path}."})
        current = Integration.objects.for_client(client).get(pk=nxt_id)
        chain.append(current.integration_name)
    raise ValidationError({"fallback_integration": f"Fallback chains are limited to {MAX_FALLBACK_CHAIN} steps."})


_SECRET_NAMES = {"token", "password", "secret", "apikey", "api_key", "private_key", "access_key", "secret_key"}
_SECRET_SUFFIXES = ("_token", "_password", "_secret", "_api_key", "_apikey")


def _find_secret_key(value: Any) -> str | None:
    """The first key in a JSON value that names a secret, so plaintext JSON never holds one."""
    if isinstance(value, dict):
        for key, inner in value.items():
            lowered = str(key).lower().replace("-", "_")
            if lowered in _SECRET_NAMES or lowered.endswith(_SECRET_SUFFIXES):
                return str(key)
            if found := _find_secret_key(inner):
                return found
    elif isinstance(value, list):
        for inner in value:
            if found := _find_secret_key(inner):
                return found
    return None


def _validate_fields(*, client: Client, data: dict[str, Any], integration_id: int | None) -> None:
    errors: dict[str, str] = {}
    if "integration_type" in data and data["integration_type"] not in Integration.Type.values:
        errors["integration_type"] = f"Must be one of: {', '.join(Integration.Type.values)}."
    subtype = data.get("integration_subtype")
    if subtype and subtype not in Integration.Subtype.values:
        errors["integration_subtype"] = f"Must be one of: {', '.join(Integration.Subtype.values)}."
    name = data.get("integration_name")
    if "integration_name" in data:
        if not name or not str(name).strip():
            errors["integration_name"] = "A name is required."
        elif Integration.objects.for_client(client).filter(integration_name=name).exclude(pk=integration_id).exists():
            errors["integration_name"] = f"An integration named '{name}' already exists."
    if data.get("base_url"):
        errors.update(_base_url_errors(data["base_url"]))
    for field in _JSON_FIELDS:
        if field not in data:
            continue
        if not isinstance(data[field], dict):
            errors[field] = "Must be a JSON object."
        elif problem := json_value_problem(data[field]):
            errors[field] = problem
        elif secret_key := _find_secret_key(data[field]):
            errors[field] = f"'{secret_key}' looks like a secret: put it in credentials, which are encrypted."
    if errors:
        raise ValidationError(errors)


def _base_url_errors(url: str) -> dict[str, str]:
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        return {"base_url": "Enter an http(s) URL."}
    if refusal := url_refusal(url):
        return {
            "base_url": f"Pulse may not call this address: {refusal}. An operator can allow a host with "
            "PULSE_OUTBOUND_ALLOWLIST=host:port."
        }
    return {}


def _validate_credentials(credentials: Any, *, allow_null: bool) -> None:
    if not isinstance(credentials, dict):
        raise ValidationError({"credentials": "Must be a JSON object of secret names to string values."})
    for key, value in credentials.items():
        if value is None and allow_null:
            continue
        if not isinstance(value, str):
            raise ValidationError({"credentials": f"Secret '{key}' must be a string."})


@transaction.atomic
def integration_create(*, client: Client, credentials: dict | None = None, **data: Any) -> Integration:
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: "Unknown field." for name in sorted(unknown)})
    for required in ("integration_type", "integration_name"):
        if not data.get(required):
            raise ValidationError({required: "This field is required."})
    _validate_fields(client=client, data=data, integration_id=None)
    _validate_credentials(credentials or {}, allow_null=False)
    integration_validate_fallback(client=client, integration_id=None, fallback=data.get("fallback_integration"))
    integration = Integration(client=client, credentials=credentials or {}, **data)
    integration_run_validators(integration)
    integration.save()
    return integration


@transaction.atomic
def integration_update(
    *, integration: Integration, credentials: dict | None = None, replace_credentials: bool = False, **data: Any
) -> Integration:
    """Update fields. Credentials merge key by key (a null value removes a key) unless
    `replace_credentials`, which replaces the whole set."""
    unknown = set(data) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError({name: "Unknown field." for name in sorted(unknown)})
    client = integration.client
    before = integration_destination(integration)
    _validate_fields(client=client, data=data, integration_id=integration.pk)
    if "fallback_integration" in data:
        integration_validate_fallback(
            client=client, integration_id=integration.pk, fallback=data["fallback_integration"]
        )
    for field, value in data.items():
        setattr(integration, field, value)
    if credentials is not None:
        _validate_credentials(credentials, allow_null=not replace_credentials)
        merged = {} if replace_credentials else dict(integration.credentials)
        for key, value in credentials.items():
            if value is None:
                merged.pop(key, None)
            else:
                merged[key] = value
        integration.credentials = merged
    supplied = [key for key, value in (credentials or {}).items() if value is not None]
    check_secret_destination(before=before, integration=integration, supplied=supplied)
    integration_run_validators(integration)
    integration.save()
    return integration


def integration_delete(*, integration: Integration) -> None:
    try:
        integration.delete()
    except ProtectedError:
        users = ", ".join(sorted(i.integration_name for i in integration.fallback_for.all()))
        raise ValidationError(
            {"fallback_integration": f"Cannot delete: it is the fallback of {users}. Change their fallback first."}
        ) from None


def secrets_rotate(*, batch_size: int = 500) -> int:
    """Re-encrypt every encrypted field of every model under the newest key.

    Returns how many rows it rewrote. Rows are rewritten in small transactions with
    `.update()`, so `last_updated_at` is untouched and a failure leaves every row readable
    (each row is always valid under one of the configured keys).
    """
    rewritten = 0
    for model in apps.get_models():
        fields = [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedJSONField)]
        if not fields:
            continue
        last_pk = None
        while True:
            qs = model._base_manager.order_by("pk")
            if last_pk is not None:
                qs = qs.filter(pk__gt=last_pk)
            batch = list(qs.only("pk", *fields)[:batch_size])
            if not batch:
                break
            with transaction.atomic():
                for row in batch:
                    model._base_manager.filter(pk=row.pk).update(**{f: getattr(row, f) for f in fields})
            rewritten += len(batch)
            last_pk = batch[-1].pk
    return rewritten
