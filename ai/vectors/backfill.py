"""Resumable vector backfill for a tenant.

A job row holds the plan (tables by priority, sizes), a cursor per table (the last record id
whose batch was committed) and the counts. A run claims the job with a conditional UPDATE (so two
workers never run one job), walks each table by primary key in batches (never the whole table in
memory), stores vectors for records that are new or changed, and commits progress after every
batch. A killed worker's job is picked up again from its cursor by `backfill_pickup`; a batch that
fails leaves its records without vectors, so the next run embeds them.
"""

import logging
import socket
from contextlib import nullcontext
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.http import Http404
from django.utils import timezone

from ai.models import BackfillJob, VectorBridge
from ai.providers.errors import AIError
from ai.vectors.bridge import RecordText, vectors_store_records
from ai.vectors.embedding import embedding_provider
from ai.vectors.sources import batch_size_for, vector_source, vector_sources
from ai.vectors.statistics import refresh_search_statistics
from ai.vectors.stores import get_vector_store
from pulse.core.models import Client
from pulse.core.queue import BrokerUnavailable, enqueue_on_commit

logger = logging.getLogger(__name__)
ACTIVE = (BackfillJob.Status.QUEUED, BackfillJob.Status.RUNNING)
MAX_ERRORS_KEPT = 20


class BackfillCancelled(Exception):
    pass


def _stale_after() -> timedelta:
    return timedelta(seconds=getattr(settings, "BACKFILL_STALE_SECONDS", 120))


def _embeds_locally(client: Client) -> bool:
    try:
        return embedding_provider(client).integration.provider == "sentence_transformers"
    except AIError:  # no embedding provider yet: the run will say so, batch by batch
        return False


def backfill_plan(*, client: Client, tables: list[str] | None = None) -> list[dict]:
    """Tables by priority, with their size, what has no vector yet, and the batch size."""
    sources = [vector_source(t) for t in tables] if tables else vector_sources()
    local = _embeds_locally(client)
    plan = []
    for source in sources:
        total = source.model.objects.for_client(client).count()
        vectorized = (
            VectorBridge.objects.for_client(client)
            .filter(table_name=source.table_name, vector_type=source.vector_type)
            .count()
        )
        plan.append(
            {
                "table": source.table_name,
                "total": total,
                "missing": max(total - vectorized, 0),
                "batch_size": batch_size_for(total, local=local),
                "priority": source.priority,
            }
        )
    return plan


def backfill_start(*, client: Client, tables: list[str] | None = None) -> tuple[BackfillJob, bool]:
    """Queue a backfill (one active job per tenant: an active one is returned instead).
    Returns (job, created); the caller enqueues `backfill_task` after commit when created."""
    with transaction.atomic():
        Client.objects.select_for_update().filter(pk=client.pk).first()  # serialize starts per tenant
        active = BackfillJob.objects.for_client(client).filter(status__in=ACTIVE).first()
        if active:
            return active, False
        plan = backfill_plan(client=client, tables=tables)
        job = BackfillJob.objects.create(client=client, tables=plan, total=sum(t["total"] for t in plan))
    return job, True


def backfill_queue(*, client: Client, tables: list[str] | None = None) -> tuple[BackfillJob, bool]:
    """`backfill_start`, then hand a new job to a worker once the caller's transaction commits.
    With the broker down the job stays queued and `backfill_pickup` (beat) sends it later; the
    BrokerUnavailable raised says so."""
    job = None
    try:
        with transaction.atomic():
            job, created = backfill_start(client=client, tables=tables)
            if created:
                enqueue_on_commit("ai.backfill_task", job.pk)
    except BrokerUnavailable:
        if job is None:
            raise
        raise BrokerUnavailable(
            f"The task queue is unreachable. Backfill #{job.pk} is saved and starts within a minute or two "
            "of the queue coming back."
        ) from None
    return job, created


def backfill_get(*, client: Client, job_id) -> BackfillJob:
    """The tenant's job, or a 404 (another tenant's job is as missing as one that never was)."""
    job = BackfillJob.objects.for_client(client).filter(pk=job_id).first()
    if job is None:
        raise Http404("No such backfill job.")
    return job


def backfill_cancel(*, job: BackfillJob) -> BackfillJob:
    BackfillJob.objects.filter(pk=job.pk, status=BackfillJob.Status.QUEUED).update(
        status=BackfillJob.Status.CANCELLED, finished_at=timezone.now(), cancel_requested=True
    )
    BackfillJob.objects.filter(pk=job.pk, status=BackfillJob.Status.RUNNING).update(cancel_requested=True)
    job.refresh_from_db()
    return job


def _claim(job_id: int, worker: str) -> bool:
    """One conditional UPDATE on the job row: its row count says who won, even between two workers
    racing for the same job (PostgreSQL re-checks the WHERE on the row it finally updates)."""
    now = timezone.now()
    won = BackfillJob.objects.filter(
        Q(status=BackfillJob.Status.QUEUED)
        | Q(status=BackfillJob.Status.RUNNING, heartbeat_at__lt=now - _stale_after()),
        pk=job_id,
        cancel_requested=False,
    ).update(status=BackfillJob.Status.RUNNING, worker=worker, heartbeat_at=now)
    if won:
        BackfillJob.objects.filter(pk=job_id, started_at__isnull=True).update(started_at=now)
    return bool(won)


def _record_batch(
    job_id: int,
    worker: str,
    *,
    table: str,
    cursor: int,
    processed: int,
    succeeded: int,
    failed: int,
    skipped: int,
    provider: str,
    error: str | None,
) -> BackfillJob:
    """Commit a batch's progress. The row is only written while this worker still owns the job."""
    with transaction.atomic():
        job = BackfillJob.objects.select_for_update().get(pk=job_id)
        if job.worker != worker:
            raise BackfillCancelled(f"job {job_id} was taken over by {job.worker}")
        job.cursor = {**job.cursor, table: cursor}
        job.current_table = table
        job.current_batch = F("current_batch") + 1
        job.processed = F("processed") + processed
        job.succeeded = F("succeeded") + succeeded
        job.failed = F("failed") + failed
        job.skipped = F("skipped") + skipped
        job.provider = provider or job.provider
        job.heartbeat_at = timezone.now()
        if error:
            job.last_errors = ([*job.last_errors, error])[-MAX_ERRORS_KEPT:]
        job.save()
    job.refresh_from_db()
    return job


def _tune_collections(client: Client, table_name: str) -> None:
    """Let a store that sizes its index to the collection (pgvector) fit every collection of the
    table, including those this run did not write (an index built for an older size)."""
    tune = getattr(get_vector_store(), "tune_collection", None)
    if tune is None:
        return
    collections = (
        VectorBridge.objects.for_client(client)
        .filter(table_name=table_name)
        .order_by("collection")
        .values_list("collection", flat=True)
        .distinct()
    )
    for collection in collections:
        tune(collection, client_id=client.pk)


def backfill_run(*, job_id: int, worker: str | None = None) -> BackfillJob | None:
    """Run (or resume) a job. Returns None when another worker holds it."""
    worker = worker or f"{socket.gethostname()}:{id(object())}"
    if not _claim(job_id, worker):
        return None
    job = BackfillJob.objects.select_related("client").get(pk=job_id)
    client = job.client
    # A store that indexes collections by size (pgvector) loads a table with no index to
    # maintain and builds each collection's index once, when the table's block ends.
    bulk_load = getattr(get_vector_store(), "bulk_load", nullcontext)
    try:
        for entry in job.tables:
            source = vector_source(entry["table"])
            with bulk_load():
                _backfill_table(job_id, worker, client, source, entry["batch_size"], job.cursor)
            _tune_collections(client, source.table_name)
        job.refresh_from_db()
        final = BackfillJob.Status.FAILED if job.failed else BackfillJob.Status.SUCCEEDED
    except BackfillCancelled:
        final = BackfillJob.Status.CANCELLED
    BackfillJob.objects.filter(pk=job_id, worker=worker).update(status=final, finished_at=timezone.now())
    refresh_search_statistics()  # searches right after a large load get plans for its size
    job.refresh_from_db()
    return job


def _backfill_table(job_id: int, worker: str, client: Client, source, batch_size: int, cursors: dict) -> None:
    cursor = int(cursors.get(source.table_name, 0))
    while True:
        if BackfillJob.objects.filter(pk=job_id, cancel_requested=True).exists():
            raise BackfillCancelled("cancelled")
        batch = list(source.queryset(client).filter(pk__gt=cursor).order_by("pk")[:batch_size])
        if not batch:
            return
        records = [RecordText(r.pk, source.text(r), source.fields(r)) for r in batch]
        error, stored, unchanged, provider = None, 0, 0, ""
        try:
            result = vectors_store_records(
                client=client, table_name=source.table_name, records=records, vector_type=source.vector_type
            )
            stored, unchanged, provider = result.stored, result.unchanged, result.provider
        except AIError as exc:
            # The records keep no vector, so they stay queued for the next run.
            error = f"{source.table_name} ids {batch[0].pk}-{batch[-1].pk}: {exc}"[:1000]
            logger.warning("backfill %s: %s", job_id, error)
        cursor = batch[-1].pk
        _record_batch(
            job_id,
            worker,
            table=source.table_name,
            cursor=cursor,
            processed=len(batch),
            succeeded=stored + unchanged,
            failed=len(batch) - stored - unchanged if error else 0,
            skipped=unchanged,
            provider=provider,
            error=error,
        )


def backfill_pickup() -> list[int]:
    """Jobs a worker should be running but is not: queued, or running with a stale heartbeat.
    Beat calls this so nothing stays queued after a worker crash or a lost message."""
    now = timezone.now()
    queued = BackfillJob.objects.filter(status=BackfillJob.Status.QUEUED, created_at__lt=now - timedelta(seconds=30))
    stale = BackfillJob.objects.filter(status=BackfillJob.Status.RUNNING, heartbeat_at__lt=now - _stale_after())
    return sorted(set(queued.values_list("pk", flat=True)) | set(stale.values_list("pk", flat=True)))
