"""`make run` stops on Ctrl-C without a traceback: the terminal's SIGINT goes to the whole
foreground process group, and only the supervisor acts on it (the parts run in their own sessions
and are stopped with SIGTERM, in order)."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.worker


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _descendants(pid: int) -> list[int]:
    children = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return [d for child in map(int, children.split()) for d in (child, *_descendants(child))]


def _only_the_embedding_server_holds_a_model(supervisor: int, sock: Path) -> None:
    """Web, worker (and its pool) and beat map neither torch nor ONNX Runtime: one model, one process."""
    holders = []
    for pid in _descendants(supervisor):
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            maps = Path(f"/proc/{pid}/maps").read_text()
            if "libtorch" in maps or "onnxruntime" in maps:
                holders.append(cmdline)
    assert sock.is_socket()
    assert len(holders) == 1 and "serve_embeddings" in holders[0], holders


def test_ctrl_c_stops_every_part_without_a_traceback(tmp_path):
    env = {key: value for key, value in os.environ.items() if key not in ("DATABASE_URL", "CELERY_BROKER_URL")}
    env |= {"PULSE_VAR_DIR": str(tmp_path / "var"), "QDRANT_URL": "", "QDRANT_PATH": str(tmp_path / "var" / "qdrant")}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)  # the run's own folder, under its var/
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True, timeout=300)
    log = tmp_path / "run.log"
    with log.open("w") as out:
        # A session of its own stands for the terminal's foreground process group.
        proc = subprocess.Popen(
            [*manage, "run_local", "--port", str(_free_port()), "--vector-port", str(_free_port())],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 240
            while "Pulse is running" not in log.read_text():
                assert proc.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
                time.sleep(0.5)
            time.sleep(3)  # beat and the worker settle into their loops
            _only_the_embedding_server_holds_a_model(proc.pid, tmp_path / "var" / "embeddings.sock")
            os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C sends
            assert proc.wait(timeout=90) == 0, log.read_text()[-3000:]
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
    output = log.read_text()
    assert "stopping…" in output and output.rstrip().endswith("stopped")
    assert "Traceback" not in output, output[-3000:]
    assert "Hitting Ctrl+C again" not in output  # the worker (and beat) never saw the SIGINT
