"""Per-integration sync schedules in django-celery-beat's tables (editable in the admin)."""

import json

from django_celery_beat.models import IntervalSchedule, PeriodicTask

from pulse.core.models import Integration


def _name(integration: Integration) -> str:
    return f"sync integration {integration.pk} ({integration.client.slug})"


def sync_schedule_set(*, integration: Integration, every_minutes: int | None) -> PeriodicTask | None:
    """Sync `integration` every N minutes; None removes the schedule."""
    if every_minutes is None:
        PeriodicTask.objects.filter(name=_name(integration)).delete()
        return None
    if every_minutes < 5:
        raise ValueError("sync at most every 5 minutes: sources rate-limit")
    interval, _ = IntervalSchedule.objects.get_or_create(every=every_minutes, period=IntervalSchedule.MINUTES)
    task, _ = PeriodicTask.objects.update_or_create(
        name=_name(integration),
        defaults={
            "task": "etl.sync_integration_task",
            "interval": interval,
            "args": json.dumps([integration.pk]),
            "enabled": True,
        },
    )
    return task
