"""Prometheus metrics: what every process counts, and the `/metrics` exposition.

prometheus-client rather than django-prometheus: Pulse's metrics are mostly its own (AI calls,
syncs, backfills, the vector store), django-prometheus would add a per-model database metric
family nobody asked for, and its multi-process story is prometheus-client's anyway.

Multi-process: gunicorn workers and Celery's prefork children are separate processes, each with
its own counters. With `PROMETHEUS_MULTIPROC_DIR` set (settings: the default locally, the image
sets it), every process writes its values to memory-mapped files in that folder and `/metrics`
sums them (prometheus-client's multiprocess mode); the folder is emptied when the process group
starts (`make run`, gunicorn's `on_starting`). Without it, one process's own registry is served.

Some numbers are facts of the database rather than events of a process (backfills in progress,
sync runs queued): apps register scrape-time collectors that read them when `/metrics` is read.

Tenant labels: every tenant-aware metric has a `tenant` label, filled with the tenant's slug only
when `PULSE_METRICS_TENANT_LABELS` is on; otherwise it is empty, which Prometheus treats as no
label, so a deployment with many tenants keeps its series count flat.
"""

import logging
import os
import time
from collections.abc import Callable, Iterable

from django.conf import settings
from django.db import DatabaseError
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
    multiprocess,
    values,
)
from prometheus_client.core import REGISTRY, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

if os.environ.get("PROMETHEUS_MULTIPROC_DIR") and not getattr(values.ValueClass, "_multiprocess", False):
    # prometheus_client chose its value class when first imported; settings may set the folder later.
    values.ValueClass = values.MultiProcessValue()
# `_created` series exist only in single-process mode: leave them out so both modes serve the same names.
disable_created_metrics()

logger = logging.getLogger(__name__)
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
LONG_BUCKETS = (0.1, 0.5, 1, 5, 15, 30, 60, 120, 300, 900, 1800, 3600)
AI_LABELS = ("provider", "model", "operation", "tenant")

REQUEST_SECONDS = Histogram(
    "pulse_http_request_duration_seconds",
    "Web requests by view (URL name), method and status.",
    ("view", "method", "status"),
    buckets=LATENCY_BUCKETS,
)
AI_CALLS = Counter("pulse_ai_calls", "Provider calls (each attempt), by outcome.", (*AI_LABELS, "outcome"))
AI_ERRORS = Counter("pulse_ai_errors", "Failed provider calls by error class.", (*AI_LABELS, "error"))
AI_TOKENS = Counter("pulse_ai_tokens", "Tokens sent to and received from providers.", (*AI_LABELS, "direction"))
AI_COST = Counter("pulse_ai_cost_usd", "Priced cost of provider calls in USD (unpriced calls add nothing).", AI_LABELS)
AI_UNPRICED = Counter("pulse_ai_unpriced_calls", "Successful calls to a model with no known price.", AI_LABELS)
AI_SECONDS = Histogram(
    "pulse_ai_call_duration_seconds",
    "Provider call latency, a cold model load excluded.",
    (*AI_LABELS, "outcome"),
    buckets=LATENCY_BUCKETS,
)
AI_MODEL_LOAD_SECONDS = Histogram(
    "pulse_ai_model_load_seconds", "Cold loads of a local model, before its first call.", ("provider", "model")
)
AI_FALLBACKS = Counter(
    "pulse_ai_fallbacks", "Calls answered by a fallback instead of the chosen provider.",
    ("operation", "provider", "fallback_provider", "tenant"),
)  # fmt: skip
AI_COOLDOWNS = Counter("pulse_ai_cooldowns", "Cooldowns started after repeated failures.", ("provider", "tenant"))
AI_COOLDOWN_SKIPS = Counter(
    "pulse_ai_cooldown_skips", "Candidates skipped because they were cooling down.", ("provider", "operation")
)
EMBEDDINGS = Counter(
    "pulse_embeddings",
    "Texts embedded by a provider (rate() gives embeddings per second).",
    ("provider", "model", "tenant"),
)
VECTOR_STORE_SECONDS = Histogram(
    "pulse_vector_store_duration_seconds",
    "Vector store calls.",
    ("store", "operation", "outcome"),
    buckets=LATENCY_BUCKETS,
)
SYNC_RUNS = Counter("pulse_sync_runs", "Finished ETL runs by source kind and status.", ("kind", "status", "tenant"))
SYNC_RECORDS = Counter(
    "pulse_sync_records",
    "Records of ETL runs: fetched, created, updated, vectorized, ...",
    ("kind", "action", "tenant"),
)
SYNC_SECONDS = Histogram("pulse_sync_duration_seconds", "ETL run duration.", ("kind", "status"), buckets=LONG_BUCKETS)
CELERY_TASKS = Counter("pulse_celery_tasks", "Celery task outcomes.", ("task", "outcome"))
CELERY_TASK_SECONDS = Histogram(
    "pulse_celery_task_duration_seconds", "Celery task run time.", ("task",), buckets=LONG_BUCKETS
)


def tenant_label(client) -> str:
    """The tenant's slug where the operator allows tenant labels, else '' (no label)."""
    if client is None or not settings.PULSE_METRICS_TENANT_LABELS:
        return ""
    return str(getattr(client, "slug", "") or "")


def seconds_since(started: float) -> float:
    return max(time.perf_counter() - started, 0.0)


# Scrape-time collectors: apps register functions that yield metric families read from the database.
ScrapeFn = Callable[[], Iterable[Metric]]
_scrape_collectors: list[ScrapeFn] = []


def register_scrape_collector(collect: ScrapeFn) -> None:
    if collect not in _scrape_collectors:
        _scrape_collectors.append(collect)


class _ScrapeCollector(Collector):
    """The database facts. A database that is down must not take the process metrics with it (that
    is when they matter): a collector that fails is skipped and said so."""

    def collect(self) -> Iterable[Metric]:
        failed = GaugeMetricFamily(
            "pulse_metrics_collector_failed",
            "A scrape-time collector could not read the database.",
            labels=["collector"],
        )
        for collect in _scrape_collectors:
            name = getattr(collect, "__name__", "collector")
            try:
                families = list(collect())
            except DatabaseError as exc:
                logger.warning("metrics collector %s failed: %s", name, type(exc).__name__)
                failed.add_metric([name], 1)
                continue
            failed.add_metric([name], 0)
            yield from families
        yield failed


def exposition() -> bytes:
    """The text `/metrics` serves: every process's values (multiprocess mode) or this process's,
    and the database facts of the registered scrape-time collectors."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        registry.register(_DefaultRegistry())
    registry.register(_ScrapeCollector())
    return generate_latest(registry)


class _DefaultRegistry(Collector):
    """This process's own metrics (single-process mode), inside a registry that also holds the
    scrape-time collectors, so those are never registered globally."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


class TimedStore:
    """Wraps a vector store so every call is observed in `pulse_vector_store_duration_seconds`,
    whichever store it is (the stores themselves stay free of metrics)."""

    def __init__(self, store) -> None:
        self._store = store

    def __getattr__(self, name: str):
        attribute = getattr(self._store, name)
        if name.startswith("_") or not callable(attribute):
            return attribute
        store_name = str(getattr(self._store, "name", type(self._store).__name__))

        def timed(*args, **kwargs):
            started, outcome = time.perf_counter(), "error"
            try:
                result = attribute(*args, **kwargs)
                outcome = "success"
                return result
            finally:
                VECTOR_STORE_SECONDS.labels(store_name, name, outcome).observe(seconds_since(started))

        return timed


def serve_worker_metrics(port: int) -> None:
    """A Celery worker's metrics (its prefork children summed) on `port`, for a worker that shares
    no metrics folder with the web (another container). Scrape it beside the web's /metrics."""
    from prometheus_client import start_http_server

    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_DefaultRegistry())
    start_http_server(port, registry=registry)
