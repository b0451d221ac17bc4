from django.core.management.base import BaseCommand

from pulse.core.bootstrap import ADMIN_USERNAME, bootstrap_demo


class Command(BaseCommand):
    help = "Create (once) the demo tenant, its admin user and a local offline embedding provider."

    def add_arguments(self, parser):
        parser.add_argument("--password", help="Use this admin password instead of a generated one.")

    def handle(self, *args, password=None, **options):
        result = bootstrap_demo(password=password)
        for item in result.created:
            self.stdout.write(f"created {item}")
        if not result.created:
            self.stdout.write("already bootstrapped: nothing to create")
        shown = result.password or "(changed since bootstrap; use your own)"
        self.stdout.write(self.style.SUCCESS(f"login: {ADMIN_USERNAME} / {shown}"))
