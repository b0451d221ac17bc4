"""Reads of the ETL area for the configuration hub: data sources with their sync state and runs."""

from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.http import Http404
from prometheus_client.core import GaugeMetricFamily

from etl.models import EtlRun, SyncState
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


def run_list(*, client: Client, integration: Integration | None = None, limit: int | None = 20) -> QuerySet[EtlRun]:
    runs = EtlRun.objects.for_client(client).select_related("integration").order_by("-id")
    if integration is not None:
        runs = runs.filter(integration=integration)
    return runs if limit is None else runs[:limit]


def run_get(*, client: Client, run_id) -> EtlRun:
    try:
        return EtlRun.objects.for_client(client).select_related("integration").get(pk=run_id)
    except (EtlRun.DoesNotExist, ValueError, TypeError):
        raise Http404("No such run.") from None


def source_last_success(*, source: Integration):
    """When the source's last complete sync ended, or None."""
    state = SyncState.objects.filter(integration=source).values_list("last_success_at", flat=True).first()
    return state


def sync_metrics():
    """Scrape-time gauges: runs in progress by kind and status, and sources whose last run failed."""
    active = GaugeMetricFamily("pulse_sync_runs_active", "ETL runs queued or running.", labels=["kind", "status"])
    for kind, status, count in (
        EtlRun.objects.filter(status__in=(EtlRun.Status.QUEUED, EtlRun.Status.RUNNING))
        .values_list("kind", "status")
        .annotate(n=Count("id"))
    ):
        active.add_metric([kind, status], count)
    last_status = (
        EtlRun.objects.filter(integration=OuterRef("pk"), finished_at__isnull=False)
        .order_by("-pk")
        .values("status")[:1]
    )
    failing = (
        Integration.objects.filter(integration_type__in=SOURCE_TYPES)
        .annotate(last=Subquery(last_status))
        .filter(last=EtlRun.Status.FAILED)
        .count()
    )
    yield active
    yield GaugeMetricFamily("pulse_sync_sources_failing", "Data sources whose last run failed.", value=failing)
