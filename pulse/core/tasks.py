from celery import shared_task
from django.utils import timezone


@shared_task(bind=True, name="pulse.core.worker_ping_task")
def worker_ping_task(self, sent_at: str) -> dict:
    """Proves the round trip web → broker → worker: returns which worker ran it and when."""
    return {"worker": self.request.hostname, "sent_at": sent_at, "executed_at": timezone.now().isoformat()}
