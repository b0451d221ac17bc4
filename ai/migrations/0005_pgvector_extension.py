from django.db import migrations

from pulse.core.db import PostgresOnlySQL


class Migration(migrations.Migration):
    dependencies = [("ai", "0004_vectors_cache_backfill")]

    operations = [
        PostgresOnlySQL(sql="CREATE EXTENSION IF NOT EXISTS vector", reverse_sql=migrations.RunSQL.noop),
    ]
