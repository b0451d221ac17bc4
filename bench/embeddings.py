"""Local embedding throughput: the seeds' naive loop, plain SentenceTransformer.encode, and Pulse's
path (the shared execution path with the ledger write), on the same texts in the same run.

    .venv/bin/python bench/embeddings.py [--n 600] [--repeats 3] [--batch-size 32]

Texts: commit messages from ../shared/data/commits when present, else generated ones of similar
length. Variants run interleaved (A, B, C, A, B, C, ...) and report medians, so load from other
jobs affects them alike; compare the ratios, not the absolute numbers.
"""

import argparse
import asyncio
import gzip
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COMMITS = ROOT.parent / "shared" / "data" / "commits" / "apache-groovy.commits.jsonl.gz"


def load_texts(n: int) -> tuple[list[str], str]:
    if COMMITS.exists():
        with gzip.open(COMMITS, "rt") as handle:
            messages = [json.loads(line)["message"] for _, line in zip(range(n * 3), handle, strict=False)]
        random.Random(7).shuffle(messages)
        return messages[:n], f"{COMMITS.name} (first {n * 3}, shuffled, {n} used)"
    rng = random.Random(7)
    verbs = ["Fix", "Add", "Remove", "Refactor", "Improve", "Document", "Bump", "Revert"]
    nouns = [
        "closure coercion",
        "static type checker",
        "AST transform",
        "JSON parser",
        "build script",
        "Gradle plugin",
        "GString caching",
        "metaclass lookup",
        "trait resolution",
        "groovydoc output",
    ]
    texts = []
    for i in range(n):
        body = " ".join(rng.choice(nouns + verbs).lower() for _ in range(rng.randint(5, 60)))
        texts.append(f"GROOVY-{1000 + i}: {rng.choice(verbs)} {rng.choice(nouns)}\n\n{body}")
    return texts, f"{n} generated commit-like messages (../shared/data absent)"


def setup_django(var_dir: str) -> None:
    os.environ.update(PULSE_VAR_DIR=var_dir, HF_HUB_OFFLINE="1", DJANGO_SETTINGS_MODULE="pulse.settings")
    for name in ("DATABASE_URL", "QDRANT_URL", "CELERY_BROKER_URL"):
        os.environ.pop(name, None)
    sys.path.insert(0, str(ROOT))
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)


def _variants(client, integration, texts: list[str], batch_size: int) -> dict:
    """What is timed: the design notes' loop, plain encode (the baseline) and Pulse's path."""
    from ai.execution.calls import execute_embedding
    from ai.providers.local import load_model, resolve_model_path

    model = load_model(resolve_model_path("all-MiniLM-L6-v2"))
    model.encode(texts[:64], batch_size=batch_size)  # warm up

    async def naive_loop():
        # The design notes' loop: one run_in_executor call per batch, awaited in turn.
        loop = asyncio.get_running_loop()
        out = []
        for start in range(0, len(texts), batch_size):
            batch = texts[start : start + batch_size]
            out.extend(
                await loop.run_in_executor(
                    None,
                    lambda b=batch: model.encode(
                        b, batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False
                    ),
                )
            )
        return out

    return {
        "seeds naive loop": lambda: asyncio.run(naive_loop()),
        "plain encode": lambda: model.encode(
            texts, batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False
        ),
        "pulse execution path": lambda: execute_embedding(client=client, integration=integration, texts=texts),
    }


def _local_integration(batch_size: int):
    from pulse.core.models import Client, Integration

    client = Client.objects.create(name="bench", slug="bench")
    integration = Integration.objects.create(
        client=client,
        integration_type="ai_model",
        integration_subtype="embedding",
        integration_name="local",
        configuration={"provider": "sentence_transformers"},
        model_config={"model_name": "all-MiniLM-L6-v2"},
        performance_config={"batch_size": batch_size},
    )
    return client, integration


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=600)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()

    texts, source = load_texts(args.n)
    with tempfile.TemporaryDirectory() as var_dir:
        setup_django(var_dir)
        variants = _variants(*_local_integration(args.batch_size), texts, args.batch_size)
        timings: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(args.repeats):
            for name, run in variants.items():
                started = time.perf_counter()
                run()
                timings[name].append(time.perf_counter() - started)

    print(
        f"texts: {source}; batch size {args.batch_size}; {args.repeats} interleaved repeats; "
        f"torch threads {__import__('torch').get_num_threads()}"
    )
    baseline = len(texts) / statistics.median(timings["plain encode"])
    print(f"{'variant':<24}{'texts/s (median)':>18}{'vs plain encode':>18}")
    for name, runs in timings.items():
        rate = len(texts) / statistics.median(runs)
        print(f"{name:<24}{rate:>18.1f}{rate / baseline:>17.2f}x")


if __name__ == "__main__":
    main()
