"""Run Pulse on its embedded defaults: web server, Celery worker, beat, the local vector server and
the embedding server.

One foreground command for a laptop or a trial. Each part is a separate process, as in
production; if one dies, all stop, so nothing runs half-alive. The embedding server holds the one
copy of the local model that web, worker and beat all use (PULSE_EMBEDDING_SERVER), loaded before
the others start.

Ctrl-C reaches only this supervisor: each part runs in a session of its own, so the terminal's
SIGINT does not hit beat and the worker mid-step (beat printed a traceback when it did). The
supervisor then stops the parts in reverse order with SIGTERM, each one's own clean shutdown.
"""

import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from pulse.core.bootstrap import ADMIN_USERNAME, bootstrap_demo


def _port_free(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _wait_for(target: str | tuple[str, int], proc: subprocess.Popen, timeout: float) -> None:
    """Until something accepts connections at `target`: a unix socket path or (host, port)."""
    family = socket.AF_UNIX if isinstance(target, str) else socket.AF_INET
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise CommandError(f"{proc.args[2]} exited with code {proc.returncode} while starting")
        with socket.socket(family) as sock:
            sock.settimeout(0.5)
            try:
                sock.connect(target)
                return
            except OSError:
                time.sleep(0.2)
    raise CommandError(f"nothing answered on {target} after {timeout:.0f}s")


def _start_embedding_server(start, manage: list[str]) -> str:
    """One model for web, worker and beat, loaded before they start so that none waits for it;
    returns the address to give them."""
    path = str(settings.PULSE_EMBEDDING_SOCKET)
    embeddings = start("embedding server", [*manage, "serve_embeddings", "--address", f"unix://{path}"])
    _wait_for(path, embeddings, timeout=300)
    return f"unix://{path}"


def _die_with_parent() -> None:
    """Ask Linux to SIGTERM this child when the supervisor dies, however it dies."""
    # Elsewhere than Linux the children are still stopped on Ctrl-C and SIGTERM.
    with contextlib.suppress(OSError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _fresh_metrics_folder() -> None:
    """The processes of an earlier run left their metric files: this run starts from zero."""
    folder = getattr(settings, "PROMETHEUS_MULTIPROC_DIR", "")
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
        os.makedirs(folder, exist_ok=True)


def _stop(procs: list[subprocess.Popen]) -> None:
    """Web first, the vector store last; each gets SIGTERM and 20 s before SIGKILL."""
    for proc in reversed(procs):
        if proc.poll() is None:
            proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Command(BaseCommand):
    help = (
        "Start the web server, a Celery worker, beat, the local vector server and the embedding server "
        "in the foreground."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--vector-port", type=int, default=int(os.environ.get("VECTOR_PORT", "6334")))

    def handle(self, *args, host, port, vector_port, **options):
        manage = [sys.executable, "manage.py"]
        celery = [sys.executable, "-m", "celery", "-A", "pulse"]
        # The embedding server loads the local model at start, not in the first search or task (web
        # and worker warm nothing themselves then); local mode runs it on int8 ONNX unless told
        # otherwise (a fifth of torch's memory, 3.5x faster, the default search's recall within 0.01
        # of fp32: bench/README.md).
        env = {**os.environ, "PULSE_WARM_LOCAL_MODEL": "1"}
        env.setdefault("PULSE_LOCAL_BACKEND", "onnx-int8")
        procs: list[subprocess.Popen] = []

        def start(name: str, argv: list[str]) -> subprocess.Popen:
            self.stdout.write(f"starting {name}: {' '.join(argv[1:])}")
            proc = subprocess.Popen(  # noqa: S603 - our own interpreter and fixed arguments
                argv, env=env, preexec_fn=_die_with_parent, start_new_session=True
            )
            procs.append(proc)
            return proc

        signal.signal(signal.SIGINT, _interrupt)  # even where a shell started us with SIGINT ignored
        _fresh_metrics_folder()
        login = bootstrap_demo()
        password = login.password or "(your own password)"
        for needed in (port, *(() if settings.QDRANT_URL else (vector_port,))):
            if not _port_free(host, needed):
                raise CommandError(
                    f"port {needed} on {host} is in use: stop what holds it or pass --port/--vector-port"
                )
        try:
            if not settings.QDRANT_URL:
                # The embedded store locks its folder to one process: this one owns it, the rest use HTTP.
                vectors = start(
                    "vector store", [*manage, "vector_server", "--host", "127.0.0.1", "--port", str(vector_port)]
                )
                _wait_for(("127.0.0.1", vector_port), vectors, timeout=120)
                env["QDRANT_URL"] = f"http://127.0.0.1:{vector_port}"
            if not settings.PULSE_EMBEDDING_SERVER:
                env["PULSE_EMBEDDING_SERVER"] = _start_embedding_server(start, manage)
            start("worker", [*celery, "worker", "--loglevel=INFO", "--concurrency=2", "--hostname=pulse-local@%h"])
            start("beat", [*celery, "beat", "--loglevel=INFO", f"--pidfile={settings.VAR_DIR / 'celerybeat.pid'}"])
            env["PULSE_WARM_LOCAL_MODEL"] = "web"  # runserver has no post-fork hook: ai.apps warms it
            web = start("web", [*manage, "runserver", f"{host}:{port}", "--noreload"])
            _wait_for((host, port), web, timeout=60)

            self.stdout.write(self.style.SUCCESS(f"\nPulse is running at http://{host}:{port}/"))
            self.stdout.write(self.style.SUCCESS(f"login: {ADMIN_USERNAME} / {password}"))
            self.stdout.write("admin: /admin/   API docs: /api/v1/docs/   readiness: /readyz   stop: Ctrl-C\n")

            signal.signal(signal.SIGTERM, _interrupt)
            while all(proc.poll() is None for proc in procs):
                time.sleep(0.5)
            dead = next(proc for proc in procs if proc.poll() is not None)
            raise CommandError(f"{' '.join(dead.args[1:4])} exited with code {dead.returncode}; stopping the rest")
        except KeyboardInterrupt:
            self.stdout.write("stopping…")
        finally:
            _stop(procs)
        self.stdout.write("stopped")
