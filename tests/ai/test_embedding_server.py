"""The embedding server as it runs: a real `serve_embeddings` process, real client processes and
the real model. Clients get the vectors this process computes in process, without importing
torch or loading a model; a server that is down or silent is a transient error, never a vector."""

import base64
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from ai.providers import embedding_client, encode_ahead
from ai.providers import embedding_wire as wire
from ai.providers.base import ProviderConfig
from ai.providers.errors import AIError, PermanentProviderError, TransientProviderError
from ai.providers.local import SentenceTransformersProvider

ROOT = Path(__file__).resolve().parents[2]
TEXTS = [
    "GROOVY-1234: closure coercion fails for SAM types",
    "Fix NPE in the static type checker\nFiles: src/main/java/org/codehaus/groovy/ast/ClassNode.java",
    "docs: typo",
    "",
    "The build fails on Windows because of path separators. " * 80,
]

CLIENT = """
import base64, json, sys
import django
django.setup()
import numpy as np
from ai.execution.warm import warm_in_background
from ai.providers import local
from ai.providers.base import ProviderConfig
from ai.providers.local import SentenceTransformersProvider

warm_in_background().join()  # what gunicorn and Celery run at start: it must load nothing here
extra = {"local_backend": sys.argv[1]} if sys.argv[1] else {}
provider = SentenceTransformersProvider(
    ProviderConfig(provider="sentence_transformers", model="all-MiniLM-L6-v2", extra=extra)
)
texts = json.loads(sys.stdin.read())
result = provider.embed(texts)
print(json.dumps({
    "vectors": base64.b64encode(np.asarray(result.vectors, dtype="<f4").tobytes()).decode(),
    "tokens": result.usage.input_tokens,
    "count": provider.count_tokens(texts[1]),
    "truncated": provider.truncate(texts[1], 5),
    "heavy": sorted(m for m in ("torch", "onnxruntime", "sentence_transformers", "transformers") if m in sys.modules),
    "loads": local.loads,
}))
"""


def _env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULSE_EMBEDDING_SERVER")}
    return env | {"PULSE_LOCAL_BACKEND": "onnx-int8", "LOG_LEVEL": "WARNING"} | extra


def _start(address: str, log: Path, **extra) -> subprocess.Popen:
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "serve_embeddings", "--address", address],
        cwd=ROOT, env=_env(**extra), stdout=log.open("w"), stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 300  # the first start may export the ONNX files
    while "listening" not in log.read_text():
        assert proc.poll() is None and time.monotonic() < deadline, log.read_text()[-3000:]
        time.sleep(0.2)
    return proc


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    proc.wait(timeout=30)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("embsrv")
    proc = _start(f"unix://{folder / 'e.sock'}", folder / "server.log")
    yield folder / "e.sock"
    _stop(proc)
    assert not (folder / "e.sock").exists()  # a clean stop removes its socket


def _provider(backend: str = "", **config) -> SentenceTransformersProvider:
    extra = {"local_backend": backend} if backend else {}
    return SentenceTransformersProvider(
        ProviderConfig(provider="sentence_transformers", model="all-MiniLM-L6-v2", extra=extra, **config)
    )


@pytest.mark.parametrize("backend", ["", "torch"])
def test_two_client_processes_get_the_in_process_vectors_without_loading_a_model(server, backend, settings):
    settings.PULSE_LOCAL_BACKEND = "onnx-int8"  # the server's default, which "" means
    expected = _provider(backend).embed(TEXTS)
    env = _env(PULSE_EMBEDDING_SERVER=f"unix://{server}")
    clients = [
        subprocess.Popen(
            [sys.executable, "-c", CLIENT, backend],
            cwd=ROOT,
            env=env,
            text=True,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(2)
    ]
    outputs = [client.communicate(json.dumps(TEXTS), timeout=300) for client in clients]
    for client, (out, err) in zip(clients, outputs, strict=True):
        assert client.returncode == 0, err[-3000:]
        got = json.loads(out.strip().splitlines()[-1])
        vectors = np.frombuffer(base64.b64decode(got["vectors"]), dtype="<f4").reshape(len(TEXTS), -1)
        assert np.array_equal(vectors, np.asarray(expected.vectors, dtype=np.float32))  # bit for bit
        assert got["tokens"] == expected.usage.input_tokens
        assert got["count"] == _provider(backend).count_tokens(TEXTS[1])
        assert got["truncated"] == _provider(backend).truncate(TEXTS[1], 5)
        assert got["heavy"] == [] and got["loads"] == []


@pytest.mark.parametrize("backend", ["", "torch"])
def test_concurrent_callers_each_get_their_own_vectors(server, backend, settings):
    # One connection per thread: the server tokenizes and encodes for several callers at once.
    settings.PULSE_LOCAL_BACKEND = "onnx-int8"  # the server's default, which "" means
    expected = {text: _provider(backend).embed([text]).vectors[0] for text in TEXTS}
    settings.PULSE_EMBEDDING_SERVER = f"unix://{server}"
    got, errors = [], []

    def caller(offset: int) -> None:
        try:
            for n in range(6):
                text = TEXTS[(offset + n) % len(TEXTS)]
                provider = _provider(backend)
                got.append((text, provider.embed([text]).vectors[0], provider.count_tokens(text)))
        except AIError as exc:  # collected: an exception in a thread would otherwise vanish
            errors.append(exc)

    threads = [threading.Thread(target=caller, args=(offset,)) for offset in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and len(got) == 36
    assert all(vector == expected[text] for text, vector, _ in got)
    settings.PULSE_EMBEDDING_SERVER = ""
    assert all(count == _provider(backend).count_tokens(text) for text, _, count in got)


def test_an_encoding_started_ahead_through_the_server_is_the_one_embed_returns(server, settings):
    # Hybrid search starts the query's encoding, ranks keywords, then embeds: with the server the
    # request goes out on a second thread, and `embed` takes its answer instead of asking again.
    settings.PULSE_LOCAL_BACKEND = "torch"
    expected = _provider("torch").embed(TEXTS[:2])
    settings.PULSE_EMBEDDING_SERVER = f"unix://{server}"
    encode_ahead.clear()
    taken = encode_ahead.stats["taken"]

    _provider("torch").prefetch(TEXTS[:2])
    got = _provider("torch").embed(TEXTS[:2])

    assert encode_ahead.stats["taken"] == taken + 1
    assert got.vectors == expected.vectors and got.usage.input_tokens == expected.usage.input_tokens


def test_the_socket_is_private_to_its_user(server):
    assert server.stat().st_mode & 0o777 == 0o600


def test_a_server_that_is_down_is_a_transient_error(tmp_path, settings):
    settings.PULSE_EMBEDDING_SERVER = f"unix://{tmp_path / 'nobody.sock'}"
    with pytest.raises(TransientProviderError, match="down"):
        _provider().embed(["x"])
    assert _provider().check_credentials().ok is False


def test_a_server_that_stops_between_calls_is_a_transient_error(tmp_path, settings):
    proc = _start(f"unix://{tmp_path / 'e.sock'}", tmp_path / "server.log")
    settings.PULSE_EMBEDDING_SERVER = f"unix://{tmp_path / 'e.sock'}"
    try:
        assert len(_provider().embed(["x"]).vectors[0]) == 384  # this thread now holds a connection
    finally:
        _stop(proc)
    with pytest.raises(TransientProviderError):
        _provider().embed(["x"])


def test_a_server_that_never_answers_times_out_as_transient(tmp_path, settings):
    path = tmp_path / "silent.sock"
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(str(path))
    listener.listen()
    accepted = []
    threading.Thread(target=lambda: accepted.append(listener.accept()), daemon=True).start()
    settings.PULSE_EMBEDDING_SERVER = f"unix://{path}"
    started = time.monotonic()
    try:
        with pytest.raises(TransientProviderError, match=r"did not answer within \d+s"):
            _provider(timeout=1.0).embed(["x"])
    finally:
        listener.close()
    assert time.monotonic() - started < 10 and accepted


def test_a_text_over_the_request_limit_is_a_clear_permanent_error(server, settings):
    settings.PULSE_EMBEDDING_SERVER = f"unix://{server}"
    settings.PULSE_EMBEDDING_SERVER_MAX_BYTES = 1000
    with pytest.raises(PermanentProviderError, match=r"text 1 is 2000 bytes, over .* limit of 1000 bytes"):
        _provider().embed(["short", "y" * 2000])
    # Many small texts over the limit together go in several requests, in order.
    texts = [f"commit {n}: " + "z" * 80 for n in range(30)]
    assert _provider().embed(texts).vectors == [_provider().embed([t]).vectors[0] for t in texts]


def test_the_server_refuses_a_request_over_its_own_limit(server, settings):
    # A client configured with a larger limit than the server's: the server's answer names its limit.
    settings.PULSE_EMBEDDING_SERVER = f"unix://{server}"
    settings.PULSE_EMBEDDING_SERVER_MAX_BYTES = 64 * 1024 * 1024
    with pytest.raises(PermanentProviderError, match="over the embedding server's limit of 8388608 bytes"):
        _provider().embed(["w " * (5 * 1024 * 1024)])
    # A raw frame that only declares a huge body is answered without the body being read.
    with socket.socket(socket.AF_UNIX) as raw:
        raw.connect(str(server))
        raw.sendall(wire.PREFIX.pack(wire.MAGIC, 2, 1 << 30) + b"{}")
        header, _ = wire.read_rest(raw, *wire.read_prefix(raw, max_body=1 << 20))
    assert header["ok"] is False and "1073741824 bytes is over" in header["error"]


def test_tcp_needs_the_shared_token(tmp_path, settings):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    refused = subprocess.run(
        [sys.executable, "manage.py", "serve_embeddings", "--address", f"tcp://127.0.0.1:{port}"],
        cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert refused.returncode != 0 and "needs PULSE_EMBEDDING_SERVER_TOKEN" in refused.stderr
    proc = _start(f"tcp://127.0.0.1:{port}", tmp_path / "tcp.log", PULSE_EMBEDDING_SERVER_TOKEN="s3cret")
    settings.PULSE_EMBEDDING_SERVER = f"tcp://127.0.0.1:{port}"
    try:
        settings.PULSE_EMBEDDING_SERVER_TOKEN = "wrong"
        with pytest.raises(PermanentProviderError, match="wrong or missing PULSE_EMBEDDING_SERVER_TOKEN"):
            _provider().embed(["x"])
        settings.PULSE_EMBEDDING_SERVER_TOKEN = "s3cret"
        assert len(_provider().embed(["x"]).vectors[0]) == 384
    finally:
        _stop(proc)
        embedding_client._drop(wire.parse_address(f"tcp://127.0.0.1:{port}"))


@pytest.mark.django_db
def test_readyz_probes_the_embedding_server_when_one_is_configured(server, client, settings, tmp_path):
    settings.READINESS_TIMEOUT_SECONDS = 2
    settings.PULSE_EMBEDDING_SERVER = f"unix://{server}"
    ready = client.get("/readyz")
    settings.PULSE_EMBEDDING_SERVER = f"unix://{tmp_path / 'nobody.sock'}"
    down = client.get("/readyz")
    settings.PULSE_EMBEDDING_SERVER = ""
    unused = client.get("/readyz")

    assert ready.status_code == 200 and ready.json()["checks"]["embedding_server"]["status"] == "ok"
    assert down.status_code == 503 and down.json()["checks"]["embedding_server"]["status"] == "error"
    assert unused.status_code == 200 and "embedding_server" not in unused.json()["checks"]
