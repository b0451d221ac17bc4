"""Reads of the ETL area for the configuration hub: data sources with their sync state and runs."""

from django.db.models import QuerySet
from django.http import Http404

from etl.models import EtlRun
from etl.services.sources import SOURCE_TYPES
from pulse.core.models import Client, Integration


def source_list(*, client: Client) -> list[Integration]:
    """Every data source of the tenant with `.sync_state_row` and `.last_run` attached (3 queries)."""
    sources = list(
        Integration.objects.for_client(client)
        .filter(integration_type__in=SOURCE_TYPES)
        .select_related("sync_state")
        .order_by("integration_name", "id")
    )
    last_runs: dict[int, EtlRun] = {}
    for run in EtlRun.objects.for_client(client).filter(integration__in=sources).order_by("integration_id", "-id"):
        last_runs.setdefault(run.integration_id, run)
    for source in sources:
        source.last_run = last_runs.get(source.pk)
    return sources


def source_get(*, client: Client, source_id) -> Integration:
    try:
        return Integration.objects.for_client(client).filter(integration_type__in=SOURCE_TYPES).get(pk=source_id)
    except (Integration.DoesNotExist, ValueError, TypeError):
        raise Http404("No such data source.") from None


def run_list(*, client: Client, integration: Integration | None = None, limit: int = 20) -> QuerySet[EtlRun]:
    runs = EtlRun.objects.for_client(client).select_related("integration").order_by("-id")
    if integration is not None:
        runs = runs.filter(integration=integration)
    return runs[:limit]
