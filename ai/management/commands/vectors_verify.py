from django.core.management.base import BaseCommand, CommandError

from ai.vectors.verify import vectors_verify
from pulse.core.models import Client


class Command(BaseCommand):
    help = "Compare bridge rows with the vector store; --repair fixes either side."

    def add_arguments(self, parser):
        parser.add_argument("--client", help="The tenant's slug (default: every tenant)")
        parser.add_argument("--repair", action="store_true")

    def handle(self, *args, client, repair, **options):
        tenants = Client.objects.filter(slug=client) if client else Client.objects.all()
        if client and not tenants.exists():
            raise CommandError(f"No tenant with slug '{client}'.")
        problems = 0
        for tenant in tenants:
            report = vectors_verify(client=tenant, repair=repair)
            problems += len(report.missing_points) + len(report.orphan_points)
            self.stdout.write(
                f"{tenant.slug}: {report.bridge_rows} bridge rows, {report.points} points in {report.collections} "
                f"collections; {len(report.missing_points)} rows without a point, "
                f"{len(report.orphan_points)} points without a row"
                + (f"; repaired {report.repaired}" if repair else "")
            )
        if problems and not repair:
            raise CommandError(f"{problems} mismatches; run with --repair to fix them")
