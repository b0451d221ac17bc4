"""Celery tasks of the ETL: thin wrappers over services."""

from celery import shared_task

from etl.services.runs import run_abandon
from etl.services.sync import sync_integration
from pulse.core import logs
from pulse.core.models import Integration


@shared_task(name="etl.sync_integration_task", acks_late=True)
def sync_integration_task(integration_id: int, run_id: int | None = None) -> dict | None:
    """Sync a source: `run_id` is the queued run of a "Sync now"; beat's schedules send none."""
    integration = (
        Integration.objects.filter(pk=integration_id, active=True, client__active=True).select_related("client").first()
    )
    if integration is None:  # deleted, paused or its tenant deactivated since it was sent
        if run_id is not None:
            run_abandon(run_id=run_id, reason="The source was deleted or paused before the sync started.")
        return None
    logs.bind(tenant_id=integration.client_id)
    run = sync_integration(integration=integration, run_id=run_id)
    if run is None:
        return None  # a redelivered message: another worker has this run
    return {"run": run.pk, "status": run.status, "fetched": run.fetched, "vectorized": run.vectorized}
