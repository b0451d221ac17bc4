import pytest

pytestmark = pytest.mark.django_db


def test_healthz_answers_without_touching_dependencies(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_reports_each_dependency(client):
    response = client.get("/readyz")

    body = response.json()
    assert response.status_code == 200, body
    assert set(body["checks"]) == {"database", "broker", "vector_store"}
    assert all(check["status"] == "ok" for check in body["checks"].values())
    assert all(isinstance(check["latency_ms"], float) for check in body["checks"].values())


def test_readyz_is_503_and_names_a_broker_that_is_down(client, settings):
    settings.READINESS_TIMEOUT_SECONDS = 1
    # Port 1 on loopback: nothing listens there, so the connection is refused at once.
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"

    response = client.get("/readyz")

    body = response.json()
    assert response.status_code == 503, body
    assert body["status"] == "error"
    assert body["checks"]["broker"]["status"] == "error"
    assert body["checks"]["database"]["status"] == "ok"
