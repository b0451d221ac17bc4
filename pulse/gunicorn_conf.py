"""gunicorn settings for the image (`gunicorn -c python:pulse.gunicorn_conf`): prometheus-client's
multiprocess mode needs an empty metrics folder when the master starts, and a worker's live gauges
dropped when it exits."""

import os
import shutil

bind = "0.0.0.0:8000"
workers = int(os.environ.get("WEB_CONCURRENCY", "3"))
timeout = 60


def on_starting(server) -> None:
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder, exist_ok=True)


def child_exit(server, worker) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


def post_worker_init(worker) -> None:
    # Each worker warms what the apps registered (the local model) once, at start, instead of in
    # its first search request.
    from pulse.core.startup import process_started

    process_started()
