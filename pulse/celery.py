"""The Celery application. Configuration lives in Django settings under CELERY_*."""

import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pulse.settings")

app = Celery("pulse")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _process_started(**kwargs) -> None:
    # Each pool process warms what the apps registered (the local model) once, at start.
    from pulse.core.startup import process_started

    process_started()
