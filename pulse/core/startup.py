"""Work a process does once it has started serving: apps register it here (the ai app: load the
local model), and the servers call `process_started()` after they fork (gunicorn's
post_worker_init, Celery's worker_process_init), so nothing in `pulse` imports the apps."""

import os
from collections.abc import Callable

_hooks: list[Callable[[], object]] = []


def register_process_start(hook: Callable[[], object]) -> None:
    if hook not in _hooks:
        _hooks.append(hook)


def process_started() -> None:
    """Run the hooks when PULSE_WARM_LOCAL_MODEL=1 (the image and `make run` set it)."""
    if os.environ.get("PULSE_WARM_LOCAL_MODEL") == "1":
        for hook in _hooks:
            hook()
