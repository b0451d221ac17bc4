"""`/api/v1/ai/`: providers, tests, embeddings, usage summary, gateway key info."""

import secrets
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from ai.models import AIUsageTracking, ClientAIConfiguration
from tests.ai.factories import ai_integration, ledger_row, openai_embeddings_reply, payload
from tests.secret_guard import register_secret

pytestmark = pytest.mark.django_db
API = "/api/v1/ai"

REMOTE = {
    "openai": {
        "create": {"model_name": "text-embedding-3-small", "dimensions": 3},
        "route": ("POST", "https://api.openai.com/v1/embeddings"),
    },
    "azure_openai": {
        "create": {
            "model_name": "text-embedding-3-small",
            "dimensions": 3,
            "base_url": "https://contoso.openai.azure.com",
            "deployment": "emb",
            "api_version": "2024-10-21",
        },
        "route": (
            "POST",
            "https://contoso.openai.azure.com/openai/deployments/emb/embeddings",
        ),
    },
    "google_gemini": {
        "create": {"model_name": "gemini-embedding-001", "dimensions": 3},
        "route": (
            "POST",
            "https://generativelanguage.googleapis.com/v1beta/openai/embeddings",
        ),
    },
    "custom_gateway": {
        "create": {
            "model_name": "house-embed",
            "dimensions": 3,
            "base_url": "https://gw.internal/v1",
            "input_price_per_1k": 0.0001,
        },
        "route": ("POST", "https://gw.internal/v1/embeddings"),
    },
}


@pytest.mark.parametrize("provider", sorted(REMOTE))
def test_remote_embedding_provider_lifecycle_through_the_api(provider, admin_a, api_as, respx_mock):
    spec = REMOTE[provider]
    method, url = spec["route"]
    route = respx_mock.route(method=method, url__startswith=url).mock(side_effect=openai_embeddings_reply)
    key = register_secret("sk-" + secrets.token_urlsafe(24))
    api = api_as(admin_a)

    created = api.post(
        f"{API}/providers/", {"name": provider, "provider": provider, "api_key": key, **spec["create"]}, format="json"
    )
    assert created.status_code == 201, created.content
    pid = created.json()["id"]
    tested = api.post(f"{API}/providers/{pid}/test/", {}, format="json")
    used = api.post(f"{API}/embeddings/", {"texts": ["fix login", "add cache"], "provider_id": pid}, format="json")
    listed = api.get(f"{API}/providers/")
    deleted = api.delete(f"{API}/providers/{pid}/")

    assert tested.json()["ok"] is True and tested.json()["dimensions"] == 3, tested.content
    assert used.status_code == 200 and used.json()["vectors"][0] == [0.6, 0.8, 0.0]
    assert deleted.status_code == 204
    assert route.call_count == 2
    for response in (created, tested, used, listed):
        assert key not in response.content.decode()
    assert created.json()["api_key"] == "••••" + key[-4:]


def test_claude_lifecycle_through_the_api(admin_a, api_as, respx_mock):
    respx_mock.post("https://api.anthropic.com/v1/messages").respond(200, json=payload("anthropic_message.json"))
    key = register_secret("sk-ant-" + secrets.token_urlsafe(24))
    api = api_as(admin_a)

    created = api.post(
        f"{API}/providers/",
        {
            "name": "Claude",
            "provider": "anthropic_claude",
            "subtype": "llm",
            "model_name": "claude-sonnet-4-5",
            "api_key": key,
        },
        format="json",
    )
    pid = created.json()["id"]
    tested = api.post(f"{API}/providers/{pid}/test/", {}, format="json")
    embed = api.post(f"{API}/embeddings/", {"texts": ["x"], "provider_id": pid}, format="json")

    assert tested.json()["ok"] is True and tested.json()["sample"].startswith("Three PRs")
    assert embed.status_code == 502 and "does not produce embeddings" in embed.json()["detail"]
    assert api.delete(f"{API}/providers/{pid}/").status_code == 204
    assert all(key not in r.content.decode() for r in (created, tested, embed))


def test_local_provider_lifecycle_through_the_api(admin_a, api_as):
    api = api_as(admin_a)

    created = api.post(
        f"{API}/providers/",
        {"name": "Local", "provider": "sentence_transformers", "model_name": "all-MiniLM-L6-v2"},
        format="json",
    )
    pid = created.json()["id"]
    tested = api.post(f"{API}/providers/{pid}/test/", {}, format="json").json()
    used = api.post(f"{API}/embeddings/", {"texts": ["hello"]}, format="json").json()

    assert created.json()["model"]["dimensions"] == 384 and created.json()["api_key"] == ""
    assert tested["ok"] and tested["dimensions"] == 384 and tested["latency_ms"] > 0
    assert used["dimensions"] == 384 and used["provider"] == "sentence_transformers"
    assert api.get(f"{API}/providers/{pid}/").json()["last_test"]["ok"] is True
    assert api.delete(f"{API}/providers/{pid}/").status_code == 204


def test_test_before_save_reports_the_reason_and_saves_nothing(admin_a, api_as, respx_mock):
    respx_mock.post("https://api.openai.com/v1/embeddings").respond(401, json=payload("openai_error_401.json"))

    response = api_as(admin_a).post(
        f"{API}/providers/test/",
        {"name": "New", "provider": "openai", "model_name": "text-embedding-3-small", "api_key": "sk-wrong-000000000"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["ok"] is False and "API key was rejected" in response.json()["reason"]
    assert api_as(admin_a).get(f"{API}/providers/").json() == []


def test_fallback_through_the_embeddings_api_gives_two_ledger_rows(admin_a, api_as, respx_mock):
    respx_mock.post("https://primary.example/v1/embeddings").respond(401, json=payload("openai_error_401.json"))
    respx_mock.post("https://backup.example/v1/embeddings").respond(200, json=payload("openai_embeddings.json"))
    backup = ai_integration(admin_a.client, "Backup", base_url="https://backup.example/v1")
    primary = ai_integration(admin_a.client, "Primary", base_url="https://primary.example/v1", fallback=backup)

    body = (
        api_as(admin_a)
        .post(f"{API}/embeddings/", {"texts": ["a", "b"], "provider_id": primary.pk}, format="json")
        .json()
    )

    assert body["provider_id"] == backup.pk and body["vectors"][1] == [0.0, 0.6, 0.8]
    assert list(AIUsageTracking.objects.order_by("id").values_list("integration_id", "success")) == [
        (primary.pk, False),
        (backup.pk, True),
    ]


def test_budget_refusal_is_a_402_through_the_api(admin_a, api_as, respx_mock):
    route = respx_mock.post("https://api.openai.com/v1/embeddings")
    ClientAIConfiguration.objects.create(
        client=admin_a.client, config_category="cost_limits", configuration={"daily_usd": 0.01, "action": "block"}
    )
    AIUsageTracking.objects.create(client=admin_a.client, provider="openai", operation="embedding", cost=Decimal("1"))
    paid = ai_integration(admin_a.client, "OpenAI")

    response = api_as(admin_a).post(f"{API}/embeddings/", {"texts": ["a"], "provider_id": paid.pk}, format="json")

    assert response.status_code == 402 and "budget" in response.json()["detail"]
    assert route.call_count == 0


def _row(client, provider, days_ago, cost, tokens, success=True, unpriced=False):
    when = timezone.now() - timedelta(days=days_ago, hours=1)
    ledger_row(client, when, provider=provider, cost=cost, tokens=tokens, success=success, unpriced=unpriced)


def test_usage_summary_equals_the_ledger_sums_for_each_range_and_provider(admin_a, admin_b, api_as):
    client = admin_a.client
    rows = [
        ("openai", 0, "0.10", 100),
        ("openai", 3, "0.20", 200),
        ("anthropic_claude", 10, "1.50", 1000),
        ("sentence_transformers", 0, "0", 50),
        ("openai", 45, "3.00", 3000),
        ("custom_gateway", 1, None, 70),
    ]
    for provider, days, cost, tokens in rows:
        _row(client, provider, days, cost, tokens, unpriced=cost is None)
    _row(client, "openai", 2, "0", 0, success=False)
    _row(admin_b.client, "openai", 0, "99", 9999)  # another tenant: never counted
    api = api_as(admin_a)

    for range_key, days in (("1d", 1), ("7d", 7), ("30d", 30), ("90d", 90)):
        body = api.get(f"{API}/usage/summary/", {"range": range_key}).json()
        since = timezone.now() - timedelta(days=days)
        ledger = AIUsageTracking.objects.for_client(client).filter(created_at__gte=since)
        assert body["totals"]["requests"] == ledger.count()
        assert Decimal(body["totals"]["cost"]) == sum((r.cost or 0 for r in ledger), Decimal(0))
        assert body["totals"]["total_tokens"] == sum(r.total_tokens for r in ledger)
        assert body["totals"]["unpriced_requests"] == ledger.filter(cost_unpriced=True).count()
        assert body["totals"]["failures"] == ledger.filter(success=False).count()
        for entry in body["providers"]:
            mine = ledger.filter(provider=entry["provider"])
            assert entry["requests"] == mine.count()
            assert Decimal(entry["cost"]) == sum((r.cost or 0 for r in mine), Decimal(0))
            assert entry["total_tokens"] == sum(r.total_tokens for r in mine)
        assert sum(day["requests"] for day in body["daily"]) == ledger.count()
        assert len(body["daily"]) == days + 1

    ninety = api.get(f"{API}/usage/summary/", {"range": "90d"}).json()
    priced = AIUsageTracking.objects.for_client(client).filter(cost__isnull=False).count()
    assert Decimal(ninety["totals"]["average_cost_per_request"]) == (Decimal("4.80") / priced).quantize(Decimal("1e-8"))
    assert api.get(f"{API}/usage/summary/", {"range": "2y"}).status_code == 400


def test_models_available_filters_by_capability(admin_a, api_as):
    body = api_as(admin_a).get(f"{API}/models/available/", {"capability": "embedding"}).json()

    assert body and all("embedding" in m["capabilities"] for m in body)
    assert {"name": "all-MiniLM-L6-v2", "dimensions": 384}.items() <= next(
        m for m in body if m["name"] == "all-MiniLM-L6-v2"
    ).items()
    assert api_as(admin_a).get(f"{API}/models/available/", {"capability": "telepathy"}).status_code == 400


def test_gateway_key_info_reports_spend_without_the_key(admin_a, api_as, respx_mock):
    respx_mock.get("https://gw.internal/key/info").respond(200, json=payload("litellm_key_info.json"))
    key = register_secret("sk-gw-" + secrets.token_urlsafe(20))
    ai_integration(
        admin_a.client,
        "Gateway",
        provider="custom_gateway",
        model="m",
        subtype="gateway",
        base_url="https://gw.internal/v1",
        api_key=key,
        dimensions=None,
    )

    response = api_as(admin_a).get(f"{API}/gateway/key-info/")

    assert response.json()["spend"] == "12.34560000" and response.json()["key_alias"] == "pulse-prod"
    assert key not in response.content.decode()
    assert response.json().keys() == {"provider_id", "spend", "max_budget", "key_alias", "models"}


def test_members_read_but_cannot_change_providers_and_other_tenants_are_404(admin_a, member_a, admin_b, api_as):
    theirs = ai_integration(admin_b.client, "B", dimensions=None)
    mine = ai_integration(admin_a.client, "A", dimensions=None)
    member = api_as(member_a)

    assert member.get(f"{API}/providers/{mine.pk}/").status_code == 200
    assert member.patch(f"{API}/providers/{mine.pk}/", {"active": False}, format="json").status_code == 403
    assert api_as(admin_a).get(f"{API}/providers/{theirs.pk}/").status_code == 404
    assert api_as(admin_a).post(f"{API}/providers/{theirs.pk}/test/", {}, format="json").status_code == 404
    assert (
        api_as(admin_a)
        .post(f"{API}/embeddings/", {"texts": ["x"], "provider_id": theirs.pk}, format="json")
        .status_code
        == 400
    )
