"""Memory of the production shape: gunicorn (3 workers) + Celery worker (prefork, 2 children), with
the local model loaded in every process that embeds (today's default) or held by one embedding
server (PULSE_EMBEDDING_SERVER), per runtime, in one run.

    .venv/bin/python bench/production_memory.py \
        [--database-url postgres://postgres@127.0.0.1:5432/pulse_h3] [--broker redis://127.0.0.1:6379/13] \
        [--backends torch,onnx-int8] [--commits 120] [--searches 60]

For each runtime and shape: start the processes as the image does (`pulse.gunicorn_conf`,
PULSE_WARM_LOCAL_MODEL=1, one intra-op thread; `celery worker --concurrency=2`), then traffic:
two fresh tenants' backfills of `--commits` commits each on the worker (one job per child), and
`--searches` search requests (vector mode, each embedding its query) from 3 clients. Then RSS and
PSS (proportional set size, /proc/<pid>/smaps_rollup: pages shared by forked processes are split
between them, where RSS counts them in every process) of every process, summed per part.
Last, in the server shape, what a token count costs a client: through the server, or with the
`tokenizers` library loading the model folder's tokenizer.json in the client.
"""

import argparse
import gzip
import itertools
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
# ../shared beside the main checkout, or two levels up from a worktree under wt/.
DATA = next(
    (p / "shared" / "data" / "commits" for p in (ROOT.parent, ROOT.parent.parent) if (p / "shared").exists()), ROOT
)
COMMITS = DATA / "apache-groovy.commits.jsonl.gz"
FIXTURE = ROOT / "tests" / "fixtures" / "commits" / "apache-groovy-30.jsonl"
QUERIES = DATA / "apache-groovy.queries.jsonl"


def _setup(database_url: str, broker: str) -> Path:
    var_dir = ROOT / "var" / "bench"
    var_dir.mkdir(parents=True, exist_ok=True)
    os.environ.update(
        PULSE_VAR_DIR=str(var_dir),
        HF_HUB_OFFLINE="1",
        DJANGO_SETTINGS_MODULE="pulse.settings",
        VECTOR_STORE="pgvector",
        QDRANT_URL="",
        LOG_LEVEL="WARNING",
        DATABASE_URL=database_url,
        CELERY_BROKER_URL=broker,
        CELERY_RESULT_BACKEND=broker,
    )
    os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
    os.environ.pop("PULSE_EMBEDDING_SERVER", None)
    sys.path.insert(0, str(ROOT))
    sys.path.insert(0, str(ROOT / "bench"))
    from common import _create_database

    _create_database(database_url)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    # The ONNX export imports torch: made here, once, in a process of its own, not in a measured one.
    subprocess.run([sys.executable, "manage.py", "prepare_local_model"], cwd=ROOT, check=True, capture_output=True)
    return var_dir


def _commit_file(n: int) -> Path:
    with (
        gzip.open(COMMITS, "rt") if COMMITS.exists() else FIXTURE.open() as source,
        tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as out,
    ):
        out.writelines(itertools.islice(source, n))
    return Path(out.name)


def _tenant(slug: str, commits: Path):
    from common import local_tenant

    from etl.services.imports import commits_import_file

    client, _ = local_tenant(slug, slug)
    commits_import_file(client=client, path=commits, vectorize=False)
    return client


def _token(client) -> str:
    from pulse.core.api_tokens import api_token_create
    from pulse.core.models import User

    user, _ = User.objects.get_or_create(username=f"{client.slug}-bench", defaults={"client": client, "role": "member"})
    return api_token_create(user=user, name=f"bench-{time.time_ns()}")[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _start(argv: list[str], env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)  # noqa: S603


def _wait_for(check, what: str, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.5)


def _answers(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _backfill(clients: list) -> list[dict]:
    """Both tenants' backfills on the worker at once (one per child); their final states."""
    from ai.models import BackfillJob
    from ai.vectors.backfill import backfill_queue

    jobs = [backfill_queue(client=client)[0] for client in clients]
    done = ("succeeded", "failed", "cancelled")
    _wait_for(lambda: all(BackfillJob.objects.get(pk=j.pk).status in done for j in jobs), "the backfills", 1800)
    return [
        {"status": job.status, "succeeded": job.succeeded, "failed": job.failed}
        for job in BackfillJob.objects.filter(pk__in=[j.pk for j in jobs])
    ]


def _search(port: int, token: str, requests: int) -> int:
    lines = QUERIES.read_text().splitlines()[:50] if QUERIES.exists() else []
    texts = [json.loads(line)["query_text"] for line in lines] or ["closure coercion", "static type checker"]
    counter, ok = iter(range(requests)), []

    def client() -> None:
        with httpx.Client(timeout=120, headers={"Authorization": f"Bearer {token}"}) as http:
            for n in counter:
                body = {"query_text": texts[n % len(texts)], "table_names": ["commits"], "limit": 10, "mode": "vector"}
                ok.append(http.post(f"http://127.0.0.1:{port}/api/v1/ai/vectors/search/", json=body).status_code)

    threads = [threading.Thread(target=client) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(1 for status in ok if status == 200)


def _memory(pid: int) -> tuple[float, float]:
    """(RSS, PSS) in MB from smaps_rollup."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:])
    return int(fields["Rss"].split()[0]) / 1024, int(fields["Pss"].split()[0]) / 1024


def _part(pid: int) -> dict:
    from common import child_pids  # bench/ is on the path once _setup ran

    pids = [pid, *child_pids(pid)]
    sizes = [_memory(p) for p in pids]
    return {
        "processes": len(pids),
        "rss": sum(s[0] for s in sizes),
        "pss": sum(s[1] for s in sizes),
        "each_rss": [round(s[0]) for s in sizes],
    }


def _env(backend: str, server: str) -> dict:
    env = {
        **os.environ,
        "PULSE_WARM_LOCAL_MODEL": "1",
        "PULSE_LOCAL_THREADS": "1",
        "PULSE_LOCAL_BACKEND": backend,
        "WEB_CONCURRENCY": "3",
    }
    if server:
        env["PULSE_EMBEDDING_SERVER"] = server
    return env


def run_shape(backend: str, shared: bool, args, var_dir: Path, commits: Path) -> dict:
    label = f"{backend}-{'server' if shared else 'inproc'}-{time.time_ns()}"
    clients = [_tenant(f"pm-{label}-{n}", commits) for n in (1, 2)]
    token = _token(clients[0])
    sock = var_dir / f"emb-{os.getpid()}.sock"
    env = _env(backend, f"unix://{sock}" if shared else "")
    logs = var_dir / "production_memory"
    logs.mkdir(exist_ok=True)
    port, procs = _free_port(), {}
    try:
        if shared:
            procs["embedding server"] = _start(
                [sys.executable, "manage.py", "serve_embeddings", "--address", f"unix://{sock}"],
                env,
                logs / "server.log",
            )
            _wait_for(sock.exists, "the embedding server")
        gunicorn = [sys.executable, "-m", "gunicorn", "pulse.wsgi:application", "-c", "python:pulse.gunicorn_conf"]
        procs["gunicorn"] = _start([*gunicorn, "--bind", f"127.0.0.1:{port}"], env, logs / "web.log")
        celery = [sys.executable, "-m", "celery", "-A", "pulse", "worker", "--concurrency=2", "--loglevel=WARNING"]
        procs["celery"] = _start([*celery, f"--hostname=pm-{os.getpid()}@%h"], env, logs / "worker.log")
        _wait_for(lambda: _answers(port), "gunicorn")
        time.sleep(20 if backend == "torch" else 5)  # the in-process shape warms in the background
        began = time.perf_counter()
        jobs = _backfill(clients)
        backfill_s = time.perf_counter() - began
        ok = _search(port, token, args.searches)
        time.sleep(2)
        parts = {name: _part(proc.pid) for name, proc in procs.items()}
        tokens = _token_cost(env) if shared and backend == args.token_backend else None
    finally:
        for proc in reversed(procs.values()):
            proc.terminate()
        for proc in procs.values():
            proc.wait(timeout=60)
    return {"backend": backend, "shape": "server" if shared else "in process", "parts": parts, "jobs": jobs,
            "backfill_s": backfill_s, "searches_ok": ok, "tokens": tokens}  # fmt: skip


TOKENS_CHILD = """
import json, sys, time
import django
django.setup()
from ai.providers.base import ProviderConfig
from ai.providers.local import SentenceTransformersProvider, resolve_model_path

def rss():
    return int(open("/proc/self/status").read().split("VmRSS:")[1].split()[0]) / 1024

texts = [f"GROOVY-{n}: closure coercion fails for SAM types in the static type checker" for n in range(200)]
provider = SentenceTransformersProvider(ProviderConfig(provider="sentence_transformers", model="all-MiniLM-L6-v2"))
provider.count_tokens("warm")
before = rss()
began = time.perf_counter()
via_server = [provider.count_tokens(t) for t in texts]
server_ms = (time.perf_counter() - began) * 1000 / len(texts)
began = time.perf_counter()
from tokenizers import Tokenizer
tokenizer = Tokenizer.from_file(str(resolve_model_path("all-MiniLM-L6-v2") / "tokenizer.json"))
tokenizer.no_truncation()
tokenizer.no_padding()  # the packaged file pads to 128
load_ms = (time.perf_counter() - began) * 1000
began = time.perf_counter()
local = [len(tokenizer.encode(t, add_special_tokens=False).ids) for t in texts]
local_ms = (time.perf_counter() - began) * 1000 / len(texts)
print(json.dumps({"server_ms": server_ms, "local_ms": local_ms, "load_ms": load_ms, "extra_mb": rss() - before,
                  "same": via_server == local}))
"""


def _token_cost(env: dict) -> dict:
    done = subprocess.run([sys.executable, "-c", TOKENS_CHILD], cwd=ROOT, env=env, capture_output=True, text=True)  # noqa: S603
    return json.loads(done.stdout.strip().splitlines()[-1]) if done.returncode == 0 else {"error": done.stderr[-500:]}


def report(result: dict) -> None:
    parts = result["parts"]
    total_rss = sum(p["rss"] for p in parts.values())
    total_pss = sum(p["pss"] for p in parts.values())
    detail = "; ".join(
        f"{name} {p['processes']} proc RSS {p['rss']:.0f} / PSS {p['pss']:.0f} ({'+'.join(map(str, p['each_rss']))})"
        for name, p in parts.items()
    )
    print(
        f"{result['backend']:<10} {result['shape']:<11} RSS {total_rss:>6.0f} MB  PSS {total_pss:>6.0f} MB  "
        f"backfill {result['backfill_s']:.0f}s {result['jobs']}  searches ok {result['searches_ok']}",
        flush=True,
    )
    print(f"    {detail}", flush=True)
    if result["tokens"]:
        print(f"    token counting in a client: {result['tokens']}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/pulse_h3")
    parser.add_argument("--broker", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--backends", default="torch,onnx-int8")
    parser.add_argument("--commits", type=int, default=120)
    parser.add_argument("--searches", type=int, default=60)
    parser.add_argument("--token-backend", default="onnx-int8")
    args = parser.parse_args()
    var_dir = _setup(args.database_url, args.broker)
    commits = _commit_file(args.commits)
    print(
        f"gunicorn 3 workers + celery prefork 2 children (+ embedding server); {args.commits} commits backfilled "
        f"per tenant on 2 tenants, {args.searches} vector searches from 3 clients; MB summed over processes"
    )
    for backend in args.backends.split(","):
        for shared in (False, True):
            report(run_shape(backend, shared, args, var_dir, commits))
    commits.unlink()


if __name__ == "__main__":
    main()
