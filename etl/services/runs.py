"""EtlRun bookkeeping and the step every source shares: vectorize what a batch created or changed."""

import logging
import time

from django.db.models import F
from django.utils import timezone

from ai.providers.errors import AIError
from ai.vectors.bridge import RecordText, vectors_store_records
from ai.vectors.sources import vector_source
from etl.models import EtlRun
from pulse.core.models import Client, Integration

logger = logging.getLogger(__name__)
MAX_ERRORS = 20


def run_start(*, client: Client, kind: str, integration: Integration | None = None) -> EtlRun:
    return EtlRun.objects.create(client=client, kind=kind, integration=integration)


def run_count(run: EtlRun, **increments: int) -> None:
    """Add to the run's counters in the database (committed progress, safe if the run dies later)."""
    EtlRun.objects.filter(pk=run.pk).update(**{k: F(k) + v for k, v in increments.items() if v})


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
    return run


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
