"""Celery tasks of analytics: thin wrappers over services (ids in, a service call)."""

from celery import shared_task
from django.db import transaction

from analytics.insights.services import insights_proactive
from analytics.metrics.services import delivery_compute, delivery_stale_clients
from pulse.core.models import Client


@shared_task(name="analytics.delivery_refresh_task")
def delivery_refresh_task() -> list[int]:
    """Beat, every few minutes: recompute the tenants whose data changed since their last run."""
    client_ids = delivery_stale_clients()
    for client_id in client_ids:
        transaction.on_commit(lambda client_id=client_id: delivery_compute_task.delay(client_id))
    return client_ids


@shared_task(name="analytics.delivery_compute_task", acks_late=True)
def delivery_compute_task(client_id: int) -> dict | None:
    client = Client.objects.filter(pk=client_id, active=True).first()
    if client is None:
        return None
    computation = delivery_compute(client=client)
    return {"computed_at": computation.computed_at.isoformat(), "counts": computation.counts}


@shared_task(name="analytics.insights_daily_task")
def insights_daily_task() -> list[int]:
    """Beat, daily: one insights run per active tenant."""
    client_ids = list(Client.objects.filter(active=True).order_by("id").values_list("pk", flat=True))
    for client_id in client_ids:
        transaction.on_commit(lambda client_id=client_id: insights_tenant_task.delay(client_id))
    return client_ids


@shared_task(name="analytics.insights_tenant_task", acks_late=True)
def insights_tenant_task(client_id: int) -> dict | None:
    client = Client.objects.filter(pk=client_id, active=True).first()
    if client is None:
        return None
    generated = insights_proactive(client=client)
    return None if generated is None else {"insights": [i.pk for i in generated.insights]}
