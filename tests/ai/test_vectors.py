"""Vectors end to end with the real local model, in both stores: store, search, isolation,
incremental backfill, failures that leave records queued, model switches, verify and repair."""

import pytest

from ai.models import AIUsageTracking, BackfillJob, ClientAIConfiguration, VectorBridge
from ai.vectors.backfill import backfill_run, backfill_start
from ai.vectors.search import vectors_search
from ai.vectors.stores import get_vector_store
from ai.vectors.verify import vectors_verify
from tests.ai.factories import ai_integration, fake_embeddings, local_embedding
from tests.etl.factories import make_commits

pytestmark = pytest.mark.django_db

MESSAGES = [
    "GROOVY-101: Fix NullPointerException in the static type checker for closures",
    "GROOVY-102: Add support for records in the JSON generator",
    "Bump Gradle wrapper to 8.5",
    "GROOVY-103: Improve performance of GString to String coercion",
    "docs: fix typos in the metaprogramming guide",
    "GROOVY-104: Regression in trait static method dispatch",
]


@pytest.fixture(params=["qdrant", "pgvector"])
def store(request, settings):
    settings.VECTOR_STORE = request.param
    return request.param


def _local(client):
    return local_embedding(client)


def _backfill(client, tables=None):
    job, _ = backfill_start(client=client, tables=tables)
    return backfill_run(job_id=job.pk, worker="test")


def test_store_then_search_returns_the_record_for_its_own_text_first(store, admin_a, api_as):
    _local(admin_a.client)
    commits = make_commits(admin_a.client, MESSAGES)
    api = api_as(admin_a)

    for commit in commits:
        response = api.post(
            "/api/v1/ai/vectors/store/",
            {"table_name": "commits", "record_id": commit.pk, "content": commit.message},
            format="json",
        )
        assert response.status_code == 200, response.content
    for commit in commits:
        hits = api.post(
            "/api/v1/ai/vectors/search/",
            {"query_text": commit.message, "table_names": ["commits"], "limit": 3},
            format="json",
        ).json()
        assert hits[0]["record_id"] == commit.pk and hits[0]["score"] > 0.99
        assert hits[0]["fields"]["sha"] == commit.sha and hits[0]["preview"] == commit.message


def test_tenant_b_never_sees_tenant_a_even_with_a_forged_filter(store, admin_a, admin_b, api_as):
    _local(admin_a.client)
    _local(admin_b.client)
    make_commits(admin_a.client, MESSAGES)
    make_commits(admin_b.client, ["Unrelated change in tenant B"])
    _backfill(admin_a.client)
    _backfill(admin_b.client)
    api = api_as(admin_b)

    hits = api.post(
        "/api/v1/ai/vectors/search/",
        {"query_text": MESSAGES[0], "table_names": ["commits"], "limit": 50},
        format="json",
    ).json()
    forged = api.post(
        "/api/v1/ai/vectors/search/",
        {"query_text": MESSAGES[0], "table_names": ["commits"], "filters": {"client_id": admin_a.client_id}},
        format="json",
    )
    a_collection = VectorBridge.objects.filter(client=admin_a.client).first().collection
    direct = get_vector_store().search(a_collection, client_id=admin_b.client_id, vector=[0.05] * 384, limit=50)

    b_ids = set(VectorBridge.objects.filter(client=admin_b.client).values_list("record_id", flat=True))
    assert {h["record_id"] for h in hits} == b_ids
    assert forged.status_code == 400 and "client_id" in forged.json()["filters"][0]
    assert direct == []  # even B's id against A's collection finds nothing


def test_rerunning_changes_nothing_and_an_edit_re_embeds_only_that_record(store, tenant_a):
    _local(tenant_a)
    commits = make_commits(tenant_a, MESSAGES)

    first = _backfill(tenant_a)
    calls_after_first = AIUsageTracking.objects.filter(client=tenant_a).count()
    rows_before = {r.record_id: (r.point_id, r.content_hash, r.updated_at) for r in VectorBridge.objects.all()}
    second = _backfill(tenant_a)

    assert (first.status, first.succeeded, first.failed) == ("succeeded", len(MESSAGES), 0)
    assert (second.status, second.skipped) == ("succeeded", len(MESSAGES))
    assert AIUsageTracking.objects.filter(client=tenant_a).count() == calls_after_first  # no provider call
    assert {r.record_id: (r.point_id, r.content_hash, r.updated_at) for r in VectorBridge.objects.all()} == rows_before

    commits[2].message = "Bump Gradle wrapper to 8.6 and fix the daemon JVM args"
    commits[2].save()
    third = _backfill(tenant_a)

    assert third.skipped == len(MESSAGES) - 1
    changed = [
        rid for rid, row in rows_before.items() if VectorBridge.objects.get(record_id=rid).content_hash != row[1]
    ]
    assert changed == [commits[2].pk]
    row = AIUsageTracking.objects.filter(client=tenant_a).order_by("-id").first()
    assert row.input_count == 1  # one text embedded
    assert (
        vectors_search(client=tenant_a, query_text=commits[2].message, table_names=["commits"])[0].record_id
        == commits[2].pk
    )


def test_a_provider_failing_mid_backfill_leaves_records_queued_and_a_later_run_completes(
    store, tenant_a, settings, respx_mock
):
    remote = ai_integration(
        tenant_a,
        "Remote",
        base_url="https://emb.example/v1",
        dimensions=384,
        performance={"max_retries": 0, "request_batch_size": 100},
    )
    ClientAIConfiguration.objects.create(
        client=tenant_a, config_category="models", configuration={"embedding": remote.pk}
    )
    settings.AI_COOLDOWN_FAILURES = 100
    route = respx_mock.post("https://emb.example/v1/embeddings")
    calls = []

    def first_call_only(request):
        calls.append(request)
        return fake_embeddings(request, fail=len(calls) > 1)

    route.side_effect = first_call_only
    make_commits(tenant_a, [f"commit {i}: change number {i} to module {i % 7}" for i in range(250)])

    job = _backfill(tenant_a)

    assert job.status == "failed" and job.succeeded == 100 and job.failed == 150
    assert "emb.example" not in "".join(job.last_errors) and job.last_errors[0].startswith("commits ids")
    assert VectorBridge.objects.filter(client=tenant_a).count() == 100

    route.side_effect = lambda request: fake_embeddings(request, fail=False)
    later = _backfill(tenant_a)

    assert later.status == "succeeded" and later.skipped == 100 and later.succeeded == 250
    assert VectorBridge.objects.filter(client=tenant_a).count() == 250
    _assert_no_zero_vectors(tenant_a)


def _assert_no_zero_vectors(client):
    import numpy as np

    from ai.models import EmbeddingCache

    for row in EmbeddingCache.objects.filter(client=client):
        assert np.linalg.norm(np.frombuffer(bytes(row.vector), dtype="<f4")) > 0


def test_switching_the_model_creates_a_new_collection_and_never_mixes(store, tenant_a, respx_mock):
    _local(tenant_a)
    make_commits(tenant_a, MESSAGES[:3])
    _backfill(tenant_a)
    old_collection = VectorBridge.objects.first().collection
    respx_mock.post("https://emb.example/v1/embeddings").mock(side_effect=lambda r: fake_embeddings(r, fail=False))
    remote = ai_integration(tenant_a, "Remote", base_url="https://emb.example/v1", dimensions=384)
    ClientAIConfiguration.objects.filter(client=tenant_a, config_category="models").update(
        configuration={"embedding": remote.pk}
    )

    job = _backfill(tenant_a)

    collections = set(VectorBridge.objects.values_list("collection", flat=True))
    assert job.succeeded == 3 and job.skipped == 0
    assert len(collections) == 1 and collections != {old_collection}
    assert get_vector_store().point_ids(old_collection, client_id=tenant_a.pk) == set()


def test_verify_finds_and_repairs_both_sides(store, tenant_a):
    _local(tenant_a)
    commits = make_commits(tenant_a, MESSAGES[:4])
    _backfill(tenant_a)
    store_ = get_vector_store()
    lost = VectorBridge.objects.get(record_id=commits[0].pk)
    store_.delete(lost.collection, client_id=tenant_a.pk, point_ids=[str(lost.point_id)])
    orphan = VectorBridge.objects.get(record_id=commits[1].pk)
    orphan.delete()

    report = vectors_verify(client=tenant_a)
    assert report.missing_points == [("commits", commits[0].pk)]
    assert [pid for _, pid in report.orphan_points] == [str(orphan.point_id)]

    vectors_verify(client=tenant_a, repair=True)
    job = _backfill(tenant_a)

    assert job.succeeded == 4
    clean = vectors_verify(client=tenant_a)
    assert clean.missing_points == [] and clean.orphan_points == [] and clean.bridge_rows == clean.points == 4


def test_cancel_stops_a_queued_job(tenant_a, admin_a, api_as):
    _local(tenant_a)
    job, _ = backfill_start(client=tenant_a)

    response = api_as(admin_a).post(f"/api/v1/ai/vectors/backfill/{job.pk}/cancel/")

    assert response.json()["status"] == "cancelled"
    assert backfill_run(job_id=job.pk) is None
    assert BackfillJob.objects.get(pk=job.pk).status == "cancelled"


def test_bad_vector_requests_are_400s_naming_the_field(admin_a, api_as):
    api = api_as(admin_a)
    bad_table = api.post("/api/v1/ai/vectors/search/", {"query_text": "x", "table_names": ["users"]}, format="json")
    bad_limit = api.post(
        "/api/v1/ai/vectors/search/", {"query_text": "x", "table_name": "commits", "limit": 0}, format="json"
    )
    missing = api.post(
        "/api/v1/ai/vectors/store/", {"table_name": "commits", "record_id": 99999, "content": "x"}, format="json"
    )

    assert bad_table.status_code == 400 and "table_names" in bad_table.json()
    assert bad_limit.status_code == 400 and "limit" in bad_limit.json()
    assert missing.status_code == 404


def test_a_pgvector_backfill_loads_without_an_index_and_builds_it_once_at_the_end(tenant_a, settings, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from ai.vectors.stores import pgvector_index

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL with pgvector")
    settings.VECTOR_STORE = "pgvector"
    # Tiers at test sizes: row by row, ingest would build the index at 2 points and rebuild it at 4.
    monkeypatch.setattr(pgvector_index, "EXACT_BELOW", 2)
    monkeypatch.setattr(pgvector_index, "TIERS", ((0, 16, 64, 100), (4, 24, 200, 400)))
    _local(tenant_a)
    commits = make_commits(tenant_a, MESSAGES)
    job, _ = backfill_start(client=tenant_a)
    job.tables = [{**entry, "batch_size": 2} for entry in job.tables]
    job.save()

    with CaptureQueriesContext(connection) as run:
        assert backfill_run(job_id=job.pk, worker="test").succeeded == len(MESSAGES)

    builds = [q["sql"] for q in run.captured_queries if q["sql"].startswith("CREATE INDEX")]
    assert len(builds) == 1 and "m = 24, ef_construction = 200" in builds[0]
    found = vectors_search(client=tenant_a, query_text=MESSAGES[3], table_names=["commits"], mode="vector")
    assert found[0].record_id == commits[3].pk
