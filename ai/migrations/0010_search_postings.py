# Keyword search on PostgreSQL reads an inverted index (one row per document and lexeme) instead
# of evaluating `tsv @@ term` on every document that holds a query term: the old statements cost
# ~80 ms per query at 20,000 documents and grew with the tenant (bench/README.md, retrieval.py).
# Triggers on ai_search_documents keep the postings in step with the documents' tsvector, so every
# write path (the bridge's bulk upserts, ORM updates and deletes, a tenant's cascade) is covered.
# PostgreSQL only: SQLite (`make run`) keeps its FTS5 index (0009).
#
# With it, term frequency counts and the subject line weighs more (BM25F-style, tuned on the first
# 250 public queries only): `terms` now keeps the subject's terms on their own first line (refilled
# here), the tsvector marks them with weight A, and a posting's `tf` counts an A occurrence
# twice (`THEN 2` below). Reversing leaves the two-line `terms` (a newline is a space to both
# databases' parsers) and restores the unweighted tsvector.

from django.db import migrations

from pulse.core.db import PostgresOnlySQL

BATCH = 1000


# 0009's function, copied: a migration keeps its own code, so later edits elsewhere cannot change
# what it does on a database that has not run it yet.
def fill_terms(apps, schema_editor):
    from ai.vectors.terms import keyword_text

    SearchDocument = apps.get_model("ai", "SearchDocument")
    last = 0
    while batch := list(SearchDocument.objects.filter(pk__gt=last).order_by("pk")[:BATCH]):
        for document in batch:
            document.terms = keyword_text(document.text)
        SearchDocument.objects.bulk_update(batch, ["terms"])
        last = batch[-1].pk


def _tsvector(expression: str) -> list[str]:
    return [
        "DROP INDEX IF EXISTS idx_search_documents_tsv",
        "ALTER TABLE ai_search_documents DROP COLUMN tsv",
        f"ALTER TABLE ai_search_documents ADD COLUMN tsv tsvector GENERATED ALWAYS AS ({expression}) STORED",
        "CREATE INDEX idx_search_documents_tsv ON ai_search_documents USING GIN (tsv)",
    ]


WEIGHTED = (
    "setweight(to_tsvector('english', split_part(terms, E'\\n', 1)), 'A') || "
    "to_tsvector('english', CASE WHEN strpos(terms, E'\\n') > 0 THEN substr(terms, strpos(terms, E'\\n') + 1) "
    "ELSE '' END)"
)

COLUMNS = "client_id, table_name, vector_type, lexeme, record_id, tf, doc_len"
# A document's postings: its tsvector's lexemes, each with how often it occurs (positions) and
# the document's length in distinct lexemes (what BM25's length norm reads).
POSTINGS_OF = (
    "SELECT d.client_id, d.table_name, d.vector_type, u.lexeme, d.record_id, "
    "least(coalesce((SELECT sum(CASE WHEN w = 'A' THEN 2 ELSE 1 END) FROM unnest(u.weights) w), 1), "
    "32767)::smallint, length(d.tsv) "
    "FROM {rows} d, unnest(d.tsv) u"
)
# Delete by the old tsvector's own lexemes, so every delete is a primary-key probe (no second
# index on record_id is needed).
DELETE_OF = (
    "DELETE FROM ai_search_postings p USING {rows} d, unnest(d.tsv) u "
    "WHERE p.client_id = d.client_id AND p.table_name = d.table_name AND p.vector_type = d.vector_type "
    "AND p.lexeme = u.lexeme AND p.record_id = d.record_id"
)
CHANGED = (
    "(SELECT o.* FROM old_rows o JOIN new_rows n ON n.id = o.id WHERE (o.tsv, o.client_id, o.table_name, "
    "o.vector_type, o.record_id) IS DISTINCT FROM (n.tsv, n.client_id, n.table_name, n.vector_type, n.record_id))"
)
CHANGED_NEW = CHANGED.replace("SELECT o.*", "SELECT n.*")

FORWARD = [
    *_tsvector(WEIGHTED),
    "CREATE TABLE ai_search_postings ("
    " client_id bigint NOT NULL, table_name varchar(100) NOT NULL, vector_type varchar(50) NOT NULL,"
    " lexeme text NOT NULL, record_id bigint NOT NULL, tf smallint NOT NULL, doc_len integer NOT NULL,"
    " PRIMARY KEY (client_id, table_name, vector_type, lexeme, record_id) INCLUDE (tf, doc_len))",
    f"""CREATE FUNCTION ai_search_postings_sync() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'INSERT' THEN
            INSERT INTO ai_search_postings ({COLUMNS}) {POSTINGS_OF.format(rows="new_rows")};
        ELSIF TG_OP = 'DELETE' THEN
            {DELETE_OF.format(rows="old_rows")};
        ELSIF TG_OP = 'UPDATE' THEN
            {DELETE_OF.format(rows=CHANGED)};
            INSERT INTO ai_search_postings ({COLUMNS}) {POSTINGS_OF.format(rows=CHANGED_NEW)};
        ELSIF TG_OP = 'TRUNCATE' THEN
            TRUNCATE ai_search_postings;
        END IF;
        RETURN NULL;
    END $$""",
    # Statement triggers with transition tables: one INSERT of all postings per bulk upsert.
    "CREATE TRIGGER ai_search_postings_insert AFTER INSERT ON ai_search_documents "
    "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ai_search_postings_sync()",
    "CREATE TRIGGER ai_search_postings_update AFTER UPDATE ON ai_search_documents "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT "
    "EXECUTE FUNCTION ai_search_postings_sync()",
    "CREATE TRIGGER ai_search_postings_delete AFTER DELETE ON ai_search_documents "
    "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION ai_search_postings_sync()",
    "CREATE TRIGGER ai_search_postings_truncate AFTER TRUNCATE ON ai_search_documents "
    "FOR EACH STATEMENT EXECUTE FUNCTION ai_search_postings_sync()",
    f"INSERT INTO ai_search_postings ({COLUMNS}) {POSTINGS_OF.format(rows='ai_search_documents')}",
    "ANALYZE ai_search_postings",
]

BACKWARD = [
    "DROP TRIGGER IF EXISTS ai_search_postings_truncate ON ai_search_documents",
    "DROP TRIGGER IF EXISTS ai_search_postings_delete ON ai_search_documents",
    "DROP TRIGGER IF EXISTS ai_search_postings_update ON ai_search_documents",
    "DROP TRIGGER IF EXISTS ai_search_postings_insert ON ai_search_documents",
    "DROP FUNCTION IF EXISTS ai_search_postings_sync()",
    "DROP TABLE IF EXISTS ai_search_postings",
    *_tsvector("to_tsvector('english', terms)"),
]


class Migration(migrations.Migration):
    dependencies = [("ai", "0009_search_terms")]

    operations = [
        migrations.RunPython(fill_terms, migrations.RunPython.noop),
        PostgresOnlySQL(sql=FORWARD, reverse_sql=BACKWARD),
    ]
