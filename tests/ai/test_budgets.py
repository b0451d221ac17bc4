"""Budgets: checked before every paid call; block, or fall back to a free local model."""

from decimal import Decimal

import pytest

from ai.execution.budgets import BudgetExceededError
from ai.execution.calls import execute_embedding, execute_generation
from ai.models import AIUsageTracking, ClientAIConfiguration
from tests.ai.factories import ai_integration

pytestmark = pytest.mark.django_db


def _spend(client, amount: str):
    AIUsageTracking.objects.create(
        client=client, provider="openai", operation="embedding", model_name="m", cost=Decimal(amount)
    )


def _limits(client, **config):
    ClientAIConfiguration.objects.create(client=client, config_category="cost_limits", configuration=config)


def test_a_reached_daily_budget_blocks_paid_calls_and_counts_the_refusal(tenant_a, respx_mock):
    route = respx_mock.post("https://api.openai.com/v1/embeddings")
    _limits(tenant_a, daily_usd=1, action="block")
    _spend(tenant_a, "1.00")
    paid = ai_integration(tenant_a, "OpenAI")

    with pytest.raises(BudgetExceededError, match="daily AI budget is used up"):
        execute_embedding(client=tenant_a, integration=paid, texts=["a"])

    assert route.call_count == 0
    refusal = AIUsageTracking.objects.get(error_class="BudgetExceeded")
    assert refusal.success is False and refusal.cost == 0


def test_monthly_budget_blocks_generation_too(tenant_a, respx_mock):
    route = respx_mock.post("https://api.openai.com/v1/chat/completions")
    _limits(tenant_a, monthly_usd="2.5")
    _spend(tenant_a, "2.5")
    llm = ai_integration(tenant_a, "GPT", model="gpt-4o-mini", subtype="llm", dimensions=None)

    with pytest.raises(BudgetExceededError, match="monthly"):
        execute_generation(client=tenant_a, integration=llm, messages=[{"role": "user", "content": "x"}])
    assert route.call_count == 0


def test_fallback_local_reroutes_embeddings_to_the_free_local_model(tenant_a, respx_mock):
    route = respx_mock.post("https://api.openai.com/v1/embeddings")
    _limits(tenant_a, daily_usd=1, action="fallback_local")
    _spend(tenant_a, "5")
    local = ai_integration(
        tenant_a, "Local", provider="sentence_transformers", model="all-MiniLM-L6-v2", api_key="", dimensions=None
    )
    paid = ai_integration(tenant_a, "OpenAI 384", dimensions=384)

    outcome = execute_embedding(client=tenant_a, integration=paid, texts=["a"])

    assert route.call_count == 0
    assert outcome.integration == local and len(outcome.vectors[0]) == 384
    assert AIUsageTracking.objects.filter(integration=local, success=True, cost=0).count() == 1


def test_fallback_local_without_a_compatible_local_model_is_a_clear_refusal(tenant_a, respx_mock):
    _limits(tenant_a, daily_usd=1, action="fallback_local")
    _spend(tenant_a, "5")
    paid = ai_integration(tenant_a, "OpenAI")  # 3 dimensions: no local model matches

    with pytest.raises(BudgetExceededError, match="no local model with the same dimensions"):
        execute_embedding(client=tenant_a, integration=paid, texts=["a"])


def test_free_local_calls_are_never_blocked(tenant_a):
    _limits(tenant_a, daily_usd=0, action="block")
    local = ai_integration(
        tenant_a, "Local", provider="sentence_transformers", model="all-MiniLM-L6-v2", api_key="", dimensions=None
    )

    outcome = execute_embedding(client=tenant_a, integration=local, texts=["free"])

    assert len(outcome.vectors[0]) == 384


def test_another_tenants_spend_does_not_count(tenant_a, tenant_b, respx_mock):
    from tests.ai.factories import payload

    respx_mock.post("https://api.openai.com/v1/embeddings").respond(200, json=payload("openai_embeddings.json"))
    _limits(tenant_a, daily_usd=1)
    _spend(tenant_b, "100")
    paid = ai_integration(tenant_a, "OpenAI")

    assert execute_embedding(client=tenant_a, integration=paid, texts=["a", "b"]).vectors
