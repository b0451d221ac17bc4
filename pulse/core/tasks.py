from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from pulse.core.alerts import alert_webhook_send
from pulse.core.models import TaskOwnership


@shared_task(bind=True, name="pulse.core.worker_ping_task")
def worker_ping_task(self, sent_at: str) -> dict:
    """Proves the round trip web → broker → worker: returns which worker ran it and when."""
    return {"worker": self.request.hostname, "sent_at": sent_at, "executed_at": timezone.now().isoformat()}


@shared_task(name="pulse.core.task_ownership_prune_task")
def task_ownership_prune_task() -> int:
    """Forget who sent tasks whose results have expired anyway."""
    cutoff = timezone.now() - timedelta(seconds=settings.CELERY_RESULT_EXPIRES)
    deleted, _ = TaskOwnership.objects.filter(created_at__lt=cutoff).delete()
    return deleted


@shared_task(name="pulse.core.alert_webhook_task")
def alert_webhook_task(alert_id: int) -> bool:
    """POST a newly opened alert to its tenant's webhook (one attempt; the outcome stays on the alert)."""
    return alert_webhook_send(alert_id=alert_id)
