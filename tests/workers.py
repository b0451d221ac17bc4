"""Real Celery worker processes for the tests whose point is the worker."""

import subprocess
import sys


def start_worker(env: dict, name: str) -> subprocess.Popen:
    """One solo-pool worker named `name@host`, on the broker and database `env` points at."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "pulse",
            "worker",
            "--pool=solo",
            "--loglevel=WARNING",
            f"--hostname={name}@%h",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
        ],
        env=env,
    )
