import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from etl.services.imports import commits_import_file
from pulse.core.commands import command_tenant


class Command(BaseCommand):
    help = "Import commits from a JSON Lines file (.jsonl or .jsonl.gz), storing and vectorizing them."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--client", required=True, help="The tenant's slug")
        parser.add_argument("--repository", help="Repository name (default: each record's 'repo')")
        parser.add_argument("--no-vectors", action="store_true", help="Store only; the backfill vectorizes later")

    def handle(self, *args, path, client, repository, no_vectors, **options):
        tenant = command_tenant(client)
        source = Path(path)
        if not source.is_file():
            raise CommandError(f"No file at {source}.")
        started = time.monotonic()

        def progress(run):
            elapsed = time.monotonic() - started
            self.stdout.write(
                f"\r{run.fetched} read, {run.created} new, {run.updated} changed, {run.vectorized} vectorized, "
                f"{run.vector_failed} queued — {run.fetched / elapsed if elapsed else 0:.0f} commits/s",
                ending="",
            )
            self.stdout.flush()

        run = commits_import_file(
            client=tenant, path=source, repository_name=repository, vectorize=not no_vectors, progress=progress
        )
        self.stdout.write("")
        elapsed = time.monotonic() - started
        for error in run.errors:
            self.stdout.write(self.style.WARNING(f"  {error}"))
        summary = (
            f"run #{run.pk} {run.status} in {elapsed:.1f}s: {run.fetched} commits read, {run.created} created, "
            f"{run.updated} updated, {run.vectorized} vectorized "
            f"({run.vectorized / elapsed if elapsed else 0:.1f} vectors/s), {run.vector_failed} queued"
        )
        if run.status == "failed":
            raise CommandError(summary)
        self.stdout.write(self.style.SUCCESS(summary))
