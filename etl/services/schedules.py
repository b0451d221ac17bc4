"""Per-source sync schedules in django-celery-beat's tables: every N minutes, or a cron expression
(UTC). The hub, the API, the `sync_integration --every` command and the admin edit the same row,
and beat picks up a change without a restart."""

import json
from dataclasses import dataclass
from datetime import datetime

from celery.schedules import crontab
from django.core.exceptions import ValidationError
from django.db import transaction
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask

from pulse.core.models import Integration

MIN_MINUTES = 5  # sources rate-limit; a sync rarely finishes faster anyway
MAX_MINUTES = 7 * 24 * 60
CRON_FIELDS = ("minute", "hour", "day_of_month", "month_of_year", "day_of_week")


@dataclass(frozen=True)
class SyncSchedule:
    kind: str  # "none" | "interval" | "cron"
    every_minutes: int | None = None
    cron: str = ""
    enabled: bool = False
    last_run_at: datetime | None = None

    @property
    def label(self) -> str:
        if self.kind == "interval":
            return f"every {self.every_minutes} minutes"
        if self.kind == "cron":
            return f"cron {self.cron} (UTC)"
        return "manual only"


def _name(integration: Integration) -> str:
    return f"sync integration {integration.pk} ({integration.client.slug})"


def sync_schedule_get(*, integration: Integration) -> SyncSchedule:
    task = (
        PeriodicTask.objects.select_related("interval", "crontab").filter(name=_name(integration)).first()
        if integration.pk
        else None
    )
    if task is None:
        return SyncSchedule(kind="none")
    if task.crontab_id:
        c = task.crontab
        cron = " ".join([c.minute, c.hour, c.day_of_month, c.month_of_year, c.day_of_week])
        return SyncSchedule(kind="cron", cron=cron, enabled=task.enabled, last_run_at=task.last_run_at)
    every = task.interval.every if task.interval_id else None
    return SyncSchedule(kind="interval", every_minutes=every, enabled=task.enabled, last_run_at=task.last_run_at)


def cron_problem(expression: str) -> str | None:
    """Why `expression` is not a schedule Pulse runs (five fields, valid, at most every 5 minutes)."""
    parts = expression.split()
    if len(parts) != len(CRON_FIELDS):
        return "Five fields: minute hour day-of-month month day-of-week, e.g. '0 */6 * * *'."
    try:
        schedule = crontab(**dict(zip(CRON_FIELDS, parts, strict=True)))
    except (ValueError, TypeError) as exc:
        return f"Not a cron expression: {exc}."
    minutes = sorted(schedule.minute)
    gaps = [(b - a) for a, b in zip(minutes, [*minutes[1:], minutes[0] + 60], strict=True)]
    if len(minutes) > 1 and min(gaps) < MIN_MINUTES:
        return f"At most one sync every {MIN_MINUTES} minutes: sources rate-limit."
    return None


def sync_schedule_clean(*, kind: str, every_minutes: int | None = None, cron: str = "") -> SyncSchedule:
    """The schedule asked for, or a ValidationError naming the field."""
    if kind == "none":
        return SyncSchedule(kind="none")
    if kind == "interval":
        if every_minutes is None or not MIN_MINUTES <= int(every_minutes) <= MAX_MINUTES:
            raise ValidationError(
                {"every_minutes": f"Between {MIN_MINUTES} and {MAX_MINUTES} minutes (a week): sources rate-limit."}
            )
        return SyncSchedule(kind="interval", every_minutes=int(every_minutes), enabled=True)
    if kind == "cron":
        cron = " ".join((cron or "").split())
        if problem := cron_problem(cron):
            raise ValidationError({"cron": problem})
        return SyncSchedule(kind="cron", cron=cron, enabled=True)
    raise ValidationError({"kind": "One of: none, interval, cron."})


@transaction.atomic
def sync_schedule_set(
    *, integration: Integration, kind: str = "interval", every_minutes: int | None = None, cron: str = ""
) -> SyncSchedule:
    """Schedule `integration`'s sync (`kind` none removes the schedule)."""
    schedule = sync_schedule_clean(kind=kind, every_minutes=every_minutes, cron=cron)
    if schedule.kind == "none":
        PeriodicTask.objects.filter(name=_name(integration)).delete()
        return schedule
    defaults = {"task": "etl.sync_integration_task", "args": json.dumps([integration.pk]), "enabled": True}
    if schedule.kind == "interval":
        interval, _ = IntervalSchedule.objects.get_or_create(
            every=schedule.every_minutes, period=IntervalSchedule.MINUTES
        )
        defaults |= {"interval": interval, "crontab": None}
    else:
        fields = dict(zip(CRON_FIELDS, schedule.cron.split(), strict=True))
        entry, _ = CrontabSchedule.objects.get_or_create(**fields, timezone="UTC")
        defaults |= {"crontab": entry, "interval": None}
    PeriodicTask.objects.update_or_create(name=_name(integration), defaults=defaults)
    return sync_schedule_get(integration=integration)


def sync_schedule_delete(*, integration: Integration) -> None:
    PeriodicTask.objects.filter(name=_name(integration)).delete()
