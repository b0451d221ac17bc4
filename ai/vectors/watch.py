"""Backfills as the operator sees them: a stuck job opens an alert (beat's pickup runs the watch
every minute), and `/metrics` reads the jobs' state from the database when it is scraped.

Stuck: running with no heartbeat, or queued with no worker taking it, for
PULSE_ALERT_BACKFILL_STUCK_MINUTES. A job that ends resolves its alert.
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import Count, Sum
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily

from ai.models import BackfillJob
from pulse.core.alerts import alert_raise, alert_resolve_key
from pulse.core.models import Alert

ACTIVE = (BackfillJob.Status.QUEUED, BackfillJob.Status.RUNNING)


def _key(job_id: int) -> str:
    return f"backfill:{job_id}"


def backfill_watch() -> list[int]:
    """Raise an alert per stuck job and resolve those of jobs that have ended; the stuck job ids."""
    cutoff = timezone.now() - timedelta(minutes=settings.PULSE_ALERT_BACKFILL_STUCK_MINUTES)
    jobs = BackfillJob.objects.select_related("client")
    stuck = list(jobs.filter(status=BackfillJob.Status.RUNNING, heartbeat_at__lt=cutoff)) + list(
        jobs.filter(status=BackfillJob.Status.QUEUED, created_at__lt=cutoff)
    )
    for job in stuck:
        since = job.heartbeat_at or job.created_at
        waiting = "no worker has taken it" if job.status == BackfillJob.Status.QUEUED else "no progress"
        alert_raise(
            client=job.client,
            kind=Alert.Kind.BACKFILL_STUCK,
            key=_key(job.pk),
            title=f"Backfill #{job.pk} is stuck",
            detail=f"{job.status} since {since:%Y-%m-%d %H:%M} UTC, {waiting}; {job.processed} of {job.total} checked.",
        )
    open_keys = Alert.objects.filter(kind=Alert.Kind.BACKFILL_STUCK, state=Alert.State.OPEN).select_related("client")
    for alert in open_keys:
        job_id = int(alert.key.split(":", 1)[1])
        if not BackfillJob.objects.filter(pk=job_id, status__in=ACTIVE).exists():
            alert_resolve_key(client=alert.client, key=alert.key)
    return [job.pk for job in stuck]


def backfill_metrics():
    """Scrape-time gauges: jobs by status, and the records of active jobs (total, checked, failed)."""
    jobs = GaugeMetricFamily("pulse_backfill_jobs", "Backfill jobs by status.", labels=["status"])
    counts = dict(BackfillJob.objects.values_list("status").annotate(n=Count("id")))
    for status in BackfillJob.Status.values:
        jobs.add_metric([status], counts.get(status, 0))
    records = GaugeMetricFamily(
        "pulse_backfill_active_records", "Records of queued and running backfills.", labels=["state"]
    )
    totals = BackfillJob.objects.filter(status__in=ACTIVE).aggregate(
        total=Sum("total"), processed=Sum("processed"), failed=Sum("failed")
    )
    for state in ("total", "processed", "failed"):
        records.add_metric([state], totals[state] or 0)
    yield jobs
    yield records
