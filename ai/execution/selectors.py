"""Reads of a tenant's provider rows."""

from django.db.models import QuerySet
from django.http import Http404

from ai.execution.rows import model_info_for
from pulse.core.models import Client, Integration


def provider_list(*, client: Client) -> QuerySet[Integration]:
    return (
        Integration.objects.for_client(client)
        .filter(integration_type=Integration.Type.AI_MODEL)
        .select_related("fallback_integration")
        .order_by("integration_name", "id")
    )


def provider_list_capable(*, client: Client, capability: str, active_only: bool = False) -> list[Integration]:
    """The tenant's providers whose model can do `capability` (catalog facts plus overrides)."""
    rows = provider_list(client=client)
    if active_only:
        rows = rows.filter(active=True)
    return [row for row in rows if capability in model_info_for(row).capabilities]


def provider_get(*, client: Client, provider_id) -> Integration:
    try:
        return provider_list(client=client).get(pk=provider_id)
    except (Integration.DoesNotExist, ValueError, TypeError):
        raise Http404("No such provider.") from None
