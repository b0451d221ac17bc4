"""The Celery application. Configuration lives in Django settings under CELERY_*."""

import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pulse.settings")

app = Celery("pulse")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def _warm_local_model(**kwargs) -> None:
    # PULSE_WARM_LOCAL_MODEL=1 (the image and run_local set it): each pool process loads the
    # model once, at start, not in its first task.
    if os.environ.get("PULSE_WARM_LOCAL_MODEL") == "1":
        from ai.providers.local import warm_in_background

        warm_in_background()
