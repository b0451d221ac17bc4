"""A worker killed mid-backfill, and a new one started, end with every record vectorized once:
bridge rows equal points, no duplicates. Real Celery worker processes, real broker (Redis)."""

import os
import signal
import threading
import time

import pytest
from django.conf import settings as django_settings

from ai.models import BackfillJob, ClientAIConfiguration, VectorBridge
from ai.tasks import backfill_pickup_task, backfill_task
from ai.vectors.backfill import backfill_start
from ai.vectors.stores import get_vector_store
from ai.vectors.stores import qdrant_client as vector_client
from ai.vectors.stores.local_server import make_server
from pulse.celery import app
from tests.ai.factories import ai_integration
from tests.etl.factories import make_commits
from tests.workers import start_worker

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]
RECORDS = 900


def _database_url() -> str:
    db = django_settings.DATABASES["default"]
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


@pytest.fixture(params=["pgvector", "qdrant"])
def worker_env(request, settings, tmp_path):
    if django_settings.CELERY_BROKER_URL.startswith("filesystem"):
        pytest.skip("needs a broker shared with separate processes")
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "VECTOR_STORE": request.param,
        "BACKFILL_STALE_SECONDS": "2",
        "PULSE_VAR_DIR": str(tmp_path),
        "PULSE_ENCRYPTION_KEYS": ",".join(django_settings.PULSE_ENCRYPTION_KEYS),
    }
    settings.VECTOR_STORE = request.param
    settings.BACKFILL_STALE_SECONDS = 2
    server = None
    if request.param == "qdrant":
        # As in `make run`: one process owns the embedded store, the others speak HTTP to it.
        server = make_server(path=str(tmp_path / "qdrant"), port=0)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        settings.QDRANT_URL = env["QDRANT_URL"] = f"http://127.0.0.1:{server.server_address[1]}"
        vector_client.get_qdrant.cache_clear()
    app.control.purge()
    yield env
    vector_client.get_qdrant.cache_clear()
    if server:
        server.shutdown()
        server.server_close()


def test_a_killed_worker_s_backfill_is_resumed_and_every_record_is_vectorized_once(tenant_a, worker_env):
    local = ai_integration(
        tenant_a, "Local", provider="sentence_transformers", model="all-MiniLM-L6-v2", api_key="", dimensions=None
    )
    ClientAIConfiguration.objects.create(
        client=tenant_a, config_category="models", configuration={"embedding": local.pk}
    )
    make_commits(tenant_a, [f"GROOVY-{i}: change {i} touches module {i % 13} and test {i % 7}" for i in range(RECORDS)])
    job, _ = backfill_start(client=tenant_a)
    first = start_worker(worker_env, "first")
    try:
        backfill_task.delay(job.pk)
        _wait(lambda: BackfillJob.objects.get(pk=job.pk).processed >= 200, 60, "two committed batches")
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
    killed_at = BackfillJob.objects.get(pk=job.pk)
    assert killed_at.status == "running" and 0 < killed_at.processed < RECORDS

    second = start_worker(worker_env, "second")
    try:
        time.sleep(2.5)  # the first worker's heartbeat goes stale
        assert backfill_pickup_task() == [job.pk]  # what beat runs every minute
        done = _wait(lambda: (j := BackfillJob.objects.get(pk=job.pk)).status != "running" and j, 240, "the resume")
    finally:
        second.terminate()
        second.wait(timeout=30)

    assert (done.status, done.failed) == ("succeeded", 0)
    assert done.worker.startswith("second@")
    bridges = VectorBridge.objects.filter(client=tenant_a)
    assert bridges.count() == RECORDS
    assert bridges.values("record_id").distinct().count() == RECORDS
    collection = bridges.first().collection
    points = get_vector_store().point_ids(collection, client_id=tenant_a.pk)
    assert points == {str(p) for p in bridges.values_list("point_id", flat=True)}
