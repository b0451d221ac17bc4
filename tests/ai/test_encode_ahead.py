"""Hybrid search encodes the query on the model's thread while it ranks keywords: the search takes
that encoding (one ledger row, one cache read, the model's own vector for the query), a cached
query starts nothing, and an encoding never taken is dropped."""

from concurrent.futures import Future

import numpy as np
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ai.models import AIUsageTracking, EmbeddingCache
from ai.providers import encode_ahead
from ai.providers.local import load_model, resolve_model_path
from ai.vectors.bridge import RecordText, vectors_store_records
from ai.vectors.embedding import content_hash
from ai.vectors.search import vectors_search
from tests.ai.factories import local_embedding
from tests.ai.test_vectors import MESSAGES

pytestmark = pytest.mark.django_db


@pytest.fixture
def indexed(tenant_a, settings):
    settings.VECTOR_STORE = "pgvector"
    local_embedding(tenant_a)
    load_model(resolve_model_path("all-MiniLM-L6-v2"))  # loaded: a cold model is left to the call
    records = [RecordText(n + 1, text) for n, text in enumerate(MESSAGES)]
    vectors_store_records(client=tenant_a, table_name="commits", records=records)
    encode_ahead.clear()
    return tenant_a


def _search(client, text, mode):
    return vectors_search(client=client, query_text=text, table_names=["commits"], hydrate=False, mode=mode)


QUERY = "null pointer in closure type checking"


def test_hybrid_search_takes_the_query_encoding_it_started(indexed):
    started, taken = encode_ahead.stats["started"], encode_ahead.stats["taken"]
    calls = AIUsageTracking.objects.filter(client=indexed).count()

    hits = _search(indexed, QUERY, "hybrid")

    assert (encode_ahead.stats["started"] - started, encode_ahead.stats["taken"] - taken) == (1, 1)
    assert AIUsageTracking.objects.filter(client=indexed).count() == calls + 1  # the call is in the ledger
    assert hits[0].record_id == 1
    # The vector the search used (and cached) is the model's own for the query, not another text's.
    cached = EmbeddingCache.objects.get(client=indexed, content_hash=content_hash(QUERY))
    expected = load_model(resolve_model_path("all-MiniLM-L6-v2")).encode([QUERY], normalize_embeddings=True)[0]
    assert np.allclose(np.frombuffer(bytes(cached.vector), dtype="<f4"), expected, atol=1e-6)


def test_hybrid_search_reads_the_embedding_cache_once(indexed):
    with CaptureQueriesContext(connection) as queries:
        _search(indexed, "coercion of GString values", "hybrid")

    reads = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('SELECT "ai_embedding_cache"')]
    assert len(reads) == 1


def test_a_cached_query_and_the_other_modes_start_nothing(indexed):
    _search(indexed, "JSON generator records", "hybrid")
    started = encode_ahead.stats["started"]

    _search(indexed, "JSON generator records", "hybrid")  # its vector is in the embedding cache now
    _search(indexed, "gradle wrapper", "vector")
    _search(indexed, "gradle wrapper", "keyword")

    assert encode_ahead.stats["started"] == started


def test_an_encoding_never_taken_is_dropped_oldest_first_and_cancelled():
    encode_ahead.clear()
    futures = [Future() for _ in range(encode_ahead.MAX_PENDING + 1)]
    for number, future in enumerate(futures):
        encode_ahead.put(("here", "model"), [f"text {number}"], future)

    assert futures[0].cancelled() and not any(f.cancelled() for f in futures[1:])
    assert encode_ahead.take(("here", "model"), ["text 0"]) is None
    assert encode_ahead.take(("here", "model"), ["text 1"]) is futures[1]
    assert encode_ahead.take(("here", "model"), ["text 1"]) is None  # taken once
    assert encode_ahead.take(("here", "other model"), ["text 2"]) is None
    encode_ahead.clear()
    assert all(f.cancelled() for f in futures[2:])
