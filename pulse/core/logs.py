"""Log lines that say which request and which tenant they belong to, in the web and in Celery.

A request gets an id (the `X-Request-ID` it came with, when that looks like an id, else a new
one) and, once known, its tenant; both live in context variables, so every log line written while
the request runs carries them, whatever logger wrote it. A task sent during the request carries
them in its message headers (`before_task_publish`), and the worker binds them again for the
task's run (`task_prerun`), so the request's lines and its task's lines share the request id.

`PULSE_LOG_FORMAT=json` writes one JSON object per line (time, level, logger, message, request_id,
tenant_id, task_id, task, exception); `plain` is the readable local default.
"""

import json
import logging
import re
import uuid
from contextvars import ContextVar
from datetime import UTC, datetime

REQUEST_ID_HEADER = "X-Request-ID"
CONTEXT_KEYS = ("request_id", "tenant_id", "task_id", "task")
_HEADER_NAMES = {"request_id": "pulse_request_id", "tenant_id": "pulse_tenant_id"}
_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")
_context: dict[str, ContextVar] = {key: ContextVar(f"pulse_log_{key}", default=None) for key in CONTEXT_KEYS}


def context() -> dict:
    return {key: var.get() for key, var in _context.items()}


def bind(**values) -> None:
    """Set context values for the rest of this request or task (None clears one)."""
    for key, value in values.items():
        _context[key].set(value)


def clear() -> None:
    for var in _context.values():
        var.set(None)


def request_id_from(header: str | None) -> str:
    """The caller's id when it is a plausible one (a proxy's or a client's trace id), else a new
    one: a header value is never trusted into a log line as it came."""
    if header and _VALID_ID.match(header):
        return header
    return uuid.uuid4().hex


class ContextFilter(logging.Filter):
    """Puts the context on every record (the formatters read it)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in context().items():
            if not hasattr(record, key) or getattr(record, key) is None:
                setattr(record, key, value)
        return True


class PlainFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        tags = [f"{key}={getattr(record, key)}" for key in ("request_id", "tenant_id") if getattr(record, key, None)]
        return f"{line} [{' '.join(tags)}]" if tags else line


class JsonFormatter(logging.Formatter):
    """One JSON object per line; the context keys are always present (null outside a request)."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **{key: getattr(record, key, None) for key in CONTEXT_KEYS},
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


# Celery signal handlers (connected in CoreConfig.ready, so the web side sends and workers receive).


def add_context_headers(headers=None, **kwargs) -> None:
    """before_task_publish: the sending request's id and tenant travel in the task's headers."""
    if headers is None:
        return
    for key, header in _HEADER_NAMES.items():
        value = _context[key].get()
        if value is not None and header not in headers:
            headers[header] = value


def _header(task, name: str):
    request = task.request
    value = getattr(request, name, None)
    if value is None:  # older message shapes keep custom headers apart
        value = (getattr(request, "headers", None) or {}).get(name)
    return value


def bind_task_context(task_id=None, task=None, **kwargs) -> None:
    """task_prerun: the task's lines carry its request's id and tenant, and its own id and name."""
    clear()
    if task is None:
        return
    bind(
        request_id=_header(task, _HEADER_NAMES["request_id"]),
        tenant_id=_header(task, _HEADER_NAMES["tenant_id"]),
        task_id=task_id,
        task=task.name,
    )


def clear_task_context(**kwargs) -> None:
    clear()
