"""`manage.py sql_layer`: rebuild the SQL agent's views and read-only role (PostgreSQL), or list
the views with their descriptions (`--describe`)."""

from django.core.management.base import BaseCommand

from analytics.sql.install import sql_layer_install
from analytics.sql.layer import describe


class Command(BaseCommand):
    help = "Rebuild the SQL agent's semantic-layer views (PostgreSQL) or print their descriptions."

    def add_arguments(self, parser):
        parser.add_argument("--describe", action="store_true", help="Print the views, columns and joins.")

    def handle(self, *args, **options):
        if options["describe"]:
            self.stdout.write(describe())
            return
        if sql_layer_install(force=True):
            self.stdout.write("Semantic layer views rebuilt.")
        else:
            self.stdout.write("Nothing to build: SQLite creates the views per query, or the tables are missing.")
