from django.db import migrations

from pulse.core.db import PostgresOnlySQL

# The pgvector store's table. `embedding` is an untyped vector so one table serves every model;
# each collection (tenant, table, model) gets a partial HNSW index on embedding::vector(D),
# created by the store when the collection is first used.
CREATE = """
CREATE EXTENSION IF NOT EXISTS vector;
CREATE TABLE IF NOT EXISTS pgvector_embeddings (
    point_id uuid PRIMARY KEY,
    collection varchar(200) NOT NULL,
    client_id bigint NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
    table_name varchar(100) NOT NULL,
    record_id bigint NOT NULL,
    vector_type varchar(50) NOT NULL,
    embedding vector NOT NULL,
    payload jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS idx_pgvector_embeddings_collection ON pgvector_embeddings (collection, client_id);
"""


class Migration(migrations.Migration):
    dependencies = [("ai", "0004_vectors_cache_backfill"), ("core", "0002_gin_indexes")]

    operations = [PostgresOnlySQL(sql=CREATE, reverse_sql="DROP TABLE IF EXISTS pgvector_embeddings;")]
