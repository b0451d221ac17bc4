"""EtlRun bookkeeping and the step every source shares: vectorize what a batch created or changed.

A finished run is counted in the metrics; a source's second failed run in a row opens a "sync
failing" alert, and its next good run resolves it."""

import logging
import time

from django.db.models import F
from django.utils import timezone

from ai.providers.errors import AIError
from ai.vectors.bridge import RecordText, vectors_store_records
from ai.vectors.sources import vector_source
from ai.vectors.statistics import refresh_search_statistics
from etl.models import EtlRun
from pulse.core.alerts import alert_raise, alert_resolve_key
from pulse.core.metrics import SYNC_RECORDS, SYNC_RUNS, SYNC_SECONDS, tenant_label
from pulse.core.models import Alert, Client, Integration

logger = logging.getLogger(__name__)
MAX_ERRORS = 20


def run_start(*, client: Client, kind: str, integration: Integration | None = None) -> EtlRun:
    return EtlRun.objects.create(client=client, kind=kind, integration=integration)


def run_queue(*, integration: Integration) -> EtlRun:
    """A run row for a sync sent to a worker: the caller can follow it before the worker starts."""
    return EtlRun.objects.create(
        client=integration.client,
        kind=integration.integration_type,
        integration=integration,
        status=EtlRun.Status.QUEUED,
    )


def run_claim(*, integration: Integration, run_id: int | None) -> EtlRun | None:
    """The run a worker works on: the queued one it was sent with (claimed by a conditional UPDATE,
    so a redelivered message never runs it twice; None if it is taken), or a new one."""
    if run_id is None:
        return run_start(client=integration.client, kind=integration.integration_type, integration=integration)
    claimed = EtlRun.objects.filter(pk=run_id, integration=integration, status=EtlRun.Status.QUEUED).update(
        status=EtlRun.Status.RUNNING, started_at=timezone.now()
    )
    return EtlRun.objects.select_related("client", "integration").get(pk=run_id) if claimed else None


def run_abandon(*, run_id: int, reason: str) -> None:
    """A queued run whose source went away (deleted or paused) before a worker reached it."""
    now = timezone.now()
    EtlRun.objects.filter(pk=run_id, status=EtlRun.Status.QUEUED).update(
        status=EtlRun.Status.FAILED, errors=[reason], finished_at=now, duration_ms=0
    )


def run_count(run: EtlRun, **increments: int) -> None:
    """Add to the run's counters in the database (committed progress, safe if the run dies later)."""
    EtlRun.objects.filter(pk=run.pk).update(**{k: F(k) + v for k, v in increments.items() if v})
    tenant = tenant_label(run.client)
    for action, value in increments.items():
        if value:
            SYNC_RECORDS.labels(run.kind, action, tenant).inc(value)


def run_error(run: EtlRun, message: str) -> None:
    run.refresh_from_db(fields=["errors"])
    EtlRun.objects.filter(pk=run.pk).update(errors=[*run.errors, message[:1000]][-MAX_ERRORS:])


def run_finish(run: EtlRun, *, failed: bool = False) -> EtlRun:
    run.refresh_from_db()
    if failed:
        status = EtlRun.Status.FAILED
    elif run.vector_failed:
        status = EtlRun.Status.PARTIAL
    else:
        status = EtlRun.Status.SUCCEEDED
    now = timezone.now()
    EtlRun.objects.filter(pk=run.pk).update(
        status=status, finished_at=now, duration_ms=int((now - run.started_at).total_seconds() * 1000)
    )
    run.refresh_from_db()
    SYNC_RUNS.labels(run.kind, run.status, tenant_label(run.client)).inc()
    SYNC_SECONDS.labels(run.kind, run.status).observe(run.duration_ms / 1000)
    logger.info("run #%s of %s finished: %s, %s fetched", run.pk, run.kind, run.status, run.fetched)
    if run.integration_id is not None:
        _alert_on_repeated_failure(run)
    if run.vectorized:
        refresh_search_statistics()  # a large import's searches get plans for its size
    return run


def _alert_on_repeated_failure(run: EtlRun) -> None:
    key = f"sync:{run.integration_id}"
    if run.status != EtlRun.Status.FAILED:
        alert_resolve_key(client=run.client, key=key)
        return
    previous = (
        EtlRun.objects.for_client(run.client)
        .filter(integration_id=run.integration_id, pk__lt=run.pk, finished_at__isnull=False)
        .order_by("-pk")
        .first()
    )
    if previous is None or previous.status != EtlRun.Status.FAILED:
        return
    name = run.integration.integration_name
    alert_raise(
        client=run.client,
        kind=Alert.Kind.SYNC_FAILING,
        key=key,
        title=f"{name}: sync failed twice in a row",
        detail=(run.errors or ["no error recorded"])[-1],
    )


def vectorize_records(*, client: Client, run: EtlRun, table_name: str, record_ids: list[int]) -> None:
    """Vectorize records after their business rows are committed. A failure keeps the business
    data and leaves the records queued (no bridge row): the backfill completes them later."""
    if not record_ids:
        return
    source = vector_source(table_name)
    for start in range(0, len(record_ids), 256):
        chunk = record_ids[start : start + 256]
        records = [
            RecordText(r.pk, source.text(r), source.fields(r))
            for r in source.queryset(client).filter(pk__in=chunk).order_by("pk")
        ]
        began = time.perf_counter()
        try:
            result = vectors_store_records(
                client=client, table_name=table_name, records=records, vector_type=source.vector_type
            )
        except AIError as exc:
            run_count(run, vector_failed=len(records))
            run_error(run, f"vectorizing {len(records)} {table_name}: {exc} (queued for the backfill)")
            logger.warning("run %s: vectorizing %s %s failed: %s", run.pk, len(records), table_name, exc)
            continue
        run_count(run, vectorized=result.stored + result.unchanged)
        logger.debug("run %s: %s %s vectorized in %.1fs", run.pk, len(records), table_name, time.perf_counter() - began)
