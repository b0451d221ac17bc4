"""After a large write the search tables' planner statistics are refreshed by Pulse itself, not left
to autovacuum (which can be off): with the statistics of an empty table keyword rankings over
20,000 commits took seconds instead of milliseconds (bench/README.md)."""

import pytest
from django.db import connection, transaction

from ai.models import SearchDocument
from ai.vectors import statistics
from ai.vectors.backfill import backfill_run, backfill_start
from ai.vectors.statistics import refresh_search_statistics
from ai.vectors.terms import keyword_text
from tests.ai.factories import local_embedding
from tests.etl.factories import make_commits


def _analysed_at(table: str):
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_analyze FROM pg_stat_user_tables WHERE relname = %s", [table])
        return cursor.fetchone()[0]


def _believed_rows(table: str) -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = %s", [table])
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_many_new_documents_get_their_tables_analysed_once(tenant_a):
    refresh_search_statistics(min_changes=0)  # start from fresh statistics
    texts = [f"GROOVY-{n}: fix closure coercion number {n} in the static type checker" for n in range(1200)]
    SearchDocument.objects.bulk_create(
        [
            SearchDocument(
                client=tenant_a, table_name="commits", record_id=n, vector_type="content", text=t, terms=keyword_text(t)
            )
            for n, t in enumerate(texts)
        ]
    )

    analysed = refresh_search_statistics()

    assert {"ai_search_documents", "ai_search_postings"} <= set(analysed)
    assert _believed_rows("ai_search_documents") >= 1200
    assert _believed_rows("ai_search_postings") >= 1200 * 5
    assert refresh_search_statistics() == []  # nothing changed since


@pytest.mark.django_db(transaction=True)
def test_a_backfill_refreshes_them_and_a_caller_transaction_is_left_alone(tenant_a, settings, monkeypatch):
    settings.VECTOR_STORE = "pgvector"
    monkeypatch.setattr(statistics, "MIN_CHANGES", 1)
    refresh_search_statistics(min_changes=0)
    before = _analysed_at("ai_search_documents")
    local_embedding(tenant_a)
    make_commits(tenant_a, [f"GROOVY-{n}: bump dependency {n}" for n in range(6)])

    with transaction.atomic():
        assert refresh_search_statistics(min_changes=0) == []  # ANALYZE would hold its locks to the end
    job, _ = backfill_start(client=tenant_a)
    backfill_run(job_id=job.pk, worker="test")

    assert _analysed_at("ai_search_documents") > before


@pytest.mark.django_db(transaction=True)
def test_a_table_another_process_holds_is_skipped_not_waited_for(tenant_a, caplog):
    import psycopg
    from django.conf import settings

    refresh_search_statistics(min_changes=0)
    texts = [f"GROOVY-{n}: bump dependency {n}" for n in range(1200)]
    SearchDocument.objects.bulk_create(
        [
            SearchDocument(client=tenant_a, table_name="commits", record_id=n, vector_type="content", text=t, terms=t)
            for n, t in enumerate(texts)
        ]
    )
    db = settings.DATABASES["default"]
    with psycopg.connect(host=db["HOST"], port=db["PORT"], user=db["USER"], dbname=db["NAME"]) as other:
        # What CREATE INDEX CONCURRENTLY holds for the whole build, and ANALYZE needs.
        other.execute("LOCK TABLE ai_search_documents IN SHARE UPDATE EXCLUSIVE MODE")
        with connection.cursor() as cursor:
            cursor.execute("SET statement_timeout = '20s'")  # a regression fails here, not hangs
        try:
            analysed = refresh_search_statistics()
        finally:
            with connection.cursor() as cursor:
                cursor.execute("RESET statement_timeout")

    assert "ai_search_documents" not in analysed and "ai_search_postings" in analysed
    assert "lock timeout" in caplog.text  # given up after LOCK_WAIT, not cancelled at 20 s
    assert refresh_search_statistics() == ["ai_search_documents"]  # the next writer catches up
