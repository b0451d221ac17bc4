"""A store call embeds batch by batch and writes each batch while the local model encodes the next
(issue 15 goal 4): the vectors are the model's own, every batch after the first is started ahead,
a failure keeps the batches already written and stores nothing made up, and a batch started for
nothing is dropped."""

from concurrent.futures import Future

import numpy as np
import pytest

from ai.models import SearchDocument, VectorBridge
from ai.providers import encode_ahead
from ai.providers.errors import AIError
from ai.providers.local import load_model, resolve_model_path
from ai.vectors.bridge import RecordText, vectors_store_records
from ai.vectors.embedding import LOCAL_BATCH, content_hash
from ai.vectors.stores import get_vector_store
from tests.ai.factories import ai_integration, fake_embeddings, local_embedding

pytestmark = pytest.mark.django_db


def _records(count: int, words: str) -> list[RecordText]:
    return [RecordText(record_id=i + 1, text=f"{words} {i}: " + "change " * (i % 9)) for i in range(count)]


def test_each_batch_after_the_first_is_encoded_ahead_and_the_vectors_are_the_models_own(tenant_a, settings):
    settings.VECTOR_STORE = "pgvector"
    local_embedding(tenant_a)
    model = load_model(resolve_model_path("all-MiniLM-L6-v2"))
    records = _records(2 * LOCAL_BATCH + 40, "GROOVY-1: fix closure coercion in the type checker")
    encode_ahead.clear()
    taken = encode_ahead.stats["taken"]

    result = vectors_store_records(client=tenant_a, table_name="commits", records=records)

    assert result.stored == result.embedded == len(records)
    assert encode_ahead.stats["taken"] - taken == 3  # all three batches came from encodings started ahead
    rows = VectorBridge.objects.filter(client=tenant_a, table_name="commits")
    assert rows.count() == len(records) == SearchDocument.objects.filter(client=tenant_a).count()
    store, collection = get_vector_store(), rows.first().collection
    sample = [records[0], records[LOCAL_BATCH + 5], records[-1]]
    expected = model.encode([r.text for r in sample], normalize_embeddings=True)
    for record, vector in zip(sample, expected, strict=True):
        [hit] = store.search(collection, client_id=tenant_a.pk, vector=vector.tolist(), limit=1, filters={})
        assert hit.record_id == record.record_id and hit.score > 0.9999


def test_a_failure_mid_call_keeps_the_written_batches_and_stores_nothing_else(tenant_a, settings, respx_mock):
    settings.VECTOR_STORE = "pgvector"
    settings.AI_COOLDOWN_FAILURES = 100
    remote = ai_integration(
        tenant_a,
        "Remote",
        base_url="https://emb.example/v1",
        dimensions=384,
        performance={"max_retries": 0, "request_batch_size": 100},
    )
    calls = []

    def second_call_fails(request):
        calls.append(request)
        return fake_embeddings(request, fail=len(calls) == 2)

    respx_mock.post("https://emb.example/v1/embeddings").mock(side_effect=second_call_fails)
    records = _records(250, "GROOVY-2: bump a dependency")

    with pytest.raises(AIError):
        vectors_store_records(client=tenant_a, table_name="commits", records=records, integration=remote)

    bridges = VectorBridge.objects.filter(client=tenant_a)
    assert bridges.count() == 100 == SearchDocument.objects.filter(client=tenant_a).count()
    assert len(get_vector_store().point_ids(bridges.first().collection, client_id=tenant_a.pk)) == 100


def test_a_record_given_twice_keeps_its_last_text(tenant_a, settings):
    settings.VECTOR_STORE = "pgvector"
    local_embedding(tenant_a)
    last = "short"
    records = [RecordText(1, "a much longer first text " * 20), RecordText(2, "other"), RecordText(1, last)]

    result = vectors_store_records(client=tenant_a, table_name="commits", records=records)

    assert result.stored == 2
    assert VectorBridge.objects.get(client=tenant_a, record_id=1).content_hash == content_hash(last)
    assert SearchDocument.objects.get(client=tenant_a, record_id=1).text == last


def test_a_batch_started_for_nothing_is_dropped_oldest_first_and_cancelled():
    encode_ahead.clear()
    futures = [Future() for _ in range(encode_ahead.MAX_PENDING + 1)]
    for number, future in enumerate(futures):
        encode_ahead.put(("here", "model"), [f"text {number}"], future)

    assert futures[0].cancelled() and not any(f.cancelled() for f in futures[1:])
    assert encode_ahead.take(("here", "model"), ["text 0"]) is None
    assert encode_ahead.take(("here", "model"), ["text 1"]) is futures[1]
    assert encode_ahead.take(("here", "model"), ["text 1"]) is None  # taken once
    assert encode_ahead.take(("here", "other model"), ["text 2"]) is None
    assert np.all([not f.done() for f in futures[1:]])
    encode_ahead.clear()
