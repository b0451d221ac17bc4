"""Hand work to the Celery worker by task name, and read back the results a tenant may see.

Services enqueue through here rather than importing their app's tasks module (which imports the
services: an import loop), and so a broker that is down is handled in one place: the send gives
up within the broker timeout (settings: PULSE_BROKER_TIMEOUT, no publish retries) and raises
`BrokerUnavailable`, a 503 saying what was and was not kept.
"""

import uuid

from celery import current_app
from celery.result import AsyncResult
from django.db import transaction
from django.http import Http404
from kombu.exceptions import OperationalError

from pulse.core.models import Client, TaskOwnership


class BrokerUnavailable(Exception):
    """The task queue cannot be reached: nothing was sent."""

    http_status = 503

    def __init__(self, message: str = "The task queue is unreachable; nothing was sent. Try again shortly."):
        super().__init__(message)


def send_task(task_name: str, *args, task_id: str | None = None) -> str:
    """Publish now, on a fresh connection to the configured broker; BrokerUnavailable if it is down."""
    task_id = task_id or str(uuid.uuid4())
    try:
        with current_app.connection_for_write() as connection:
            current_app.send_task(task_name, args=list(args), task_id=task_id, connection=connection)
    except (OperationalError, OSError):
        raise BrokerUnavailable() from None
    return task_id


def enqueue_on_commit(task_name: str, *args) -> None:
    """Send `task_name(*args)` after the current transaction commits (at once outside of one)."""
    transaction.on_commit(lambda: send_task(task_name, *args))


def task_send_owned(*, client: Client, kind: str, task_name: str, args: tuple = ()) -> str:
    """Send a task whose result the tenant may read back; the ownership row is only kept if the
    task was sent."""
    task_id = str(uuid.uuid4())
    with transaction.atomic():
        TaskOwnership.objects.create(task_id=task_id, client=client, kind=kind)
        send_task(task_name, *args, task_id=task_id)
    return task_id


def task_result_owned(*, client: Client, kind: str, task_id: str) -> AsyncResult:
    """The result of a task this tenant sent, of this kind; another tenant's id or an unknown one is
    a 404 alike."""
    if not TaskOwnership.objects.for_client(client).filter(task_id=task_id, kind=kind).exists():
        raise Http404("No such task.")
    return AsyncResult(task_id, app=current_app)
