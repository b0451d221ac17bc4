from pathlib import Path

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from etl.clients.git import GitSourceError, head_sha
from pulse.core.models import Client, Integration


class Command(BaseCommand):
    help = "Import a local git repository's commits (creating its git integration once), then keep it incremental."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--client", required=True, help="The tenant's slug")
        parser.add_argument("--branch", default="HEAD")
        parser.add_argument("--repository", help="Name to show (default: the folder's name)")

    def handle(self, *args, path, client, branch, repository, **options):
        tenant = Client.objects.filter(slug=client).first()
        if tenant is None:
            raise CommandError(f"No tenant with slug '{client}'.")
        folder = Path(path).resolve()
        try:
            head_sha(folder, branch)
        except GitSourceError as exc:
            raise CommandError(f"{folder}: {exc}") from None
        name = repository or folder.name
        integration, created = Integration.objects.get_or_create(
            client=tenant,
            integration_type=Integration.Type.GIT,
            integration_name=f"git: {name}",
            defaults={
                "integration_subtype": Integration.Subtype.DATA_SOURCE,
                "configuration": {"path": str(folder), "branch": branch, "repository": name},
            },
        )
        self.stdout.write(f"{'created' if created else 'using'} integration #{integration.pk} for {folder}")
        call_command("sync_integration", str(integration.pk), stdout=self.stdout, stderr=self.stderr)
