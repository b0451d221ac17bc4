"""With the broker down, what sends a task fails fast with a 503 that says what was kept: the worker
ping and a sync keep nothing, a backfill job stays queued for beat's pickup (and says so)."""

import socket
import time

import pytest
from django.urls import reverse

from ai.models import BackfillJob
from ai.vectors.backfill import backfill_pickup
from pulse.core.models import TaskOwnership
from tests.ai.factories import local_embedding
from tests.etl.factories import make_commits
from tests.factories import make_integration

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def broker_down(monkeypatch):
    with socket.socket() as probe:  # a loopback port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Celery reads the environment variable before its configuration.
    monkeypatch.setenv("CELERY_BROKER_URL", f"redis://127.0.0.1:{port}/0")
    started = time.monotonic()
    yield
    assert time.monotonic() - started < 10  # fail fast: every request in the test gave up quickly


def test_worker_ping_is_a_503_and_keeps_no_ownership_row(broker_down, admin_a, api_as):
    response = api_as(admin_a).post("/api/v1/system/worker-ping/")

    assert response.status_code == 503 and "unreachable" in response.json()["detail"]
    assert not TaskOwnership.objects.exists()


def test_a_backfill_start_is_a_503_and_the_job_waits_for_the_pickup(broker_down, admin_a, api_as):
    local_embedding(admin_a.client)
    make_commits(admin_a.client, ["Fix the parser"])

    response = api_as(admin_a).post("/api/v1/ai/vectors/backfill/", {})

    job = BackfillJob.objects.get(client=admin_a.client)
    assert response.status_code == 503 and f"Backfill #{job.pk} is saved" in response.json()["detail"]
    assert job.status == "queued"
    BackfillJob.objects.filter(pk=job.pk).update(created_at=job.created_at.replace(year=2020))
    assert backfill_pickup() == [job.pk]  # beat sends it once the queue is back


def test_hub_sync_and_backfill_say_the_queue_is_down(broker_down, client, admin_a, tenant_a):
    client.force_login(admin_a)
    local_embedding(tenant_a)
    source = make_integration(
        tenant_a,
        "Git",
        integration_type="git",
        integration_subtype="data_source",
        configuration={"path": "/srv/git/pulse"},
    )

    synced = client.post(reverse("hub:source-sync", args=[source.pk]), follow=True)
    backfilled = client.post(reverse("hub:backfill-start"), follow=True)

    assert "task queue is unreachable" in synced.content.decode()
    assert "is saved and starts within a minute" in backfilled.content.decode()
