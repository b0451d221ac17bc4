"""Local embedding throughput and quality per backend: plain SentenceTransformer.encode (fp32 torch,
the baseline), and Pulse's path (the shared execution path with the ledger write) on torch, ONNX
fp32 and ONNX int8, on the same texts in the same run.

    .venv/bin/python bench/embeddings.py [--n 600] [--repeats 3] [--batch-size 32]

Texts: commits from ../shared/data/commits as Pulse embeds them (message, then the changed files),
else generated ones of similar length. Variants run interleaved (A, B, C, A, B, C, ...) and report
medians, so load from other jobs affects them alike; compare the ratios, not the absolute numbers.
Quality: each variant's vectors against the baseline's (cosine per text, top-10 neighbour overlap).
"""

import argparse
import gzip
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
COMMITS = ROOT.parent / "shared" / "data" / "commits" / "apache-groovy.commits.jsonl.gz"


def load_texts(n: int) -> tuple[list[str], str]:
    if COMMITS.exists():
        with gzip.open(COMMITS, "rt") as handle:
            rows = [json.loads(line) for _, line in zip(range(n * 3), handle, strict=False)]
        # As etl.text.commit_text builds them: the message, then up to 10 changed paths.
        messages = [
            r["message"].strip() + ("\nFiles: " + ", ".join(f["path"] for f in r["files"][:10]) if r["files"] else "")
            for r in rows
        ]
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


def _variants(client, integrations: dict, texts: list[str], batch_size: int) -> dict:
    """What is timed: plain encode (the baseline: fp32 torch, its default threads), the same with
    one thread, and Pulse's path (the shared execution path with the ledger write) per backend."""
    import torch
    from sentence_transformers import SentenceTransformer

    from ai.execution.calls import execute_embedding
    from ai.providers.local import resolve_model_path
    from ai.providers.local_onnx import OnnxEncoder

    path = resolve_model_path("all-MiniLM-L6-v2")
    default_threads = torch.get_num_threads()
    model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
    int8_two = OnnxEncoder(path, "onnx-int8", threads=2)

    def plain(threads: int):
        torch.set_num_threads(threads)
        return model.encode(texts, batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False)

    def pulse(backend: str):
        torch.set_num_threads(1)  # what Pulse's loader sets (PULSE_LOCAL_THREADS=1)
        return np.array(execute_embedding(client=client, integration=integrations[backend], texts=texts).vectors)

    variants = {
        f"plain encode, torch fp32, {default_threads} threads": lambda: plain(default_threads),
        "plain encode, torch fp32, 1 thread": lambda: plain(1),
        "pulse path, torch, 1 thread": lambda: pulse("torch"),
        "pulse path, onnx fp32, 1 thread": lambda: pulse("onnx"),
        "pulse path, onnx-int8, 1 thread": lambda: pulse("onnx-int8"),
        "onnx-int8 encoder, 2 threads": lambda: int8_two.encode(texts)[0],
    }
    return variants


def _quality(reference, vectors) -> str:
    """Cosine to the fp32 torch vector of the same text, and top-10 neighbour overlap."""
    cosines = (reference * vectors).sum(axis=1)
    ref_top = np.argsort(-(reference @ reference.T), axis=1)[:, 1:11]
    top = np.argsort(-(vectors @ vectors.T), axis=1)[:, 1:11]
    overlap = np.mean([len(set(a) & set(b)) / 10 for a, b in zip(ref_top, top, strict=True)])
    return f"cosine min {cosines.min():.4f} mean {cosines.mean():.4f}, top-10 overlap {overlap:.3f}"


def _local_integrations(batch_size: int):
    """A tenant with one local provider row per backend."""
    from pulse.core.models import Client, Integration

    client = Client.objects.create(name="bench", slug="bench")
    return client, {
        backend: Integration.objects.create(
            client=client,
            integration_type="ai_model",
            integration_subtype="embedding",
            integration_name=f"local {backend}",
            configuration={"provider": "sentence_transformers", "local_backend": backend},
            model_config={"model_name": "all-MiniLM-L6-v2"},
            performance_config={"batch_size": batch_size},
        )
        for backend in ("torch", "onnx", "onnx-int8")
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=600)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()

    texts, source = load_texts(args.n)
    with tempfile.TemporaryDirectory() as var_dir:
        setup_django(var_dir)
        variants = _variants(*_local_integrations(args.batch_size), texts, args.batch_size)
        outputs = {name: run() for name, run in variants.items()}  # first calls (loads, export) untimed
        timings: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(args.repeats):
            for name, run in variants.items():
                started = time.perf_counter()
                run()
                timings[name].append(time.perf_counter() - started)

    print(f"texts: {source}; batch size {args.batch_size}; {args.repeats} interleaved repeats; 2 cores, shared")
    names = list(variants)
    baseline = len(texts) / statistics.median(timings[names[0]])
    reference = np.asarray(outputs[names[0]])
    print(f"{'variant':<44}{'texts/s (median)':>18}{'vs baseline':>13}  quality vs fp32 torch")
    for name, runs in timings.items():
        rate = len(texts) / statistics.median(runs)
        print(f"{name:<44}{rate:>18.1f}{rate / baseline:>12.2f}x  {_quality(reference, np.asarray(outputs[name]))}")


if __name__ == "__main__":
    main()
