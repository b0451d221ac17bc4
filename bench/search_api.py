"""Search API latency under concurrent clients, and the web workers' memory, against gunicorn.

    .venv/bin/python bench/search_api.py [--database-url ...] [--workers 2] [--clients 1,20]
        [--requests 100] [--modes hybrid,vector]

Run bench/retrieval.py first (its tenant and 20,000 commits are searched). Starts gunicorn the way
the image does (pulse.gunicorn_conf, PULSE_WARM_LOCAL_MODEL=1, PULSE_LOCAL_THREADS=1) on a free
port, waits for the workers to load the model, then sends POST /api/v1/ai/vectors/search/ with the
labelled queries' texts from N client threads at once (each request includes its query embedding)
and reports p50 / p95 per mode and client count, and the RSS of gunicorn's master and workers.
Before each measured run the queries' vectors are dropped from the tenant's embedding cache, so
each request really embeds its query.
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
from common import ROOT, child_pids, local_tenant, percentiles, setup_django, uncache
from retrieval import QUERIES


def _token(client) -> str:
    from pulse.core.api_tokens import api_token_create
    from pulse.core.models import User

    user, _ = User.objects.get_or_create(username="search-bench", defaults={"client": client, "role": "member"})
    return api_token_create(user=user, name=f"bench-{time.time_ns()}")[1]


def _rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmRSS")).split()[1]) / 1024


def _run(url: str, token: str, texts: list[str], clients: int, requests: int, mode: str) -> list[float]:
    times: list[float] = []
    lock = threading.Lock()
    counter = iter(range(requests))

    def client() -> None:
        with httpx.Client(timeout=60, headers={"Authorization": f"Bearer {token}"}) as http:
            for n in counter:
                body = {"query_text": texts[n % len(texts)], "table_names": ["commits"], "limit": 10, "mode": mode}
                began = time.perf_counter()
                response = http.post(url, json=body)
                elapsed = (time.perf_counter() - began) * 1000
                response.raise_for_status()
                with lock:
                    times.append(elapsed)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/pulse_retrieval")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", default="1,20")
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--modes", default="hybrid,vector")
    parser.add_argument("--backend", default="torch", choices=["torch", "onnx", "onnx-int8"])
    parser.add_argument("--embedding-server", action="store_true", help="workers embed through serve_embeddings")
    args = parser.parse_args()
    var_dir = setup_django(database_url=args.database_url, vector_store="pgvector")
    # The ONNX export imports torch: made here, in a process of its own. Left to first use, one web
    # worker exported it and kept torch mapped (694 MB RSS against 189 MB for the one that waited).
    subprocess.run([sys.executable, "manage.py", "prepare_local_model"], cwd=ROOT, check=True, capture_output=True)
    client, _ = local_tenant("retrieval-pgvector", "retrieval bench")
    token = _token(client)
    texts = [json.loads(line)["query_text"] for line in QUERIES.read_text().splitlines()]
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {
        **os.environ,
        "PULSE_WARM_LOCAL_MODEL": "1",
        "PULSE_LOCAL_THREADS": "1",
        "PULSE_LOCAL_BACKEND": args.backend,
        "WEB_CONCURRENCY": str(args.workers),
        "PULSE_VAR_DIR": var_dir,
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    embedder = _embedding_server(env, Path(var_dir) / f"bench-emb-{port}.sock") if args.embedding_server else None
    server = subprocess.Popen(  # noqa: S603 - our own interpreter and fixed arguments
        [sys.executable, "-m", "gunicorn", "pulse.wsgi:application", "-c", "python:pulse.gunicorn_conf",
         "--bind", f"127.0.0.1:{port}"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/api/v1/ai/vectors/search/"
    try:
        time.sleep(5)
        _run(url, token, texts, args.workers * 2, args.workers * 4, "vector")  # every worker has loaded its model
        time.sleep(2)
        where = "the embedding server" if embedder else "each worker"
        print(f"gunicorn {args.workers} workers, {args.backend} in {where}, 1 intra-op thread, pgvector, 20k commits")
        print(f"{'mode':<8}{'clients':>8}{'requests':>9}{'p50 ms':>9}{'p95 ms':>9}{'req/s':>8}")
        for mode in args.modes.split(","):
            for clients in (int(c) for c in args.clients.split(",")):
                uncache(client, texts[: args.requests])  # every request embeds its query
                began = time.perf_counter()
                times = _run(url, token, texts, clients, args.requests, mode)
                p50, p95 = percentiles(times)
                rate = len(times) / (time.perf_counter() - began)
                print(f"{mode:<8}{clients:>8}{len(times):>9}{p50:>9.1f}{p95:>9.1f}{rate:>8.1f}", flush=True)
        _print_rss(server, embedder)
    finally:
        for process in (server, embedder):
            if process is not None:
                process.terminate()
                process.wait(timeout=30)


def _print_rss(server: subprocess.Popen, embedder: subprocess.Popen | None) -> None:
    workers = child_pids(server.pid)
    print(
        f"RSS: master {_rss_mb(server.pid):.0f} MB, workers "
        + ", ".join(f"{_rss_mb(w):.0f}" for w in workers)
        + f" MB (sum {_rss_mb(server.pid) + sum(_rss_mb(w) for w in workers):.0f} MB)"
        + (f"; embedding server {_rss_mb(embedder.pid):.0f} MB" if embedder else "")
    )


def _embedding_server(env: dict, path: Path) -> subprocess.Popen:
    """`serve_embeddings` on a unix socket, once it listens; `env` then points the workers at it."""
    log = path.with_suffix(".log")
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and fixed arguments
        [sys.executable, "manage.py", "serve_embeddings", "--address", f"unix://{path}"],
        cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 300
    while "listening" not in log.read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            raise SystemExit(f"the embedding server did not start: {log.read_text()[-2000:]}")
        time.sleep(0.2)
    env["PULSE_EMBEDDING_SERVER"] = f"unix://{path}"
    return process


if __name__ == "__main__":
    main()
