import threading
import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from etl.models import EtlRun
from etl.services.schedules import sync_schedule_set
from etl.services.sync import SOURCE_TYPES, sync_integration
from pulse.core.models import Integration


class Command(BaseCommand):
    help = "Sync one Jira, GitHub or git integration now (incremental), showing progress; or set its schedule."

    def add_arguments(self, parser):
        parser.add_argument("integration_id", type=int)
        parser.add_argument("--every", type=int, help="Also schedule it every N minutes (0 removes the schedule)")

    def handle(self, *args, integration_id, every, **options):
        integration = Integration.objects.filter(pk=integration_id, integration_type__in=SOURCE_TYPES).first()
        if integration is None:
            raise CommandError(f"No Jira, GitHub or git integration with id {integration_id}.")
        if every is not None:
            try:
                sync_schedule_set(integration=integration, kind="interval" if every else "none", every_minutes=every)
            except ValidationError as exc:
                raise CommandError(" ".join(exc.messages)) from None
            self.stdout.write(f"schedule: every {every} minutes" if every else "schedule: removed")
        result: dict = {}

        def work():
            try:
                result["run"] = sync_integration(integration=integration)
            finally:
                connection.close()

        thread = threading.Thread(target=work, daemon=True)
        thread.start()
        while thread.is_alive():
            run = EtlRun.objects.filter(integration=integration).order_by("-id").first()
            if run:
                self.stdout.write(
                    f"\r{run.fetched} fetched, {run.created} new, {run.updated} changed, "
                    f"{run.vectorized} vectorized, {run.vector_failed} queued",
                    ending="",
                )
                self.stdout.flush()
            time.sleep(0.5)
        run = result.get("run")
        self.stdout.write("")
        if run is None:
            raise CommandError("the sync crashed; see the log")
        for error in run.errors:
            self.stdout.write(self.style.WARNING(f"  {error}"))
        summary = (
            f"run #{run.pk} {run.status}: {run.fetched} fetched, {run.created} created, {run.updated} updated, "
            f"{run.vectorized} vectorized, {run.vector_failed} queued for the backfill"
        )
        if run.status == EtlRun.Status.FAILED:
            raise CommandError(summary)
        self.stdout.write(self.style.SUCCESS(summary))
