"""Migration helpers for PostgreSQL-only objects (GIN indexes, extensions) that SQLite lacks."""

from django.db import migrations


class PostgresOnlySQL(migrations.RunSQL):
    """RunSQL that runs on PostgreSQL and is a no-op elsewhere (SQLite in local mode)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


def gin_index(table: str, column: str, name: str) -> PostgresOnlySQL:
    return PostgresOnlySQL(
        sql=f"CREATE INDEX IF NOT EXISTS {name} ON {table} USING GIN ({column})",
        reverse_sql=f"DROP INDEX IF EXISTS {name}",
    )


class SQLiteOnlySQL(migrations.RunSQL):
    """RunSQL that runs on SQLite only (FTS5 tables and their triggers, for `make run`)."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "sqlite":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "sqlite":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
