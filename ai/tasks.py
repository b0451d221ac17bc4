"""Celery tasks of the AI area: thin wrappers over services."""

from celery import shared_task

from ai.vectors.backfill import backfill_pickup, backfill_run
from ai.vectors.watch import backfill_watch


@shared_task(bind=True, name="ai.backfill_task", acks_late=True)
def backfill_task(self, job_id: int) -> dict | None:
    job = backfill_run(job_id=job_id, worker=f"{self.request.hostname}:{self.request.id}")
    return None if job is None else {"status": job.status, "processed": job.processed, "failed": job.failed}


@shared_task(name="ai.backfill_pickup_task")
def backfill_pickup_task() -> list[int]:
    backfill_watch()  # before the pickup: a job resent every minute may still be stuck
    job_ids = backfill_pickup()
    for job_id in job_ids:
        backfill_task.delay(job_id)
    return job_ids
