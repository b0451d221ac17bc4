"""Hand work to the Celery worker by task name, once the caller's transaction commits.

Services enqueue through here rather than importing their app's tasks module, which imports the
services (an import loop), and so that every enqueue shares one place.
"""

from celery import current_app
from django.db import transaction


def enqueue_on_commit(task_name: str, *args) -> None:
    """Send `task_name(*args)` after the current transaction commits (at once outside of one)."""
    transaction.on_commit(lambda: current_app.send_task(task_name, args=list(args)))
