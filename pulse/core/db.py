"""Migration helpers for PostgreSQL-only objects (GIN indexes, extensions) that SQLite lacks."""

from django.db import migrations


class _VendorOnlySQL(migrations.RunSQL):
    """RunSQL that runs on one database vendor and is a no-op on the others."""

    vendor = ""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == self.vendor:
            super().database_backwards(app_label, schema_editor, from_state, to_state)


class PostgresOnlySQL(_VendorOnlySQL):
    """PostgreSQL-only SQL (GIN indexes, extensions); a no-op on SQLite in local mode."""

    vendor = "postgresql"


def gin_index(table: str, column: str, name: str) -> PostgresOnlySQL:
    return PostgresOnlySQL(
        sql=f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING GIN ({column})",
        reverse_sql=f"DROP INDEX IF EXISTS {name}",
    )


class SQLiteOnlySQL(_VendorOnlySQL):
    """SQLite-only SQL (FTS5 tables and their triggers, for `make run`)."""

    vendor = "sqlite"
