"""Keyword (BM25 over PostgreSQL full text) and hybrid search, beside vector search."""

import pytest
from django.db import connection

from ai.models import SearchDocument
from ai.vectors.backfill import backfill_run, backfill_start
from ai.vectors.bridge import RecordText, vectors_store_records
from ai.vectors.fusion import link_boost, reciprocal_rank_fusion, weighted_fusion
from ai.vectors.keyword import keyword_search
from ai.vectors.search import vectors_search
from ai.vectors.sources import vector_source
from tests.ai.factories import local_embedding
from tests.etl.factories import make_commits

MESSAGES = [
    "GROOVY-11542: StackOverflowError in the STC when a closure shares a generic placeholder",
    "Fix the closure parameter inference for generics",
    "Bump gradle wrapper to 8.14",
    "Document the JsonSlurper lax parser options",
    "Refactor test code that caused codenarc errors",
    "Speed up the build cache for the docs task",
]


@pytest.fixture
def indexed(tenant_a):
    local_embedding(tenant_a)
    commits = make_commits(tenant_a, MESSAGES)
    job, _ = backfill_start(client=tenant_a)
    backfill_run(job_id=job.pk)
    return commits


def test_documents_are_written_with_the_vectors_and_keep_the_text(indexed, tenant_a):
    source = vector_source("commits")
    documents = dict(
        SearchDocument.objects.for_client(tenant_a).filter(table_name="commits").values_list("record_id", "text")
    )
    assert documents == {c.pk: source.text(source.queryset(tenant_a).get(pk=c.pk)) for c in indexed}
    with connection.cursor() as cursor:
        cursor.execute("SELECT tsv::text FROM ai_search_documents WHERE record_id = %s", [indexed[0].pk])
        assert "'stackoverflowerror'" in cursor.fetchone()[0]  # the database keeps the english tsvector


def test_keyword_search_ranks_by_bm25_and_is_tenant_scoped(indexed, tenant_a, tenant_b):
    hits = keyword_search(client=tenant_a, table_name="commits", query_text="codenarc errors in tests")
    assert hits[0][0] == indexed[4].pk
    assert hits[0][1] > 0
    # A rare term outweighs a common one: "closure" appears twice, "StackOverflowError" once.
    hits = keyword_search(client=tenant_a, table_name="commits", query_text="closure StackOverflowError")
    assert hits[0][0] == indexed[0].pk
    excluded = keyword_search(
        client=tenant_a,
        table_name="commits",
        query_text="closure StackOverflowError",
        exclude_record_ids=[indexed[0].pk],
    )
    assert indexed[0].pk not in [h[0] for h in excluded]
    assert keyword_search(client=tenant_b, table_name="commits", query_text="codenarc closure gradle") == []


def test_hybrid_fuses_both_rankings_and_finds_the_exact_identifier(indexed, tenant_a, tenant_b):
    hits = vectors_search(
        client=tenant_a, query_text="GROOVY-11542 stack overflow", table_names=["commits"], limit=3, mode="hybrid"
    )
    assert hits[0].record_id == indexed[0].pk
    assert hits[0].fields["sha"] == indexed[0].sha  # hydrated like vector hits
    assert hits[0].score > hits[1].score  # fused z-scores: first in both lists, well ahead
    keyword = vectors_search(client=tenant_a, query_text="gradle wrapper", table_names=["commits"], mode="keyword")
    assert keyword[0].record_id == indexed[2].pk and "Bump gradle" in keyword[0].preview
    local_embedding(tenant_b)
    assert vectors_search(client=tenant_b, query_text="gradle wrapper", table_names=["commits"], mode="hybrid") == []


def test_vectors_stored_before_keyword_search_get_their_documents_on_the_next_pass(tenant_a):
    local_embedding(tenant_a)
    commits = make_commits(tenant_a, MESSAGES[:3])
    records = [RecordText(c.pk, c.message) for c in commits]
    vectors_store_records(client=tenant_a, table_name="commits", records=records)
    SearchDocument.objects.for_client(tenant_a).delete()  # as before the migration
    result = vectors_store_records(client=tenant_a, table_name="commits", records=records)
    assert (result.unchanged, result.embedded) == (3, 0)  # no provider call
    assert SearchDocument.objects.for_client(tenant_a).count() == 3


def test_reciprocal_rank_fusion():
    fused = reciprocal_rank_fusion(["a", "b", "c"], ["c", "a"])
    assert fused["a"] == pytest.approx(1 / 61 + 1 / 62)
    assert fused["c"] == pytest.approx(1 / 63 + 1 / 61)
    assert fused["b"] == pytest.approx(1 / 62)
    assert max(fused, key=fused.get) == "a"


def test_the_api_takes_a_mode_and_names_a_bad_one(indexed, admin_a, api_as):
    api = api_as(admin_a)
    response = api.post(
        "/api/v1/ai/vectors/search/",
        {"query_text": "codenarc", "table_names": ["commits"], "mode": "keyword"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()[0]["record_id"] == indexed[4].pk
    response = api.post(
        "/api/v1/ai/vectors/search/", {"query_text": "x", "table_names": ["commits"], "mode": "fuzzy"}, format="json"
    )
    assert response.status_code == 400 and "mode" in response.json()


def test_weighted_fusion_keeps_a_decisive_lead_that_rank_fusion_levels():
    vector = {"a": 0.50, "b": 0.49, "c": 0.48}
    keyword = {"b": 20.0, "a": 2.0, "c": 1.9}
    rrf = reciprocal_rank_fusion(["a", "b", "c"], ["b", "a", "c"])
    assert rrf["a"] == pytest.approx(rrf["b"])  # rank fusion: a tie
    fused = weighted_fusion(vector, keyword)
    assert max(fused, key=fused.get) == "b"  # the far keyword lead wins over a near-tie in cosine
    # A record missing from one list gets that list's lowest standard score, not zero.
    fused = weighted_fusion({"a": 0.9, "b": 0.1}, {"c": 5.0, "a": 1.0}, keyword_weight=0.5, vector_weight=0.5)
    assert fused["a"] == pytest.approx(0.5 * 1 + 0.5 * -1)
    assert fused["b"] == pytest.approx(0.5 * -1 + 0.5 * -1)
    assert fused["c"] == pytest.approx(0.5 * -1 + 0.5 * 1)


def test_link_boost_lifts_records_naming_the_best_hits_work_item():
    fused = {"a": 3.0, "b": 1.0, "c": 0.0, "d": -1.0}
    boosted = link_boost(fused, {"a": {"K-1"}, "c": {"K-2"}}, {"K-1": ["a", "d", "e"], "K-2": ["b"]}, anchors=1)
    assert boosted["d"] == pytest.approx(-1 + 0.9 * 4) and boosted["e"] == boosted["d"]  # behind a, ahead of b
    assert boosted["a"] == 3.0 and boosted["b"] == 1.0  # c is no anchor: its key lifts nothing


LINKED = [
    "GROOVY-9001: Speed up the JsonSlurper number parser",
    "GROOVY-9001: follow-up: adjust the expectations",
    "Bump gradle wrapper to 8.14",
    "Refactor test code that caused codenarc errors",
    "Document the XmlSlurper namespace options",
]


def test_hybrid_is_the_default_and_lifts_the_linked_commit(tenant_a, admin_a, api_as):
    local_embedding(tenant_a)
    commits = make_commits(tenant_a, LINKED)
    job, _ = backfill_start(client=tenant_a)
    backfill_run(job_id=job.pk)
    query = {"query_text": "faster JsonSlurper number parsing", "table_names": ["commits"], "limit": 3}
    keyword = vectors_search(client=tenant_a, mode="keyword", **query)
    assert commits[1].pk not in [h.record_id for h in keyword]  # it shares no word with the query
    api = api_as(admin_a)
    response = api.post("/api/v1/ai/vectors/search/", query, format="json")
    assert response.status_code == 200
    assert [h["record_id"] for h in response.json()[:2]] == [commits[0].pk, commits[1].pk]
    # `exclude` leaves records out; the default mode answers the same as an explicit hybrid.
    response = api.post("/api/v1/ai/vectors/search/", {**query, "exclude": [commits[0].pk]}, format="json")
    ids = [h["record_id"] for h in response.json()]
    assert commits[0].pk not in ids
    assert ids == [
        h.record_id for h in vectors_search(client=tenant_a, exclude_record_ids=[commits[0].pk], mode="hybrid", **query)
    ]
    response = api.post("/api/v1/ai/vectors/search/", {**query, "exclude": ["x"]}, format="json")
    assert response.status_code == 400 and "exclude" in response.json()


def test_filters_narrow_keyword_hits_and_linked_records_too(tenant_a):
    from tests.etl.factories import make_repository

    local_embedding(tenant_a)
    groovy = make_commits(tenant_a, LINKED[:2])
    other = make_commits(
        tenant_a, ["GROOVY-9001: JsonSlurper number parser, the fork's copy"], make_repository(tenant_a, "fork/groovy")
    )
    job, _ = backfill_start(client=tenant_a)
    backfill_run(job_id=job.pk)
    query = {"client": tenant_a, "query_text": "JsonSlurper number parser", "table_names": ["commits"]}
    assert other[0].pk in [h.record_id for h in vectors_search(mode="keyword", **query)]
    for mode in ("keyword", "hybrid"):
        hits = vectors_search(mode=mode, filters={"repository": "apache/groovy"}, **query)
        ids = [h.record_id for h in hits]
        assert other[0].pk not in ids and groovy[0].pk in ids  # the fork's commit names the key too
        assert all(h.fields["repository"] == "apache/groovy" for h in hits)
