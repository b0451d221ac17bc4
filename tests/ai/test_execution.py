"""The shared execution path, driven through the OpenAI adapter at the HTTP layer (respx)."""

import json
import time
from decimal import Decimal

import httpx
import pytest

from ai.execution.calls import execute_embedding, execute_generation
from ai.execution.run import AIExecutionError
from ai.models import AIUsageTracking
from tests.ai.factories import ai_integration, payload

pytestmark = pytest.mark.django_db

OPENAI = "https://api.openai.com/v1"


def _ledger(client):
    return list(
        AIUsageTracking.objects.for_client(client)
        .order_by("id")
        .values_list("integration__integration_name", "success", "error_class")
    )


def test_embedding_success_sends_the_documented_request_and_records_cost(tenant_a, respx_mock):
    route = respx_mock.post(f"{OPENAI}/embeddings").respond(200, json=payload("openai_embeddings.json"))
    primary = ai_integration(tenant_a, "OpenAI")

    outcome = execute_embedding(client=tenant_a, integration=primary, texts=["fix login bug", "add retry"])

    assert outcome.vectors == [[0.6, 0.8, 0.0], [0.0, 0.6, 0.8]]
    sent = route.calls.last.request
    assert sent.headers["authorization"] == "Bearer sk-test-key-0000000000000000"
    assert json.loads(sent.content) == {
        "model": "text-embedding-3-small",
        "input": ["fix login bug", "add retry"],
        "encoding_format": "float",
    }
    row = AIUsageTracking.objects.get()
    assert (row.success, row.input_tokens, row.total_tokens, row.input_count) == (True, 12, 12, 2)
    assert row.cost == Decimal("0.00000024")  # 12 tokens at $0.00002 / 1K
    assert row.cost_unpriced is False and row.latency_ms is not None


def test_401_is_not_retried_and_falls_back_with_two_ledger_rows(tenant_a, respx_mock):
    respx_mock.post("https://primary.example/v1/embeddings").respond(401, json=payload("openai_error_401.json"))
    respx_mock.post("https://backup.example/v1/embeddings").respond(200, json=payload("openai_embeddings.json"))
    backup = ai_integration(tenant_a, "Backup", base_url="https://backup.example/v1")
    primary = ai_integration(tenant_a, "Primary", base_url="https://primary.example/v1", fallback=backup)

    outcome = execute_embedding(client=tenant_a, integration=primary, texts=["a", "b"])

    assert outcome.integration == backup
    assert outcome.vectors[0] == [0.6, 0.8, 0.0]
    assert _ledger(tenant_a) == [("Primary", False, "PermanentProviderError"), ("Backup", True, "")]
    assert "API key was rejected" in outcome.errors[0]


def test_429_honours_retry_after_then_succeeds(tenant_a, respx_mock):
    route = respx_mock.post(f"{OPENAI}/embeddings")
    route.side_effect = [
        httpx.Response(429, json=payload("openai_error_429.json"), headers={"retry-after": "1"}),
        httpx.Response(200, json=payload("openai_embeddings.json")),
    ]
    primary = ai_integration(tenant_a, "OpenAI")

    started = time.monotonic()
    outcome = execute_embedding(client=tenant_a, integration=primary, texts=["a", "b"])

    assert time.monotonic() - started >= 1.0
    assert route.call_count == 2 and outcome.attempts == 2
    assert _ledger(tenant_a) == [("OpenAI", False, "TransientProviderError"), ("OpenAI", True, "")]


def test_500s_are_retried_then_the_fallback_serves(tenant_a, respx_mock):
    primary_route = respx_mock.post("https://primary.example/v1/embeddings").respond(
        500, json={"error": {"message": "boom"}}
    )
    respx_mock.post("https://backup.example/v1/embeddings").respond(200, json=payload("openai_embeddings.json"))
    backup = ai_integration(tenant_a, "Backup", base_url="https://backup.example/v1")
    primary = ai_integration(
        tenant_a, "Primary", base_url="https://primary.example/v1", fallback=backup, performance={"max_retries": 2}
    )

    outcome = execute_embedding(client=tenant_a, integration=primary, texts=["a", "b"])

    assert primary_route.call_count == 3  # 1 try + 2 retries
    assert outcome.integration == backup
    assert [row[1] for row in _ledger(tenant_a)] == [False, False, False, True]


def test_timeouts_are_transient_and_exhausting_every_candidate_raises(tenant_a, respx_mock):
    route = respx_mock.post(f"{OPENAI}/embeddings").mock(side_effect=httpx.ReadTimeout("slow"))
    primary = ai_integration(tenant_a, "OpenAI", performance={"max_retries": 1})

    with pytest.raises(AIExecutionError, match="timed out"):
        execute_embedding(client=tenant_a, integration=primary, texts=["a"])

    assert route.call_count == 2
    assert _ledger(tenant_a) == [("OpenAI", False, "TransientProviderError")] * 2


def test_a_provider_that_keeps_failing_cools_down_and_is_skipped(tenant_a, settings, respx_mock):
    settings.AI_COOLDOWN_FAILURES = 2
    route = respx_mock.post(f"{OPENAI}/embeddings").respond(401, json=payload("openai_error_401.json"))
    primary = ai_integration(tenant_a, "OpenAI")

    for _ in range(2):
        with pytest.raises(AIExecutionError):
            execute_embedding(client=tenant_a, integration=primary, texts=["a"])
    with pytest.raises(AIExecutionError, match="cooling down"):
        execute_embedding(client=tenant_a, integration=primary, texts=["a"])

    assert route.call_count == 2  # the third call never reached the provider
    assert len(_ledger(tenant_a)) == 2


def test_a_zero_vector_is_a_failure_never_a_result(tenant_a, respx_mock):
    body = payload("openai_embeddings.json")
    body["data"][1]["embedding"] = [0.0, 0.0, 0.0]
    respx_mock.post(f"{OPENAI}/embeddings").respond(200, json=body)
    primary = ai_integration(tenant_a, "OpenAI")

    with pytest.raises(AIExecutionError, match="zero"):
        execute_embedding(client=tenant_a, integration=primary, texts=["a", "b"])
    assert _ledger(tenant_a) == [("OpenAI", False, "PermanentProviderError")]


def test_wrong_dimensions_from_the_provider_are_refused(tenant_a, respx_mock):
    respx_mock.post(f"{OPENAI}/embeddings").respond(200, json=payload("openai_embeddings.json"))
    primary = ai_integration(tenant_a, "OpenAI", dimensions=1536)

    with pytest.raises(AIExecutionError, match="3 dimensions, expected 1536"):
        execute_embedding(client=tenant_a, integration=primary, texts=["a", "b"])


def test_long_input_is_truncated_to_the_models_token_limit(tenant_a, respx_mock):
    route = respx_mock.post(f"{OPENAI}/embeddings").respond(200, json=payload("openai_embeddings.json"))
    primary = ai_integration(tenant_a, "OpenAI", max_tokens=50)

    execute_embedding(client=tenant_a, integration=primary, texts=["word " * 400, "short"])

    sent = json.loads(route.calls.last.request.content)["input"]
    from ai.providers.tokenizer import count_tokens

    assert count_tokens("", sent[0]) == 50 and sent[1] == "short"
    assert AIUsageTracking.objects.get().request_metadata == {"truncated": 1}


def test_generation_records_input_and_output_tokens_and_cost(tenant_a, respx_mock):
    respx_mock.post(f"{OPENAI}/chat/completions").respond(200, json=payload("openai_chat.json"))
    llm = ai_integration(tenant_a, "GPT", model="gpt-4o-mini", subtype="llm", dimensions=None)

    outcome = execute_generation(client=tenant_a, integration=llm, messages=[{"role": "user", "content": "hi"}])

    assert outcome.text == "Cycle time rose 12% this sprint."
    row = AIUsageTracking.objects.get()
    assert (row.input_tokens, row.output_tokens, row.total_tokens) == (19, 10, 29)
    assert row.cost == Decimal("0.00000885")  # 19 * 0.00015/1K + 10 * 0.0006/1K
    assert row.model_name == "gpt-4o-mini-2024-07-18"


def test_an_unpriced_model_is_recorded_as_null_cost_never_zero(tenant_a, respx_mock):
    respx_mock.post("https://llm.internal/v1/chat/completions").respond(200, json=payload("openai_chat.json"))
    llm = ai_integration(
        tenant_a, "Private", model="house-model", subtype="llm", dimensions=None, base_url="https://llm.internal/v1"
    )

    execute_generation(client=tenant_a, integration=llm, messages=[{"role": "user", "content": "hi"}])

    row = AIUsageTracking.objects.get()
    assert row.cost is None and row.cost_unpriced is True
