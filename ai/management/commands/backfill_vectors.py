import threading
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from ai.models import BackfillJob
from ai.tasks import backfill_task
from ai.vectors.backfill import backfill_run, backfill_start
from ai.vectors.sources import is_vector_source
from pulse.core.commands import command_tenant


def _bar(job: BackfillJob, width: int = 30) -> str:
    share = job.processed / job.total if job.total else 1.0
    filled = int(width * share)
    eta = f" eta {job.eta_seconds:.0f}s" if job.eta_seconds is not None else ""
    return (
        f"[{'#' * filled}{'.' * (width - filled)}] {share:6.1%} {job.processed}/{job.total} "
        f"embedded {job.succeeded - job.skipped} current {job.skipped} failed {job.failed} {job.current_table}{eta}"
    )


class Command(BaseCommand):
    help = "Vectorize every record of a tenant that has no vector yet or whose text changed."

    def add_arguments(self, parser):
        parser.add_argument("--client", required=True, help="The tenant's slug")
        parser.add_argument("--tables", nargs="*", help="Only these tables (default: every vectorized table)")
        parser.add_argument("--enqueue", action="store_true", help="Hand the job to the Celery worker and return")

    def handle(self, *args, client, tables, enqueue, **options):
        tenant = command_tenant(client)
        unknown = [t for t in tables or [] if not is_vector_source(t)]
        if unknown:
            raise CommandError(f"Not vectorized tables: {', '.join(unknown)}.")
        job, created = backfill_start(client=tenant, tables=tables or None)
        if not created:
            self.stdout.write(f"backfill #{job.pk} is already {job.status}; following it")
        if enqueue:
            if created:
                backfill_task.delay(job.pk)
            self.stdout.write(f"backfill #{job.pk} queued")
            return
        runner = None
        if created or job.status == BackfillJob.Status.QUEUED:

            def run():
                try:
                    backfill_run(job_id=job.pk, worker=f"command:{job.pk}")
                finally:
                    connection.close()

            runner = threading.Thread(target=run, daemon=True)
            runner.start()
        while True:
            job.refresh_from_db()
            self.stdout.write("\r" + _bar(job), ending="")
            self.stdout.flush()
            if job.status not in (BackfillJob.Status.QUEUED, BackfillJob.Status.RUNNING):
                break
            if runner is not None and not runner.is_alive():
                job.refresh_from_db()
                break
            time.sleep(0.5)
        self.stdout.write("")
        for error in job.last_errors[-5:]:
            self.stdout.write(self.style.WARNING(f"  {error}"))
        style = self.style.SUCCESS if job.status == BackfillJob.Status.SUCCEEDED else self.style.ERROR
        self.stdout.write(
            style(
                f"backfill #{job.pk} {job.status}: {job.succeeded - job.skipped} embedded, "
                f"{job.skipped} already current, {job.failed} failed (queued for the next run)"
            )
        )
