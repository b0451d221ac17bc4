"""Reads of the core domain. Every function takes the caller's client."""

from django.db.models import QuerySet
from django.http import Http404

from pulse.core.models import Client, Integration


def integration_list(*, client: Client, integration_type: str | None = None) -> QuerySet[Integration]:
    qs = Integration.objects.for_client(client).select_related("fallback_integration")
    if integration_type:
        qs = qs.filter(integration_type=integration_type)
    return qs.order_by("integration_name", "id")


def integration_get(*, client: Client, integration_id: int) -> Integration:
    """The client's integration, or Http404: another tenant's id looks exactly like a missing one."""
    try:
        return integration_list(client=client).get(pk=integration_id)
    except (Integration.DoesNotExist, ValueError, TypeError):
        raise Http404("No such integration.") from None
