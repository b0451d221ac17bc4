from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from etl.clients.git import GitSourceError, head_sha
from etl.services.sources import source_create
from pulse.core.commands import command_tenant
from pulse.core.models import Integration


class Command(BaseCommand):
    help = "Import a local git repository's commits (creating its git integration once), then keep it incremental."

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--client", required=True, help="The tenant's slug")
        parser.add_argument("--branch", default="HEAD")
        parser.add_argument("--repository", help="Name to show (default: the folder's name)")

    def handle(self, *args, path, client, branch, repository, **options):
        tenant = command_tenant(client)
        folder = Path(path).resolve()
        try:
            head_sha(folder, branch)
        except GitSourceError as exc:
            raise CommandError(f"{folder}: {exc}") from None
        name = repository or folder.name
        integration = Integration.objects.for_client(tenant).filter(integration_name=f"git: {name}").first()
        if integration is None:
            # The same service as the hub and the API: the folder must lie under PULSE_GIT_ROOTS.
            try:
                integration = source_create(
                    client=tenant,
                    kind=Integration.Type.GIT,
                    data={"name": f"git: {name}", "path": str(folder), "branch": branch, "repository": name},
                )
            except ValidationError as exc:
                raise CommandError("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())) from None
            self.stdout.write(f"created integration #{integration.pk} for {folder}")
        else:
            self.stdout.write(f"using integration #{integration.pk} for {folder}")
        call_command("sync_integration", str(integration.pk), stdout=self.stdout, stderr=self.stderr)
