"""A request's log lines and the lines of the Celery task it started share the request id (JSON
logs, a real worker process); the worker's task outcome reaches the web's /metrics (multiprocess)."""

import json
import logging
import os
import time

import pytest
from django.conf import settings as django_settings
from prometheus_client.parser import text_string_to_metric_families

from etl.models import EtlRun
from pulse.celery import app
from pulse.core.logs import ContextFilter, JsonFormatter
from tests.etl.test_api import repo  # noqa: F401 - the clone fixture
from tests.workers import start_worker

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def _database_url() -> str:
    db = django_settings.DATABASES["default"]
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.fixture
def worker_log(tmp_path):
    if django_settings.CELERY_BROKER_URL.startswith("filesystem"):
        pytest.skip("needs a broker shared with a separate process (CELERY_BROKER_URL)")
    path = tmp_path / "worker.log"
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "PULSE_LOG_FORMAT": "json",
        "PULSE_VAR_DIR": str(tmp_path / "var"),
        "PULSE_ENCRYPTION_KEYS": ",".join(django_settings.PULSE_ENCRYPTION_KEYS),
        # The test process's metrics folder: the worker's counters are summed into this /metrics.
        "PROMETHEUS_MULTIPROC_DIR": os.environ["PROMETHEUS_MULTIPROC_DIR"],
    }
    app.control.purge()  # tasks other tests left on the broker are not this test's
    with path.open("w") as log:
        worker = start_worker(env, "logs", log=log, loglevel="INFO")
        yield path
        worker.terminate()
        worker.wait(timeout=30)


@pytest.fixture
def web_log():
    """This process's log lines as the JSON formatter writes them."""
    lines: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record):
            lines.append(self.format(record))

    handler = Collect(level=logging.INFO)
    handler.addFilter(ContextFilter())
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.addHandler(handler)
    yield lines
    root.removeHandler(handler)


def _celery_outcomes(client) -> float:
    text = client.get("/metrics").content.decode()
    return sum(
        sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name == "pulse_celery_tasks_total"
        and sample.labels == {"task": "etl.sync_integration_task", "outcome": "succeeded"}
    )


def test_the_request_and_its_task_log_the_same_request_id(client, admin_a, api_as, repo, worker_log, web_log):  # noqa: F811
    api = api_as(admin_a)
    source = api.post("/api/v1/etl/sources/", {"type": "git", "name": "Clone", "path": str(repo)}).json()
    before = _celery_outcomes(client)

    response = api.post(f"/api/v1/etl/sources/{source['id']}/sync/")
    assert response.status_code == 202
    request_id = response["X-Request-ID"]
    run_id = response.json()["id"]
    deadline = time.monotonic() + 90
    while EtlRun.objects.get(pk=run_id).status in ("queued", "running"):
        assert time.monotonic() < deadline, "the worker did not finish the sync"
        time.sleep(0.3)

    web = [json.loads(line) for line in web_log]
    queued = next(entry for entry in web if entry["message"].startswith("sync of Clone queued"))
    assert queued["request_id"] == request_id and queued["tenant_id"] == admin_a.client_id
    deadline = time.monotonic() + 10
    while not (task := _task_lines(worker_log, run_id)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert task, worker_log.read_text()[-6000:]
    assert {line["request_id"] for line in task} == {request_id}
    assert {line["tenant_id"] for line in task} == {admin_a.client_id}
    assert {line["task"] for line in task} == {"etl.sync_integration_task"}
    # The worker process counted the task; the web process's /metrics sums its files.
    deadline = time.monotonic() + 10
    while _celery_outcomes(client) < before + 1:
        assert time.monotonic() < deadline, "the worker's task outcome never reached /metrics"
        time.sleep(0.2)


def _task_lines(path, run_id: int) -> list[dict]:
    lines = []
    for raw in path.read_text().splitlines():
        try:
            entry = json.loads(raw)
        except ValueError:
            continue  # Celery's banner is not a log line
        if f"run #{run_id} " in entry.get("message", ""):
            lines.append(entry)
    return lines
