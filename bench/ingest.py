"""Ingest throughput: raw embedding versus Pulse's full store path, interleaved in the same run.

    .venv/bin/python bench/ingest.py [--texts 2000] [--stores pgvector,qdrant] [--batch 1000] [--rounds 3]

The same texts (apache/groovy commit messages from ../shared/data, generated ones without it) go
1. straight through the model (`SentenceTransformer.encode`, in calls of `--batch` texts, forward
   passes of `--model-batch`, 64 like the local provider's default): the ceiling for a store call of that size;
2. through `vectors_store_records`, as the ETL and the backfill call it: content hashing, the
   per-tenant embedding cache lookup, the execution path (truncation, quality check, ledger row),
   the store upsert, the bridge rows and the search documents, `--batch` records per call.
Each store pass uses a fresh tenant, so nothing comes from the embedding cache. The passes
alternate (raw, store, raw, store, ...) for `--rounds` rounds and the table gives medians: on a
shared machine the load drifts by tens of per cent within minutes, so a ratio of two passes run
minutes apart says little. Besides wall-clock records/s, each pass reports the CPU seconds it
cost: this process's (every thread) plus, for the store path, the PostgreSQL backend's that served
it (read from /proc, same machine). CPU seconds barely move with other jobs' load, so
`CPU x raw` is the cost of Pulse's path against the model's alone: ≤ 1.05 means a quiet machine
would ingest at ≥ 0.95x raw encode on one core.
"""

import argparse
import gzip
import json
import os
import statistics
import time
import uuid
from pathlib import Path

from common import SHARED_DATA, local_tenant, setup_django
from retrieval import generated

COMMITS = SHARED_DATA / "commits" / "apache-groovy.commits.jsonl.gz"


def _texts(n: int) -> tuple[list[str], str]:
    """`n` distinct texts: Pulse embeds a repeated text once (its content hash), so repeats would
    make the store path look cheaper than the model (the first 2,000 groovy messages hold 1,714)."""
    if COMMITS.exists():
        messages: dict[str, None] = {}
        with gzip.open(COMMITS, "rt") as handle:
            for line in handle:
                messages.setdefault(json.loads(line)["message"], None)
                if len(messages) == n:
                    break
        return list(messages), f"{len(messages)} distinct apache/groovy commit messages"
    path, _ = generated(n)
    return [json.loads(line)["message"] for line in path.read_text().splitlines()], f"{n} generated messages"


def _backend_cpu() -> float:
    """CPU seconds (user + system) of the PostgreSQL backend serving Django's connection; 0 when
    the database is not PostgreSQL on this machine."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0.0
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _timed(work) -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process and its database backend) of `work()`."""
    cpu, backend, wall = time.process_time(), _backend_cpu(), time.perf_counter()
    work()
    return time.perf_counter() - wall, time.process_time() - cpu + _backend_cpu() - backend


def _raw_pass(model, texts: list[str], batch: int, model_batch: int) -> None:
    for chunk in range(0, len(texts), batch):
        model.encode(texts[chunk : chunk + batch], batch_size=model_batch, normalize_embeddings=True)


def _store_pass(texts: list[str], batch: int) -> int:
    """Everything through `vectors_store_records` for a fresh tenant; returns how many were stored."""
    from ai.vectors.bridge import RecordText, vectors_store_records

    client, _ = local_tenant(f"ingest-{uuid.uuid4().hex[:8]}", "ingest bench")
    records = [RecordText(i + 1, text, {"title": text[:80]}) for i, text in enumerate(texts)]
    stored = 0
    for chunk in range(0, len(records), batch):
        result = vectors_store_records(
            client=client, table_name="bench_ingest", vector_type="content", records=records[chunk : chunk + batch]
        )
        stored += result.stored
    return stored


def _row(name: str, walls: list[float], cpus: list[float], n: int, raw: tuple[float, float] | None) -> str:
    wall, cpu = statistics.median(walls), statistics.median(cpus)
    rate = n / wall
    ratio = f"{(n / wall) / (n / raw[0]):>8.2f}{cpu / raw[1]:>10.2f}" if raw else f"{1.0:>8.2f}{1.0:>10.2f}"
    spread = f"{n / max(walls):.1f}-{n / min(walls):.1f}"
    return f"{name:<34}{rate:>10.1f}{spread:>14}{cpu:>9.1f}{ratio}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--texts", type=int, default=2000)
    parser.add_argument("--stores", default="pgvector,qdrant")
    parser.add_argument("--batch", type=int, default=1000, help="records per store call (the backfill's batch)")
    parser.add_argument("--rounds", type=int, default=3)
    # The local provider row's default `batch_size`: the same forward passes on both sides, so the
    # ratio is Pulse's own cost.
    parser.add_argument("--model-batch", type=int, default=64, help="texts per forward pass of the raw encode")
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/pulse_bench")
    setup_django(database_url=url)
    from django.conf import settings

    from ai.providers.local import load_model, resolve_model_path

    texts, label = _texts(args.texts)
    model = load_model(resolve_model_path("all-MiniLM-L6-v2"))
    model.encode(texts[:64], batch_size=64)  # warm
    stores = args.stores.split(",")
    samples: dict[str, tuple[list, list]] = {name: ([], []) for name in ["raw", *stores]}
    stored: dict[str, int] = {}
    for _ in range(args.rounds):
        for name in ["raw", *stores]:
            if name == "raw":
                wall, cpu = _timed(lambda: _raw_pass(model, texts, args.batch, args.model_batch))
            else:
                settings.VECTOR_STORE = name
                wall, cpu = _timed(lambda: stored.__setitem__(name, _store_pass(texts, args.batch)))  # noqa: B023
            samples[name][0].append(wall)
            samples[name][1].append(cpu)
            print(f"  {name}: {len(texts) / wall:.1f} records/s, {cpu:.1f} CPU s", flush=True)
    print(f"{label}; all-MiniLM-L6-v2 on the CPU; {args.batch} per call; medians of {args.rounds} interleaved rounds")
    print(f"{'path':<34}{'records/s':>10}{'range':>14}{'CPU s':>9}{'x raw':>8}{'CPU x raw':>10}")
    raw = (statistics.median(samples["raw"][0]), statistics.median(samples["raw"][1]))
    print(_row("raw SentenceTransformer.encode", *samples["raw"], len(texts), None))
    for name in stores:
        print(_row(f"Pulse store path, {name}", *samples[name], len(texts), raw) + f"  ({stored[name]} stored)")


if __name__ == "__main__":
    main()
