"""The local vector server lets several processes share one embedded store through
qdrant-client's ordinary REST client (the production code path)."""

import threading
import uuid

import pytest
from qdrant_client import QdrantClient, models
from qdrant_client.http.exceptions import UnexpectedResponse

from ai.vectors.stores.local_server import make_server


@pytest.fixture
def served(tmp_path):
    server = make_server(path=str(tmp_path / "qdrant"), port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    client = QdrantClient(url=f"http://127.0.0.1:{server.server_address[1]}", timeout=10, check_compatibility=False)
    yield client, tmp_path / "qdrant"
    client.close()
    server.shutdown()
    server.server_close()


def _point(tenant: int, record: int, vector: list[float]) -> models.PointStruct:
    return models.PointStruct(
        id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"{tenant}/{record}")),
        vector=vector,
        payload={"client_id": tenant, "record_id": record},
    )


def test_a_second_embedded_client_is_locked_out_so_the_server_is_needed(served):
    _, path = served
    with pytest.raises(RuntimeError, match="already accessed"):
        QdrantClient(path=str(path))


def test_collections_points_query_scroll_count_and_delete_round_trip(served):
    client, _ = served
    name = "client_1_work_items"

    assert client.collection_exists(name) is False
    client.create_collection(name, vectors_config=models.VectorParams(size=3, distance=models.Distance.COSINE))
    client.create_payload_index(name, field_name="client_id", field_schema=models.PayloadSchemaType.INTEGER)
    assert client.collection_exists(name) is True
    assert client.get_collection(name).config.params.vectors.size == 3
    assert [c.name for c in client.get_collections().collections] == [name]

    client.upsert(name, points=[_point(1, 1, [1, 0, 0]), _point(1, 2, [0, 1, 0]), _point(2, 3, [1, 0.1, 0])])
    client.upsert(name, points=[_point(1, 1, [1, 0, 0])])  # idempotent: same id
    assert client.count(name).count == 3

    tenant_filter = models.Filter(must=[models.FieldCondition(key="client_id", match=models.MatchValue(value=1))])
    hits = client.query_points(name, query=[1, 0, 0], query_filter=tenant_filter, limit=5, with_payload=True).points
    assert [h.payload["record_id"] for h in hits] == [1, 2]
    assert hits[0].score == pytest.approx(1.0)

    page, next_offset = client.scroll(name, scroll_filter=tenant_filter, limit=10)
    assert sorted(p.payload["record_id"] for p in page) == [1, 2] and next_offset is None
    fetched = client.retrieve(name, ids=[_point(2, 3, [0, 0, 0]).id], with_vectors=True)
    assert fetched[0].payload == {"client_id": 2, "record_id": 3} and len(fetched[0].vector) == 3

    client.delete(name, points_selector=models.FilterSelector(filter=tenant_filter))
    assert client.count(name).count == 1
    client.delete(name, points_selector=models.PointIdsList(points=[_point(2, 3, [0, 0, 0]).id]))
    assert client.count(name).count == 0
    assert client.delete_collection(name) is True


def test_a_missing_collection_is_a_404_not_a_crash(served):
    client, _ = served
    with pytest.raises(UnexpectedResponse) as info:
        client.query_points("nope", query=[1, 0, 0])
    assert info.value.status_code == 404


def test_data_survives_a_restart_of_the_server(tmp_path):
    path = str(tmp_path / "qdrant")
    counts = []
    for round_ in range(2):
        server = make_server(path=path, port=0)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        client = QdrantClient(url=f"http://127.0.0.1:{server.server_address[1]}", check_compatibility=False)
        if round_ == 0:
            client.create_collection("c", vectors_config=models.VectorParams(size=2, distance=models.Distance.COSINE))
            client.upsert("c", points=[models.PointStruct(id=1, vector=[1, 0], payload={})])
        counts.append(client.count("c").count)
        client.close()
        server.shutdown()
        server.server_close()  # releases the folder lock, so the next round can open it
    assert counts == [1, 1]
