"""Response time of every hub page with 10,000 records and 10,000 usage-ledger rows.

    .venv/bin/python bench/hub_pages.py [--database sqlite|postgres] [--records 10000] [--ledger 10000]

Loads real apache/groovy commits from ../shared/data (generated ones without it) through Pulse's
import path, which embeds each one with the local model into the store, and writes ledger rows
spread over 90 days (several providers, failures, unpriced calls). Then requests each page as a
signed-in tenant admin through Django's full request stack (middleware, sessions, templates, the
database; no network hop) and prints p50/p95 per page beside the baseline of the same run:
`/healthz`, which touches nothing. The search page is measured with a query, so its time includes
embedding the query and the vector search.

`--database sqlite` is `make run`'s default (SQLite, embedded Qdrant); `postgres` uses PostgreSQL
with pgvector (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/pulse_hub_bench).
"""

import argparse
import gzip
import os
import random
import tempfile
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from common import SHARED_DATA, local_tenant, percentiles, setup_django
from retrieval import generated

COMMITS = SHARED_DATA / "commits" / "apache-groovy.commits.jsonl.gz"
ROUNDS = 30


def _commits_file(n: int) -> tuple[Path, str]:
    if not COMMITS.exists():
        path, _ = generated(n)
        return path, f"{n} generated commits"
    subset = Path(tempfile.mkdtemp()) / "subset.jsonl"
    with gzip.open(COMMITS, "rt") as handle:
        subset.write_text("".join(line for _, line in zip(range(n), handle, strict=False)))
    return subset, f"{n} apache/groovy commits"


def _ledger(client, integration, n: int) -> None:
    from django.utils import timezone

    from ai.models import AIUsageTracking

    rng = random.Random(7)
    now = timezone.now()
    providers = [
        ("openai", "text-embedding-3-small", Decimal("0.00002")),
        ("sentence_transformers", "all-MiniLM-L6-v2", Decimal(0)),
        ("custom_gateway", "gpt-4o-mini", None),
    ]
    rows = []
    for _ in range(n):
        provider, model, price = rng.choice(providers)
        tokens = rng.randint(5, 3000)
        rows.append(
            AIUsageTracking(
                client=client,
                integration=integration,
                provider=provider,
                operation="embedding",
                model_name=model,
                input_count=1,
                input_tokens=tokens,
                total_tokens=tokens,
                cost=None if price is None else price * tokens / 1000,
                cost_unpriced=price is None,
                latency_ms=rng.randint(3, 900),
                success=rng.random() > 0.03,
            )
        )
    created = AIUsageTracking.objects.bulk_create(rows, batch_size=2000)
    # created_at is auto_now_add: spread the rows over 90 days afterwards, in one statement per day.
    ids = [row.pk for row in created]
    for day in range(90):
        AIUsageTracking.objects.filter(pk__in=ids[day::90]).update(created_at=now - timedelta(days=day, hours=1))


def _pages(local, commit) -> dict[str, str]:
    from django.urls import reverse

    return {
        "baseline /healthz": reverse("healthz"),
        "providers": reverse("hub:providers"),
        "provider edit": reverse("hub:provider-edit", args=[local.pk]),
        "embeddings": reverse("hub:embeddings"),
        "agents": reverse("hub:agents"),
        "testing": reverse("hub:testing"),
        "testing + search": reverse("hub:testing") + "?q=fix+closure+parser+bug",
        "record": reverse("hub:record", args=["commits", commit.pk]),
        "usage 7d": reverse("hub:usage") + "?range=7d",
        "usage 90d": reverse("hub:usage") + "?range=90d",
        "sources": reverse("hub:sources"),
        "overview": reverse("home"),
    }


def _load(client, local, records: int, ledger: int) -> None:
    from ai.models import AIUsageTracking
    from etl.models import Commit
    from etl.services.imports import commits_import_file

    if Commit.objects.filter(client=client).count() < records:
        path, label = _commits_file(records)
        started = time.perf_counter()
        run = commits_import_file(client=client, path=path)
        print(f"loaded {label}: {run.vectorized} vectors in {time.perf_counter() - started:.0f} s")
    if AIUsageTracking.objects.filter(client=client).count() < ledger:
        _ledger(client, local, ledger)


def _time_pages(http, pages: dict[str, str]) -> None:
    print(f"{'page':<20}{'p50 ms':>9}{'p95 ms':>9}{'x baseline':>12}")
    baseline = None
    for name, url in pages.items():
        http.get(url)  # warm: model load, template compilation, connection
        times = []
        for _ in range(ROUNDS):
            began = time.perf_counter()
            response = http.get(url)
            times.append((time.perf_counter() - began) * 1000)
            assert response.status_code == 200, (name, response.status_code)
        p50, p95 = percentiles(times)
        baseline = baseline or p50
        print(f"{name:<20}{p50:>9.1f}{p95:>9.1f}{p50 / baseline:>12.1f}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="postgres")
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--ledger", type=int, default=10_000)
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/pulse_hub_bench")
    postgres = args.database == "postgres"
    setup_django(database_url=url if postgres else None, vector_store="pgvector" if postgres else "qdrant")
    from django.conf import settings
    from django.test import Client as HttpClient

    from ai.models import AIUsageTracking
    from etl.models import Commit
    from pulse.core.models import User

    settings.ALLOWED_HOSTS = ["*"]
    client, local = local_tenant("hub-bench", "Hub bench")
    _load(client, local, args.records, args.ledger)
    user, _ = User.objects.get_or_create(username="hub-bench", defaults={"client": client, "role": "admin"})
    http = HttpClient()
    http.force_login(user)
    commit = Commit.objects.filter(client=client).order_by("pk").first()
    print(
        f"database {args.database}, store {settings.VECTOR_STORE}; "
        f"{Commit.objects.filter(client=client).count()} records, "
        f"{AIUsageTracking.objects.filter(client=client).count()} ledger rows; {ROUNDS} requests per page"
    )
    _time_pages(http, _pages(local, commit))


if __name__ == "__main__":
    main()
