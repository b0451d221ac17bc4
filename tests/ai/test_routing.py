"""Routing: configured choice, preference tier, bulk jobs, health and budget."""

from decimal import Decimal

import pytest
from django.core.cache import cache

from ai.execution.cooldown import _cooldown_key
from ai.execution.routing import NoProviderError, route_integration
from ai.models import AIUsageTracking, ClientAIConfiguration
from tests.ai.factories import ai_integration

pytestmark = pytest.mark.django_db


@pytest.fixture
def llms(tenant_a):
    return {
        "fast": ai_integration(tenant_a, "Mini", model="gpt-4o-mini", subtype="llm", dimensions=None),
        "quality": ai_integration(tenant_a, "Big", model="gpt-4o", subtype="llm", dimensions=None),
        "local": ai_integration(
            tenant_a,
            "House",
            provider="custom_gateway",
            model="llama",
            subtype="llm",
            dimensions=None,
            base_url="http://127.0.0.1:9",
            input_price_per_1k=0,
            output_price_per_1k=0,
            tier="fast",
        ),
    }


def test_preference_picks_the_matching_tier(tenant_a, llms):
    assert route_integration(client=tenant_a, operation="text_generation", preference="quality") == llms["quality"]
    assert route_integration(client=tenant_a, operation="text_generation", preference="fast") in (
        llms["fast"],
        llms["local"],
    )


def test_a_configured_role_wins(tenant_a, llms):
    ClientAIConfiguration.objects.create(
        client=tenant_a, config_category="models", configuration={"qa": llms["fast"].pk}
    )

    assert (
        route_integration(client=tenant_a, operation="text_generation", role="qa", preference="quality") == llms["fast"]
    )


def test_bulk_jobs_prefer_free_models(tenant_a, llms):
    assert (
        route_integration(client=tenant_a, operation="analysis", preference="quality", job_size=10_000) == llms["local"]
    )


def test_a_cooling_down_provider_is_avoided(tenant_a, llms):
    import time

    cache.set(_cooldown_key(llms["quality"]), time.time() + 60, timeout=60)

    assert route_integration(client=tenant_a, operation="text_generation", preference="quality") != llms["quality"]


def test_over_budget_prefers_free_models(tenant_a, llms):
    ClientAIConfiguration.objects.create(client=tenant_a, config_category="cost_limits", configuration={"daily_usd": 1})
    AIUsageTracking.objects.create(client=tenant_a, provider="openai", operation="embedding", cost=Decimal(2))

    assert route_integration(client=tenant_a, operation="text_generation", preference="quality") == llms["local"]


def test_embeddings_are_pinned_to_the_configured_model(tenant_a):
    local = ai_integration(
        tenant_a, "Local", provider="sentence_transformers", model="all-MiniLM-L6-v2", api_key="", dimensions=None
    )
    paid = ai_integration(tenant_a, "OpenAI")
    ClientAIConfiguration.objects.create(
        client=tenant_a, config_category="models", configuration={"embedding": paid.pk}
    )

    assert route_integration(client=tenant_a, operation="embedding", job_size=100_000) == paid
    ClientAIConfiguration.objects.filter(client=tenant_a).delete()
    assert route_integration(client=tenant_a, operation="embedding", job_size=100_000) == local


def test_no_capable_provider_is_a_clear_error(tenant_a, tenant_b):
    ai_integration(tenant_b, "Theirs", model="gpt-4o", subtype="llm", dimensions=None)
    ai_integration(tenant_a, "Embed only")

    with pytest.raises(NoProviderError, match="text generation"):
        route_integration(client=tenant_a, operation="text_generation")
