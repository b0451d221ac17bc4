"""Shared set-up for the benchmarks: a throwaway Django environment on SQLite or PostgreSQL."""

import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"


def setup_django(*, database_url: str | None = None, vector_store: str = "qdrant") -> str:
    """Configure and migrate a private environment; returns its var dir. The var dir (and so the
    encryption keys of the bench databases' rows) persists between runs: var/bench."""
    var_dir = str(ROOT / "var" / "bench")
    Path(var_dir).mkdir(parents=True, exist_ok=True)
    os.environ.update(
        PULSE_VAR_DIR=var_dir,
        HF_HUB_OFFLINE="1",
        DJANGO_SETTINGS_MODULE="pulse.settings",
        VECTOR_STORE=vector_store,
        QDRANT_PATH=":memory:",
        LOG_LEVEL="WARNING",
    )
    for name in ("QDRANT_URL", "CELERY_BROKER_URL"):
        os.environ.pop(name, None)
    if database_url:
        os.environ["DATABASE_URL"] = database_url
        _create_database(database_url)
    else:
        os.environ.pop("DATABASE_URL", None)
    sys.path.insert(0, str(ROOT))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    return var_dir


def _create_database(url: str) -> None:
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(base + "/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


def child_pids(pid: int) -> list[int]:
    """The process's direct children (gunicorn's workers, Celery's pool)."""
    found = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True, check=False)  # noqa: S603, S607
    return [int(p) for p in found.stdout.split()]


def percentiles(samples_ms: list[float]) -> tuple[float, float]:
    ordered = sorted(samples_ms)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def local_tenant(slug: str, name: str):
    """A tenant (created once) whose embeddings come from the bundled MiniLM; returns (client, integration)."""
    from ai.models import ClientAIConfiguration
    from pulse.core.models import Client, Integration

    client, _ = Client.objects.get_or_create(slug=slug, defaults={"name": name})
    local, _ = Integration.objects.get_or_create(
        client=client,
        integration_name="Local MiniLM",
        defaults={
            "integration_type": "ai_model",
            "integration_subtype": "embedding",
            "configuration": {"provider": "sentence_transformers"},
            "model_config": {"model_name": "all-MiniLM-L6-v2"},
        },
    )
    ClientAIConfiguration.objects.update_or_create(
        client=client, config_category="models", defaults={"configuration": {"embedding": local.pk}}
    )
    return client, local


def uncache(client, texts: list[str]) -> int:
    """Forget the tenant's cached vectors of `texts`, so that searching them embeds each query
    (retrieval.py and earlier runs cache the labelled queries' vectors)."""
    from ai.models import EmbeddingCache
    from ai.vectors.embedding import content_hash

    hashes = [content_hash(text) for text in texts]
    return EmbeddingCache.objects.filter(client=client, content_hash__in=hashes).delete()[0]
