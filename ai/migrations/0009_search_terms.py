# Keyword search on code-aware terms (ai.vectors.terms) on both databases: PostgreSQL's tsvector
# is now made from `terms`; SQLite (`make run`) gets an FTS5 index over them, kept current by
# triggers, so local mode has keyword and hybrid search too.

from django.db import migrations, models

from pulse.core.db import PostgresOnlySQL, SQLiteOnlySQL

BATCH = 1000


def fill_terms(apps, schema_editor):
    from ai.vectors.terms import keyword_text

    SearchDocument = apps.get_model("ai", "SearchDocument")
    last = 0
    while batch := list(SearchDocument.objects.filter(pk__gt=last).order_by("pk")[:BATCH]):
        for document in batch:
            document.terms = keyword_text(document.text)
        SearchDocument.objects.bulk_update(batch, ["terms"])
        last = batch[-1].pk


FTS_SQL = [
    "CREATE VIRTUAL TABLE ai_search_fts USING fts5(terms, tokenize='porter unicode61')",
    "CREATE TRIGGER ai_search_fts_insert AFTER INSERT ON ai_search_documents BEGIN "
    "INSERT INTO ai_search_fts(rowid, terms) VALUES (new.id, new.terms); END",
    "CREATE TRIGGER ai_search_fts_delete AFTER DELETE ON ai_search_documents BEGIN "
    "DELETE FROM ai_search_fts WHERE rowid = old.id; END",
    "CREATE TRIGGER ai_search_fts_update AFTER UPDATE OF terms ON ai_search_documents BEGIN "
    "DELETE FROM ai_search_fts WHERE rowid = old.id; "
    "INSERT INTO ai_search_fts(rowid, terms) VALUES (new.id, new.terms); END",
]


class Migration(migrations.Migration):
    dependencies = [("ai", "0008_rename_qdrantvector_vectorbridge")]

    operations = [
        migrations.AddField(model_name="searchdocument", name="terms", field=models.TextField(blank=True, default="")),
        SQLiteOnlySQL(
            sql=FTS_SQL,
            reverse_sql=[
                "DROP TRIGGER IF EXISTS ai_search_fts_update",
                "DROP TRIGGER IF EXISTS ai_search_fts_delete",
                "DROP TRIGGER IF EXISTS ai_search_fts_insert",
                "DROP TABLE IF EXISTS ai_search_fts",
            ],
        ),
        migrations.RunPython(fill_terms, migrations.RunPython.noop),
        PostgresOnlySQL(
            sql=[
                "DROP INDEX IF EXISTS idx_search_documents_tsv",
                "ALTER TABLE ai_search_documents DROP COLUMN tsv",
                "ALTER TABLE ai_search_documents ADD COLUMN tsv tsvector "
                "GENERATED ALWAYS AS (to_tsvector('english', terms)) STORED",
                "CREATE INDEX idx_search_documents_tsv ON ai_search_documents USING GIN (tsv)",
            ],
            reverse_sql=[
                "DROP INDEX IF EXISTS idx_search_documents_tsv",
                "ALTER TABLE ai_search_documents DROP COLUMN tsv",
                "ALTER TABLE ai_search_documents ADD COLUMN tsv tsvector "
                "GENERATED ALWAYS AS (to_tsvector('english', text)) STORED",
                "CREATE INDEX idx_search_documents_tsv ON ai_search_documents USING GIN (tsv)",
            ],
        ),
    ]
