"""Each vendor's request shape at the HTTP layer (respx), through the shared execution path."""

import json
from decimal import Decimal

import httpx
import pytest

from ai.execution.calls import execute_embedding, execute_generation
from ai.execution.run import AIExecutionError
from ai.models import AIUsageTracking
from ai.providers.base import ProviderConfig
from ai.providers.catalog import SELF_HOSTED
from ai.providers.errors import CapabilityError
from ai.providers.registry import PROVIDERS, build_provider
from tests.ai.factories import ai_integration, payload

pytestmark = pytest.mark.django_db


def test_every_registered_provider_imports_and_describes_its_model():
    for key in PROVIDERS:
        provider = build_provider(ProviderConfig(provider=key, model="m"))
        assert provider.key == key
        # An unknown model has an unknown price, never a made-up $0; a model the tenant runs itself is free.
        expected = 0.0 if key in SELF_HOSTED else None
        assert (
            provider.model_info.input_price_per_1k == expected and provider.model_info.output_price_per_1k == expected
        )
    minilm = build_provider(ProviderConfig(provider="sentence_transformers", model="all-MiniLM-L6-v2")).model_info
    assert (minilm.dimensions, minilm.input_price_per_1k, minilm.tier) == (384, 0, "fast")


def test_azure_uses_the_deployment_url_api_version_and_api_key_header(tenant_a, respx_mock):
    route = respx_mock.post(
        "https://contoso.openai.azure.com/openai/deployments/emb-small/embeddings", params={"api-version": "2024-10-21"}
    ).respond(200, json=payload("openai_embeddings.json"))
    azure = ai_integration(
        tenant_a,
        "Azure",
        provider="azure_openai",
        base_url="https://contoso.openai.azure.com",
        configuration={"deployment": "emb-small", "api_version": "2024-10-21"},
    )

    outcome = execute_embedding(client=tenant_a, integration=azure, texts=["a", "b"])

    assert len(outcome.vectors) == 2
    assert route.calls.last.request.headers["api-key"] == "sk-test-key-0000000000000000"


def test_gemini_goes_to_its_openai_compatible_endpoint(tenant_a, respx_mock):
    route = respx_mock.post("https://generativelanguage.googleapis.com/v1beta/openai/chat/completions").respond(
        200, json=payload("openai_chat.json")
    )
    gemini = ai_integration(
        tenant_a, "Gemini", provider="google_gemini", model="gemini-2.0-flash", subtype="llm", dimensions=None
    )

    outcome = execute_generation(client=tenant_a, integration=gemini, messages=[{"role": "user", "content": "hi"}])

    assert outcome.text.startswith("Cycle time")
    assert json.loads(route.calls.last.request.content)["model"] == "gemini-2.0-flash"
    assert AIUsageTracking.objects.get().cost == Decimal("0.00000590")  # 19*0.0001/1K + 10*0.0004/1K


def test_claude_generates_with_the_messages_api(tenant_a, respx_mock):
    route = respx_mock.post("https://api.anthropic.com/v1/messages").respond(
        200, json=payload("anthropic_message.json")
    )
    claude = ai_integration(
        tenant_a, "Claude", provider="anthropic_claude", model="claude-sonnet-4-5", subtype="llm", dimensions=None
    )

    outcome = execute_generation(
        client=tenant_a,
        integration=claude,
        messages=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Review delays?"}],
        params={"max_tokens": 200},
    )

    request = route.calls.last.request
    assert request.headers["x-api-key"] == "sk-test-key-0000000000000000"
    assert request.headers["anthropic-version"] == "2023-06-01"
    assert json.loads(request.content) == {
        "model": "claude-sonnet-4-5",
        "max_tokens": 200,
        "system": "Be brief.",
        "messages": [{"role": "user", "content": "Review delays?"}],
    }
    assert outcome.text == "Three PRs waited more than two days for review."
    row = AIUsageTracking.objects.get()
    assert (row.input_tokens, row.output_tokens, row.cost) == (25, 13, Decimal("0.00027000"))


def test_claude_401_is_permanent_with_a_readable_reason(tenant_a, respx_mock):
    route = respx_mock.post("https://api.anthropic.com/v1/messages").respond(
        401, json=payload("anthropic_error_401.json")
    )
    claude = ai_integration(
        tenant_a, "Claude", provider="anthropic_claude", model="claude-sonnet-4-5", subtype="llm", dimensions=None
    )

    with pytest.raises(AIExecutionError, match="authentication_error: the API key was rejected"):
        execute_generation(client=tenant_a, integration=claude, messages=[{"role": "user", "content": "x"}])
    assert route.call_count == 1


def test_claude_529_overloaded_is_retried(tenant_a, respx_mock):
    route = respx_mock.post("https://api.anthropic.com/v1/messages")
    route.side_effect = [
        httpx.Response(529, json={"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
        httpx.Response(200, json=payload("anthropic_message.json")),
    ]
    claude = ai_integration(
        tenant_a, "Claude", provider="anthropic_claude", model="claude-sonnet-4-5", subtype="llm", dimensions=None
    )

    execute_generation(client=tenant_a, integration=claude, messages=[{"role": "user", "content": "x"}])

    assert route.call_count == 2


def test_claude_cannot_embed_and_says_so():
    claude = build_provider(ProviderConfig(provider="anthropic_claude", model="claude-sonnet-4-5"))
    with pytest.raises(CapabilityError, match="does not produce embeddings"):
        claude.embed(["x"])


def test_claude_lists_models_as_its_credential_check(respx_mock):
    respx_mock.get("https://api.anthropic.com/v1/models").respond(200, json=payload("anthropic_models.json"))
    claude = build_provider(ProviderConfig(provider="anthropic_claude", model="claude-sonnet-4-5", api_key="k"))

    assert claude.list_models() == ["claude-3-5-haiku-latest", "claude-sonnet-4-5"]
    assert claude.check_credentials().ok


def test_gateway_key_info_and_cost_from_spend_calculate(tenant_a, respx_mock):
    respx_mock.post("https://gateway.internal/chat/completions").respond(200, json=payload("openai_chat.json"))
    spend = respx_mock.post("https://gateway.internal/spend/calculate").respond(
        200, json=payload("litellm_spend_calculate.json")
    )
    respx_mock.get("https://gateway.internal/key/info").respond(200, json=payload("litellm_key_info.json"))
    gateway = ai_integration(
        tenant_a,
        "Gateway",
        provider="custom_gateway",
        model="house-llm",
        subtype="gateway",
        dimensions=None,
        base_url="https://gateway.internal",
    )

    execute_generation(client=tenant_a, integration=gateway, messages=[{"role": "user", "content": "x"}])

    row = AIUsageTracking.objects.get()
    assert row.cost == Decimal("0.00042") and row.cost_unpriced is False
    assert json.loads(spend.calls.last.request.content)["completion_response"]["usage"]["prompt_tokens"] == 19
    info = build_provider(
        ProviderConfig(provider="custom_gateway", model="m", base_url="https://gateway.internal/v1", api_key="k")
    ).key_info()
    assert info.spend == Decimal("12.3456") and info.max_budget == Decimal("100.0") and info.key_alias == "pulse-prod"
