"""A tenant's AI setup as a YAML file (in the spirit of WrenAI's pipeline config).

Export writes providers (never their secrets: only the names of the secrets they need), which
provider serves each role, the routing preference and the cost limits. Import validates the
whole file first, then applies it in one transaction: providers are created or updated by name,
fallbacks and roles resolved by name. Secrets must then be set per provider (the import reports
which).
"""

from dataclasses import dataclass, field
from typing import Any

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction

from ai.execution.budgets import cost_limits_clean, cost_limits_set
from ai.execution.routing import PREFERENCES, ROLE_CAPABILITY, ROLES, models_configuration
from ai.execution.rows import (
    AI_SUBTYPES,
    CONFIGURATION_KEYS,
    MODEL_KEYS,
    PERFORMANCE_KEYS,
    default_subtype,
    model_info_for,
    provider_fields,
    provider_row_values,
)
from ai.execution.selectors import provider_list
from ai.models import ClientAIConfiguration
from ai.providers.registry import PROVIDERS
from pulse.core import services as core_services
from pulse.core.jsonlimits import MAX_DEPTH, value_depth
from pulse.core.models import Client, Integration

VERSION = 1
MAX_YAML_CHARS = 256 * 1024
# The file groups a provider's flat fields by the row's JSON columns; model_name stands on its own.
SECTIONS = {
    "configuration": CONFIGURATION_KEYS,
    "model": tuple(key for key in MODEL_KEYS if key != "model_name"),
    "performance": PERFORMANCE_KEYS,
}
LIMIT_KEYS = ("daily_usd", "monthly_usd", "action")


def _pick(source: dict, keys: tuple[str, ...]) -> dict:
    return {key: source[key] for key in keys if source.get(key) not in (None, "")}


def _exported(provider: Integration, names: dict[int, str]) -> dict[str, Any]:
    fields = provider_fields(provider)
    return {
        **{key: fields[key] for key in ("name", "provider", "subtype", "model_name", "base_url")},
        **{section: _pick(fields, keys) for section, keys in SECTIONS.items()},
        "fallback": names.get(provider.fallback_integration_id),
        "active": provider.active,
        "secrets": sorted(provider.credentials),
    }


def _imported(entry: dict[str, Any]) -> dict[str, Any]:
    """A file's provider entry → the row's columns. The file is the whole truth for the provider:
    columns are rebuilt from it, not merged over what is stored."""
    flat = {
        "name": entry["name"],
        "provider": entry["provider"],
        "subtype": entry.get("subtype") or default_subtype(entry["provider"]),
        "model_name": entry["model_name"],
        "base_url": entry.get("base_url") or "",
        "active": bool(entry.get("active", True)),
        "fallback_integration": None,  # resolved once every provider exists
    }
    for section, keys in SECTIONS.items():
        flat.update(_pick(entry.get(section) or {}, keys))
    columns, _ = provider_row_values(flat)
    return columns


def _check_roles(pipeline: dict, saved: dict[str, Integration]) -> None:
    """Each role's provider can do the role's work (Claude never becomes the embedding model)."""
    errors = {}
    for role, name in pipeline.items():
        capability = ROLE_CAPABILITY.get(role, role)
        if role != "preference" and capability not in model_info_for(saved[name]).capabilities:
            errors[f"pipeline.{role}"] = f"'{name}' cannot do {capability.replace('_', ' ')}."
    if errors:
        raise ValidationError(errors)


def ai_config_export(*, client: Client) -> str:
    providers = list(provider_list(client=client))
    names = {p.pk: p.integration_name for p in providers}
    models = models_configuration(client)
    limits = ClientAIConfiguration.objects.for_client(client).configuration_of(
        ClientAIConfiguration.Category.COST_LIMITS
    )
    document: dict[str, Any] = {
        "version": VERSION,
        "providers": [_exported(p, names) for p in providers],
        "pipeline": {
            **{role: names[models[role]] for role in ROLES if models.get(role) in names},
            "preference": models.get("preference", "balanced"),
        },
        "cost_limits": _pick(limits, LIMIT_KEYS),
    }
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    needs_secrets: dict[str, list[str]] = field(default_factory=dict)


def _load(text: str) -> dict:
    if len(text) > MAX_YAML_CHARS:
        raise ValidationError({"yaml": f"The file is larger than {MAX_YAML_CHARS // 1024} KB."})
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValidationError({"yaml": f"Not valid YAML: {exc}"}) from None
    except RecursionError:  # PyYAML recurses: about 500 levels of nesting exhaust the stack
        raise ValidationError({"yaml": f"Nested deeper than {MAX_DEPTH} levels."}) from None
    if value_depth(document) > MAX_DEPTH:
        raise ValidationError({"yaml": f"Nested deeper than {MAX_DEPTH} levels."})
    if not isinstance(document, dict):
        raise ValidationError({"yaml": "The file must be a mapping with 'version' and 'providers'."})
    for key, kind in (("providers", list), ("pipeline", dict), ("cost_limits", dict)):
        if not isinstance(document.get(key) or kind(), kind):
            raise ValidationError({key: f"Must be a {'list' if kind is list else 'mapping'}."})
    return document


def _provider_errors(providers: list) -> tuple[dict[str, str], set]:
    """Errors in the providers' entries, and the names they define."""
    errors: dict[str, str] = {}
    names = []
    for i, entry in enumerate(providers):
        where = f"providers[{i}]"
        if not isinstance(entry, dict):
            errors[where] = "Must be a mapping."
            continue
        if not entry.get("name"):
            errors[f"{where}.name"] = "Required."
        names.append(entry.get("name"))
        if entry.get("provider") not in PROVIDERS:
            errors[f"{where}.provider"] = f"Must be one of: {', '.join(sorted(PROVIDERS))}."
        if not entry.get("model_name"):
            errors[f"{where}.model_name"] = "Required."
        if entry.get("subtype", "embedding") not in AI_SUBTYPES:
            errors[f"{where}.subtype"] = f"Must be one of: {', '.join(AI_SUBTYPES)}."
        for key in ("configuration", "model", "performance"):
            if not isinstance(entry.get(key) or {}, dict):
                errors[f"{where}.{key}"] = "Must be a mapping."
    if len(set(names)) != len(names):
        errors["providers"] = "Provider names must be unique."
    for i, entry in enumerate(providers):
        if isinstance(entry, dict) and entry.get("fallback") and entry["fallback"] not in names:
            errors[f"providers[{i}].fallback"] = f"No provider named '{entry['fallback']}' in this file."
    return errors, set(names)


def _pipeline_errors(pipeline: dict, known: set) -> dict[str, str]:
    errors = {}
    for role, name in pipeline.items():
        if role == "preference":
            if name not in PREFERENCES:
                errors["pipeline.preference"] = f"Must be one of: {', '.join(PREFERENCES)}."
        elif role not in ROLES:
            errors[f"pipeline.{role}"] = f"Unknown role; roles are: {', '.join(ROLES)}."
        elif name not in known:
            errors[f"pipeline.{role}"] = f"No provider named '{name}' in this file."
    return errors


def _limit_errors(limits: dict) -> dict[str, str]:
    if not limits:
        return {}
    try:
        cost_limits_clean(
            daily_usd=limits.get("daily_usd"),
            monthly_usd=limits.get("monthly_usd"),
            action=limits.get("action", "block"),
        )
    except ValidationError as exc:
        return {f"cost_limits.{key}": " ".join(messages) for key, messages in exc.message_dict.items()}
    return {}


def _parse(text: str) -> dict:
    """The whole file, checked before anything is applied; a ValidationError names every problem."""
    document = _load(text)
    errors = {"version": f"Must be {VERSION}."} if document.get("version") != VERSION else {}
    provider_errors, known = _provider_errors(document.get("providers") or [])
    errors |= provider_errors
    errors |= _pipeline_errors(document.get("pipeline") or {}, known)
    errors |= _limit_errors(document.get("cost_limits") or {})
    if errors:
        raise ValidationError(errors)
    return document


@transaction.atomic
def ai_config_import(*, client: Client, text: str) -> ImportReport:
    document = _parse(text)
    report = ImportReport()
    existing = {p.integration_name: p for p in provider_list(client=client)}
    saved: dict[str, Integration] = {}
    for entry in document.get("providers") or []:
        columns = _imported(entry)
        current = existing.get(entry["name"])
        if current is None:
            saved[entry["name"]] = core_services.integration_create(
                client=client, integration_type=Integration.Type.AI_MODEL, **columns
            )
            report.created.append(entry["name"])
        else:
            saved[entry["name"]] = core_services.integration_update(integration=current, **columns)
            report.updated.append(entry["name"])
        missing = sorted(set(entry.get("secrets") or []) - set(saved[entry["name"]].credentials))
        if missing:
            report.needs_secrets[entry["name"]] = missing
    for entry in document.get("providers") or []:
        if entry.get("fallback"):
            core_services.integration_update(
                integration=saved[entry["name"]], fallback_integration=saved[entry["fallback"]]
            )
    # Roles the file does not name keep their provider: a file without a pipeline section must not
    # silently unset the tenant's embedding model.
    pipeline = document.get("pipeline") or {}
    _check_roles(pipeline, saved)
    models = {**models_configuration(client), **{r: saved[n].pk for r, n in pipeline.items() if r != "preference"}}
    models["preference"] = pipeline.get("preference", models.get("preference", "balanced"))
    ClientAIConfiguration.objects.update_or_create(
        client=client, config_category=ClientAIConfiguration.Category.MODELS, defaults={"configuration": models}
    )
    if limits := document.get("cost_limits"):
        cost_limits_set(
            client=client,
            daily_usd=limits.get("daily_usd"),
            monthly_usd=limits.get("monthly_usd"),
            action=limits.get("action", "block"),
        )
    return report
