from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from etl.services.tags import tags_import_file
from pulse.core.models import Client


class Command(BaseCommand):
    help = (
        "Import a repository's tags from a JSON Lines file (the format of ../shared/data/delivery/*.tags.jsonl) "
        "as its complete list of tags; delivery metrics count its release tags as deployments."
    )

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--client", required=True, help="The tenant's slug")
        parser.add_argument("--repository", required=True, help="Repository name, as its commits were imported")

    def handle(self, *args, path, client, repository, **options):
        tenant = Client.objects.filter(slug=client).first()
        if tenant is None:
            raise CommandError(f"No tenant with slug '{client}'.")
        source = Path(path)
        if not source.is_file():
            raise CommandError(f"No file at {source}.")
        run = tags_import_file(client=tenant, path=source, repository_name=repository)
        summary = (
            f"run #{run.pk} {run.status}: {run.fetched} tags read, {run.created} created, {run.updated} updated, "
            f"{run.unchanged} unchanged"
        )
        if run.status == "failed":
            raise CommandError(f"{summary}: {'; '.join(run.errors)}")
        self.stdout.write(self.style.SUCCESS(summary))
