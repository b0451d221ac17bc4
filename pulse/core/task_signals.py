"""Celery's signals, wired once for every process: log context across the broker, task outcomes
and run times as metrics, and a worker's own metrics endpoint where one is configured."""

import time

from celery import signals
from django.conf import settings

from pulse.core import logs
from pulse.core.metrics import CELERY_TASK_SECONDS, CELERY_TASKS, seconds_since, serve_worker_metrics

_started: dict[str, float] = {}


def _task_name(sender=None, task=None, request=None) -> str:
    for candidate in (task, sender, getattr(request, "task", None)):
        name = getattr(candidate, "name", None) or (candidate if isinstance(candidate, str) else None)
        if name:
            return name
    return "unknown"


def _prerun(task_id=None, task=None, **kwargs) -> None:
    logs.bind_task_context(task_id=task_id, task=task)
    _started[task_id] = time.perf_counter()


def _postrun(task_id=None, task=None, **kwargs) -> None:
    started = _started.pop(task_id, None)
    if started is not None:
        CELERY_TASK_SECONDS.labels(_task_name(task=task)).observe(seconds_since(started))
    logs.clear_task_context()


def _outcome(outcome: str):
    def count(sender=None, request=None, **kwargs) -> None:
        CELERY_TASKS.labels(_task_name(sender=sender, request=request), outcome).inc()

    return count


def _worker_ready(**kwargs) -> None:
    if settings.PULSE_WORKER_METRICS_PORT:
        serve_worker_metrics(settings.PULSE_WORKER_METRICS_PORT)


_HANDLERS = {
    "succeeded": _outcome("succeeded"),
    "failed": _outcome("failed"),
    "retried": _outcome("retried"),
    "revoked": _outcome("revoked"),
    "rejected": _outcome("rejected"),
}


def connect() -> None:
    signals.before_task_publish.connect(logs.add_context_headers, weak=False)
    signals.task_prerun.connect(_prerun, weak=False)
    signals.task_postrun.connect(_postrun, weak=False)
    signals.task_success.connect(_HANDLERS["succeeded"], weak=False)
    signals.task_failure.connect(_HANDLERS["failed"], weak=False)
    signals.task_retry.connect(_HANDLERS["retried"], weak=False)
    signals.task_revoked.connect(_HANDLERS["revoked"], weak=False)
    signals.task_rejected.connect(_HANDLERS["rejected"], weak=False)
    signals.worker_ready.connect(_worker_ready, weak=False)
