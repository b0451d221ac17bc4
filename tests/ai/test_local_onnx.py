"""The local model on ONNX Runtime (fp32 and int8), against the torch pipeline it was exported
from, on the 30 real commits in tests/fixtures/commits; and one model per process."""

import json
import threading
from pathlib import Path

import numpy as np
import pytest

from ai.providers import local
from ai.providers.base import ProviderConfig
from ai.providers.local import SentenceTransformersProvider

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "commits" / "apache-groovy-30.jsonl"


def provider(backend: str) -> SentenceTransformersProvider:
    return SentenceTransformersProvider(
        ProviderConfig(provider="sentence_transformers", model="all-MiniLM-L6-v2", extra={"local_backend": backend})
    )


@pytest.fixture(scope="module")
def commits():
    rows = [json.loads(line) for line in FIXTURE.read_text().splitlines()]
    texts = [r["message"] + "\nFiles: " + ", ".join(f["path"] for f in r["files"][:10]) for r in rows]
    # Queries: each commit's subject, reworded by dropping its first word (as a person would paraphrase).
    queries = [" ".join(r["subject"].split()[1:]) or r["subject"] for r in rows]
    return texts, queries


@pytest.fixture(scope="module")
def torch_vectors(commits):
    texts, queries = commits
    model = provider("torch")
    return np.array(model.embed(texts).vectors), np.array(model.embed(queries).vectors)


def _top(documents: np.ndarray, queries: np.ndarray, k: int) -> list[list[int]]:
    return [list(np.argsort(-row)[:k]) for row in queries @ documents.T]


@pytest.mark.parametrize("backend", ["onnx", "onnx-int8"])
def test_onnx_gives_the_same_top_results_as_torch(backend, commits, torch_vectors):
    texts, queries = commits
    model = provider(backend)
    documents, asked = np.array(model.embed(texts).vectors), np.array(model.embed(queries).vectors)
    cosines = (documents * torch_vectors[0]).sum(axis=1)
    assert cosines.min() > (0.9999 if backend == "onnx" else 0.97)
    ours, theirs = _top(documents, asked, 3), _top(*torch_vectors, 3)
    assert [o[0] for o in ours] == [t[0] for t in theirs]  # the same best commit for every query
    overlap = np.mean([len(set(o) & set(t)) / 3 for o, t in zip(ours, theirs, strict=True)])
    assert overlap >= (1.0 if backend == "onnx" else 0.9)


def test_onnx_reads_256_tokens_not_the_packaged_128(commits):
    # The packaged tokenizer.json truncates at 128: a difference after token 128 would vanish.
    head = "the static type checker infers closure parameter types " * 14  # ~130 tokens
    a, b = provider("onnx").embed([head + "json parser", head + "gradle build cache"]).vectors
    assert np.dot(a, b) < 0.9999
    torch_a = provider("torch").embed([head + "json parser"]).vectors[0]
    assert np.dot(a, torch_a) > 0.9999


def test_int8_vectors_do_not_depend_on_batch_mates(commits):
    texts, _ = commits
    model = provider("onnx-int8")
    alone = np.array([model.embed([text]).vectors[0] for text in texts[:5]])
    together = np.array(model.embed([*texts[:5], "x" * 400, "docs: typo"]).vectors[:5])
    assert np.abs(alone - together).max() < 1e-6  # so the content-hash cache holds exact vectors


def test_each_model_is_loaded_once_per_process():
    # Many providers (one per call, as the execution path builds them) on many threads at once.
    results = []
    threads = [
        threading.Thread(target=lambda: results.append(provider("onnx-int8").embed(["closure coercion"]).vectors))
        for _ in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 6
    assert sum(1 for _, backend in local.loads if backend == "onnx-int8") == 1
    assert len(local.loads) == len(set(local.loads))  # no folder and backend loaded twice


def test_an_unknown_backend_is_refused():
    from ai.providers.errors import PermanentProviderError

    with pytest.raises(PermanentProviderError, match="local_backend"):
        provider("tensorrt").embed(["x"])


@pytest.mark.django_db(transaction=True)  # the warm-up thread reads the providers on its own connection
def test_warm_up_at_start_loads_the_default_model_once_and_only_when_needed(settings):
    from ai.execution.warm import warm_in_background
    from ai.providers.local import DEFAULT_MODEL, is_loaded, resolve_model_path
    from tests.ai.factories import local_embedding
    from tests.factories import make_client

    settings.PULSE_LOCAL_BACKEND = "onnx"
    before = list(local.loads)
    warm_in_background().join(120)
    assert local.loads == before  # no tenant embeds locally: nothing is loaded
    local_embedding(make_client("Tenant A"))
    for _ in range(3):  # gunicorn's hook and a later call: still one load
        warm_in_background().join(120)
    path = resolve_model_path(DEFAULT_MODEL)
    assert is_loaded(path, "onnx")
    assert local.loads.count((str(path.resolve()), "onnx")) == 1
