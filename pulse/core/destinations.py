"""A stored secret is only ever sent to the destination it was saved for.

The destination of an integration is its type, its provider and the origin (scheme, host, port)
of its base URL; a blank URL means the vendor's own, which the provider names. When an edit
changes the destination, every stored secret must be entered again in the same edit, or the edit
is refused before anything is saved or sent. Otherwise an admin (or anyone holding an admin's
session) could point a saved integration at their own server and receive its key. This is
stricter than Grafana's or Dify's data sources, which keep stored secrets when the URL changes:
Pulse is multi-tenant and its keys belong to the tenant, not to whoever edits a URL.
"""

from collections.abc import Iterable

import httpx
from django.core.exceptions import ValidationError

from pulse.core.models import Integration

NON_SECRET_CREDENTIALS = ("email",)  # Jira's account name: shown to admins, not a secret
_DEFAULT_PORTS = {"http": 80, "https": 443}
Destination = tuple[str, str, tuple[str, str, int] | None]


def url_origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) with the default port filled in; None for a blank or hostless URL."""
    try:
        parsed = httpx.URL((url or "").strip())
    except (httpx.InvalidURL, TypeError):
        return None
    if parsed.scheme not in _DEFAULT_PORTS or not parsed.host:
        return None
    return parsed.scheme, parsed.host.rstrip("."), parsed.port or _DEFAULT_PORTS[parsed.scheme]


def integration_destination(integration: Integration) -> Destination:
    provider = str((integration.configuration or {}).get("provider", ""))
    return integration.integration_type, provider, url_origin(integration.base_url)


def check_secret_destination(*, before: Destination, integration: Integration, supplied: Iterable[str]) -> None:
    """Refuse (ValidationError on each secret's field) when `integration` now points elsewhere
    than `before` and a stored secret was not entered again."""
    if integration_destination(integration) == before:
        return
    supplied = set(supplied)
    missing = sorted(
        key
        for key, value in (integration.credentials or {}).items()
        if value and key not in NON_SECRET_CREDENTIALS and key not in supplied
    )
    if missing:
        message = "The address changed: enter this secret again (a stored secret is only sent where it was saved for)."
        raise ValidationError(dict.fromkeys(missing, message))
