"""Memory of one process that embeds with the local model, per runtime (torch, onnx, onnx-int8).

    .venv/bin/python bench/model_memory.py [--texts 64]

Each runtime runs in a fresh child process: Django set up on a throwaway SQLite, the provider
loads its model (the ONNX files come from var/bench/models, exported on first use), embeds
`--texts` commit texts, and reports its resident memory (VmRSS) and peak (VmHWM) from /proc.
This is the cost every web worker or Celery child pays when it embeds in process.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = """
import json, os, sys, time
sys.path.insert(0, {root!r})
import django
django.setup()
from embeddings import load_texts
from ai.providers.base import ProviderConfig
from ai.providers.local import SentenceTransformersProvider

texts, _ = load_texts({n})
provider = SentenceTransformersProvider(
    ProviderConfig(provider="sentence_transformers", model="all-MiniLM-L6-v2", extra={{"local_backend": {backend!r}}})
)
started = time.perf_counter()
provider.warm_up()
loaded = time.perf_counter() - started
provider.embed(texts)
status = dict(line.split(":", 1) for line in open("/proc/self/status") if ":" in line)
print(json.dumps({{"rss_mb": int(status["VmRSS"].split()[0]) / 1024, "peak_mb": int(status["VmHWM"].split()[0]) / 1024,
                  "load_s": loaded}}))
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--texts", type=int, default=64)
    args = parser.parse_args()
    print(f"one process each: load the model, embed {args.texts} commit texts (2 cores, shared machine)")
    print(f"{'runtime':<12}{'RSS MB':>9}{'peak MB':>9}{'load s':>8}")
    for backend in ("torch", "onnx", "onnx-int8"):
        with tempfile.TemporaryDirectory() as var_dir:
            env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
            env.update(
                PULSE_VAR_DIR=var_dir,
                DJANGO_SETTINGS_MODULE="pulse.settings",
                HF_HUB_OFFLINE="1",
                LOG_LEVEL="WARNING",
                PYTHONPATH=str(ROOT / "bench"),
            )
            # Reuse the bench's exported files, so the timed load is a load, not an export.
            models = ROOT / "var" / "bench" / "models"
            if models.exists():
                os.symlink(models, Path(var_dir) / "models")
            code = CHILD.format(root=str(ROOT), n=args.texts, backend=backend)
            done = subprocess.run(  # noqa: S603 - our own interpreter and our own code
                [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
            )
            result = json.loads(done.stdout.strip().splitlines()[-1])
            print(f"{backend:<12}{result['rss_mb']:>9.0f}{result['peak_mb']:>9.0f}{result['load_s']:>8.1f}", flush=True)


if __name__ == "__main__":
    main()
