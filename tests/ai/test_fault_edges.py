"""Edges the probe turned into 500s or leaks: the gateway's key info, keys no HTTP header can carry,
provider messages that echo the key, YAML imports without roles, budgets that cannot both hold."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from ai.execution.routing import models_configuration
from ai.models import ClientAIConfiguration
from ai.setup.pipeline import ai_config_import
from pulse.core.models import Integration
from tests.ai.factories import ai_integration, local_embedding
from tests.secret_guard import register_secret

pytestmark = pytest.mark.django_db
API = "/api/v1/ai"
ECHOED = register_secret("sk-echoed-by-the-vendor-0123456789")


def _gateway(client, base_url="https://gw.internal/v1"):
    return ai_integration(
        client, "Gateway", provider="custom_gateway", model="m", subtype="gateway", base_url=base_url, dimensions=None
    )


@pytest.mark.parametrize("query", ["?provider_id=abc", "?provider_id=-1", "?provider_id=1.5"])
def test_a_gateway_key_info_id_that_is_not_a_number_is_a_400(admin_a, api_as, query):
    response = api_as(admin_a).get(f"{API}/gateway/key-info/{query}")

    assert response.status_code == 400 and "provider_id" in response.json()


def test_a_gateway_without_a_url_is_a_400_for_a_member_too(member_a, api_as, tenant_a):
    gateway = Integration.objects.create(
        client=tenant_a,
        integration_type="ai_model",
        integration_subtype="gateway",
        integration_name="Old gateway",
        configuration={"provider": "custom_gateway"},
        model_config={"model_name": "m"},
    )

    response = api_as(member_a).get(f"{API}/gateway/key-info/?provider_id={gateway.pk}")

    assert response.status_code == 400 and "no base URL" in response.json()["provider_id"][0]


@pytest.mark.parametrize(("status", "body"), [(401, {"error": {"message": "bad key"}}), (503, None)])
def test_a_gateway_that_refuses_or_is_down_is_a_502(admin_a, api_as, respx_mock, status, body):
    _gateway(admin_a.client)
    respx_mock.get("https://gw.internal/key/info").respond(status, json=body)

    response = api_as(admin_a).get(f"{API}/gateway/key-info/")

    assert response.status_code == 502 and f"HTTP {status}" in response.json()["detail"]


def test_a_key_no_header_can_carry_is_a_400_and_a_stored_one_a_clear_failure(admin_a, api_as, respx_mock):
    body = {"name": "X", "provider": "openai", "model_name": "text-embedding-3-small", "api_key": "sk-clé-0000"}
    stored = ai_integration(admin_a.client, "Stored", api_key="sk-clé-0000")
    api = api_as(admin_a)

    created = api.post(f"{API}/providers/", body)
    tested = api.post(f"{API}/providers/test/", body)
    tested_saved = api.post(f"{API}/providers/{stored.pk}/test/", {})
    embedded = api.post(f"{API}/embeddings/", {"texts": ["x"], "provider_id": stored.pk})

    assert created.status_code == 400 and tested.status_code == 400 and "ASCII" in created.json()["api_key"][0]
    assert tested_saved.status_code == 200 and "HTTP header" in tested_saved.json()["reason"]
    assert embedded.status_code == 502 and "HTTP header" in embedded.json()["detail"]
    assert not respx_mock.calls


def test_a_key_echoed_by_a_provider_is_never_stored_or_shown(admin_a, api_as, respx_mock):
    provider = ai_integration(admin_a.client, "Echo", api_key=ECHOED, performance={"max_retries": 0})
    respx_mock.post("https://api.openai.com/v1/embeddings").respond(
        400, json={"error": {"message": f"Invalid request for key {ECHOED}"}}
    )
    api = api_as(admin_a)

    tested = api.post(f"{API}/providers/{provider.pk}/test/", {})
    embedded = api.post(f"{API}/embeddings/", {"texts": ["x"], "provider_id": provider.pk})
    card = api.get(f"{API}/providers/{provider.pk}/")

    assert "Invalid request for key ••••" in tested.json()["reason"]
    for response in (tested, embedded, card):
        assert ECHOED not in response.content.decode()
    assert ECHOED not in str(Integration.objects.get(pk=provider.pk).performance_config)


def test_a_yaml_import_without_roles_keeps_the_embedding_model(tenant_a):
    local = local_embedding(tenant_a)

    ai_config_import(client=tenant_a, text="version: 1\nproviders: []\n")

    assert models_configuration(tenant_a)["embedding"] == local.pk


def test_a_daily_budget_above_the_monthly_one_is_refused_everywhere(admin, tenant_a):
    limits, field = {"daily_usd": 50, "monthly_usd": 10, "action": "block"}, "daily_usd"
    page = admin.post(reverse("hub:budget"), limits, follow=True)
    yaml_text = f"version: 1\nproviders: []\ncost_limits: {limits}\n".replace("'", "")

    with pytest.raises(ValidationError) as refused:
        ai_config_import(client=tenant_a, text=yaml_text)

    assert "cannot be above the monthly one" in page.content.decode()
    assert f"cost_limits.{field}" in refused.value.message_dict
    assert not ClientAIConfiguration.objects.filter(client=tenant_a, config_category="cost_limits").exists()


@pytest.fixture
def admin(client, admin_a):
    client.force_login(admin_a)
    return client
