"""Real Celery worker processes for the tests whose point is the worker."""

import subprocess
import sys


def start_worker(env: dict, name: str, log=None, loglevel: str = "WARNING") -> subprocess.Popen:
    """One solo-pool worker named `name@host`, on the broker and database `env` points at; its
    log lines go to `log` (a file) when given."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "pulse",
            "worker",
            "--pool=solo",
            f"--loglevel={loglevel}",
            f"--hostname={name}@%h",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        env=env,
        stderr=log,
    )
