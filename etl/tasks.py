"""Celery tasks of the ETL: thin wrappers over services."""

from celery import shared_task

from etl.services.sync import sync_integration
from pulse.core.models import Integration


@shared_task(name="etl.sync_integration_task", acks_late=True)
def sync_integration_task(integration_id: int) -> dict | None:
    integration = Integration.objects.filter(pk=integration_id, active=True).select_related("client").first()
    if integration is None:
        return None  # deleted or paused since it was scheduled
    run = sync_integration(integration=integration)
    return {"run": run.pk, "status": run.status, "fetched": run.fetched, "vectorized": run.vectorized}
