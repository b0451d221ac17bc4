"""Liveness and readiness. Apps register readiness checks; core knows none of them by name
except the database and the broker, which every Pulse process needs."""

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from django.conf import settings
from django.db import connection
from kombu import Connection

CheckFn = Callable[[], str | None]


class CheckNotUsed(Exception):
    """Raised by a check whose dependency this deployment does not use: it is left out of /readyz."""


_checks: dict[str, CheckFn] = {}
_inline: set[str] = set()


def register_check(name: str, check: CheckFn, *, uses_database: bool = False) -> None:
    """Register a readiness check: it returns a detail string (or None) or raises on failure.
    A check that uses Django's database runs on the request's thread (connections are per thread,
    and one opened on a probe thread would never be closed)."""
    _checks[name] = check
    if uses_database:
        _inline.add(name)


def _database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return connection.vendor


def _broker() -> str:
    # A fresh connection to the configured URL: a pooled one could hide a broker that went away.
    url = settings.CELERY_BROKER_URL
    options = getattr(settings, "CELERY_BROKER_TRANSPORT_OPTIONS", {})
    with Connection(url, transport_options=options, connect_timeout=settings.READINESS_TIMEOUT_SECONDS) as conn:
        conn.ensure_connection(max_retries=1, timeout=settings.READINESS_TIMEOUT_SECONDS)
    # Only the scheme: a broker URL may carry a password.
    return url.split(":", 1)[0]


register_check("database", _database, uses_database=True)
register_check("broker", _broker)


def readiness() -> tuple[bool, dict[str, dict]]:
    """Run every check with a timeout. Returns (all ok, {name: {status, latency_ms, detail|error}}).
    Details and errors may name hosts, paths or databases: show them to staff only."""
    results: dict[str, dict] = {}
    timeout = settings.READINESS_TIMEOUT_SECONDS
    # The database check runs on this thread: Django connections are per-thread.
    for name, check in _checks.items():
        started = time.perf_counter()
        try:
            if name in _inline:
                detail = check()
            else:
                pool = ThreadPoolExecutor(max_workers=1)
                try:
                    detail = pool.submit(check).result(timeout=timeout + 1)
                finally:
                    # Do not wait for a hung probe; its thread ends when the dependency answers.
                    pool.shutdown(wait=False, cancel_futures=True)
            results[name] = {"status": "ok", "detail": detail}
        except CheckNotUsed:
            continue
        except FutureTimeout:
            results[name] = {"status": "error", "error": f"timed out after {timeout:.0f}s"}
        except Exception as exc:  # noqa: BLE001 - a probe reports any failure, it never raises
            results[name] = {"status": "error", "error": f"{type(exc).__name__}: {exc}"[:300]}
        results[name]["latency_ms"] = round((time.perf_counter() - started) * 1000, 1)
    return all(r["status"] == "ok" for r in results.values()), results
