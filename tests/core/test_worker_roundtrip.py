"""A task sent from the web side is executed by a real Celery worker process."""

import os
import time

import pytest
from django.conf import settings

from tests.workers import start_worker

pytestmark = [pytest.mark.django_db, pytest.mark.worker]


@pytest.fixture
def celery_worker_process():
    if settings.CELERY_BROKER_URL.startswith("filesystem"):
        pytest.skip("needs a broker shared with a separate process (CELERY_BROKER_URL)")
    proc = start_worker(os.environ.copy(), "pulse-test")
    yield proc
    proc.terminate()
    proc.wait(timeout=30)


def test_worker_ping_round_trip(admin_a, admin_b, api_as, celery_worker_process):
    api = api_as(admin_a)

    sent = api.post("/api/v1/system/worker-ping/")
    assert sent.status_code == 202
    task_id = sent.json()["task_id"]

    deadline = time.monotonic() + 60
    state = None
    while time.monotonic() < deadline:
        body = api.get(f"/api/v1/system/worker-ping/{task_id}/").json()
        state = body["state"]
        if state == "SUCCESS":
            break
        time.sleep(0.2)

    assert state == "SUCCESS"
    assert body["result"]["worker"].startswith("pulse-test@")
    # Another tenant cannot read the result, nor anyone a task id that no tenant sent.
    foreign = api_as(admin_b).get(f"/api/v1/system/worker-ping/{task_id}/")
    unknown = api.get("/api/v1/system/worker-ping/00000000-0000-0000-0000-000000000000/")
    assert foreign.status_code == 404 and "worker" not in foreign.content.decode()
    assert unknown.status_code == 404
