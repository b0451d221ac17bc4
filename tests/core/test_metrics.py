"""`/metrics`: after an embedding call, a search and a failed provider call, the scrape holds the
counters and histograms with the labels an operator queries by; it is closed to strangers."""

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.ai.factories import ai_integration, local_embedding
from tests.etl.factories import make_commits

pytestmark = pytest.mark.django_db


def scrape(client, **headers) -> dict[tuple[str, frozenset], float]:
    """Every sample of the exposition by (name, labels)."""
    response = client.get("/metrics", **headers)
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    samples = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples, name: str, **labels) -> float:
    """The sum of the samples of `name` whose labels include `labels`."""
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= ls)


LOCAL = {"provider": "sentence_transformers", "model": "all-MiniLM-L6-v2"}


def test_an_embedding_a_search_and_a_failed_call_are_in_the_scrape(client, admin_a, api_as, respx_mock, tenant_a):
    local_embedding(tenant_a)
    failing = ai_integration(tenant_a, "Broken OpenAI", dimensions=384, performance={"max_retries": 0})
    respx_mock.post("https://api.openai.com/v1/embeddings").respond(401, json={"error": {"message": "bad key"}})
    commit = make_commits(tenant_a, ["Fix the flaky login test on CI"])[0]
    api = api_as(admin_a)
    before = scrape(client)

    assert api.post("/api/v1/ai/embeddings/", {"texts": ["flaky test", "slow build"]}).status_code == 200
    stored = api.post(
        "/api/v1/ai/vectors/store/",
        {"table_name": "commits", "record_id": commit.pk, "content": commit.message, "vector_type": "content"},
    )
    assert stored.status_code in (200, 201), stored.content
    searched = api.post("/api/v1/ai/vectors/search/", {"query_text": "login test", "table_names": ["commits"]})
    assert searched.status_code == 200, searched.content
    failed = api.post("/api/v1/ai/embeddings/", {"texts": ["x"], "provider_id": failing.pk})
    assert failed.status_code == 502
    after = scrape(client)

    def grew(name, **labels) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    embedding = {**LOCAL, "operation": "embedding", "tenant": ""}
    # embed (1 call) + store (1) + search's query (1): each a successful call, 4 texts in all
    assert grew("pulse_ai_calls_total", **embedding, outcome="success") == 3
    assert grew("pulse_embeddings_total", **LOCAL) == 4
    assert grew("pulse_ai_call_duration_seconds_count", **embedding, outcome="success") == 3
    assert grew("pulse_ai_tokens_total", **embedding, direction="input") > 0
    openai = {"provider": "openai", "model": "text-embedding-3-small", "operation": "embedding"}
    assert grew("pulse_ai_calls_total", **openai, outcome="error") == 1
    assert grew("pulse_ai_errors_total", **openai) == 1
    assert grew("pulse_ai_call_duration_seconds_count", **openai, outcome="error") == 1
    assert grew("pulse_vector_store_duration_seconds_count", store="qdrant", operation="search", outcome="success") == 1
    assert grew("pulse_vector_store_duration_seconds_count", store="qdrant", operation="upsert") >= 1
    request = {"view": "ai-embeddings", "method": "POST"}
    assert grew("pulse_http_request_duration_seconds_count", **request, status="200") == 1
    assert grew("pulse_http_request_duration_seconds_count", **request, status="502") == 1
    assert grew("pulse_http_request_duration_seconds_bucket", **request, status="200", le="+Inf") == 1
    # The failed call's error class is a label of its own series.
    errors = [dict(ls) for (n, ls), v in after.items() if n == "pulse_ai_errors_total" and ("provider", "openai") in ls]
    assert errors and errors[0]["error"]


def test_tenant_labels_only_where_the_setting_allows(client, admin_a, api_as, tenant_a, settings):
    local_embedding(tenant_a)
    api = api_as(admin_a)
    api.post("/api/v1/ai/embeddings/", {"texts": ["without the tenant"]})
    assert value(scrape(client), "pulse_ai_calls_total", tenant=tenant_a.slug) == 0

    settings.PULSE_METRICS_TENANT_LABELS = True
    api.post("/api/v1/ai/embeddings/", {"texts": ["with the tenant"]})
    assert value(scrape(client), "pulse_ai_calls_total", **LOCAL, tenant=tenant_a.slug) == 1


def test_backfill_and_sync_state_are_read_when_scraped(client, tenant_a):
    from ai.models import BackfillJob
    from etl.models import EtlRun

    BackfillJob.objects.create(client=tenant_a, status="running", total=40, processed=10, failed=2)
    EtlRun.objects.create(client=tenant_a, kind="git", status="queued")
    samples = scrape(client)
    assert value(samples, "pulse_backfill_jobs", status="running") == 1
    assert value(samples, "pulse_backfill_active_records", state="total") == 40
    assert value(samples, "pulse_backfill_active_records", state="failed") == 2
    assert value(samples, "pulse_sync_runs_active", kind="git", status="queued") == 1


def test_metrics_need_the_token_or_an_allowed_network(client, settings):
    settings.PULSE_METRICS_ALLOWED_NETWORKS = ["10.1.0.0/16"]
    settings.PULSE_METRICS_TOKEN = "scrape-secret-123"
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.7").status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="192.0.2.7", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    assert (
        client.get("/metrics", REMOTE_ADDR="192.0.2.7", HTTP_AUTHORIZATION="Bearer scrape-secret-123").status_code
        == 200
    )
    assert client.get("/metrics", REMOTE_ADDR="10.1.4.2").status_code == 200
    settings.PULSE_METRICS_TOKEN = ""
    settings.PULSE_METRICS_ALLOWED_NETWORKS = []
    assert client.get("/metrics").status_code == 403  # production's default: closed until configured


def test_a_database_that_fails_does_not_take_the_process_metrics_with_it(client):
    from django.db import connection

    with connection.cursor() as cursor:  # a real failure of the database facts, undone with the test
        cursor.execute("ALTER TABLE ai_backfill_jobs RENAME TO ai_backfill_jobs_away")
    response = client.get("/metrics")
    assert response.status_code == 200
    text = response.content.decode()
    assert 'pulse_metrics_collector_failed{collector="backfill_metrics"} 1.0' in text  # said, not a 500
