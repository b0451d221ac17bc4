"""A stored secret is only ever sent to the destination it was saved for: changing the host (scheme,
host, port) or the provider of an integration needs the secret entered again, through every face
(provider API, provider test with edits, the hub's Save & Test, a Jira source, the integrations API,
the admin). respx without routes: any request that went out would fail the test."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from ai.models import AIUsageTracking
from etl.services.sources import source_update
from pulse.core.destinations import url_origin
from pulse.core.models import Integration
from tests.ai.factories import ai_integration
from tests.secret_guard import register_secret

pytestmark = pytest.mark.django_db
KEY = register_secret("sk-stored-destination-9f8e7d6c5b4a")
NEW_KEY = register_secret("sk-entered-again-1a2b3c4d5e6f")


@pytest.fixture
def gateway(tenant_a):
    return ai_integration(
        tenant_a, "Gateway", provider="custom_gateway", base_url="https://gw.example.com/v1", api_key=KEY
    )


@pytest.mark.parametrize(
    ("before", "after", "same"),
    [
        ("https://gw.example.com/v1", "https://GW.example.com:443/v2", True),
        ("https://gw.example.com/v1", "https://gw.example.com./v1", True),
        ("https://gw.example.com/v1", "http://gw.example.com/v1", False),
        ("https://gw.example.com/v1", "https://gw.example.com:8443/v1", False),
        ("https://gw.example.com/v1", "https://gw.example.com.evil.io/v1", False),
        ("https://gw.example.com/v1", "https://gw.example.com@evil.io/v1", False),
    ],
)
def test_origins_compare_scheme_host_and_port(before, after, same):
    assert (url_origin(before) == url_origin(after)) is same


def test_the_provider_api_refuses_a_new_host_without_the_key_again(admin_a, api_as, gateway, respx_mock):
    api = api_as(admin_a)
    url = f"/api/v1/ai/providers/{gateway.pk}/"

    moved = api.patch(url, {"base_url": "https://evil.example.net/v1"}, format="json")
    tested = api.post(f"{url}test/", {"base_url": "https://evil.example.net/v1"}, format="json")
    renamed = api.patch(url, {"name": "Gateway 2", "base_url": "https://gw.example.com/v2"}, format="json")
    moved_with_key = api.patch(url, {"base_url": "https://new.example.net/v1", "api_key": NEW_KEY}, format="json")

    assert moved.status_code == 400 and "enter this secret again" in moved.json()["api_key"][0]
    assert tested.status_code == 400 and "api_key" in tested.json()
    assert renamed.status_code == 200 and moved_with_key.status_code == 200
    gateway.refresh_from_db()
    assert gateway.base_url == "https://new.example.net/v1" and gateway.credentials["api_key"] == NEW_KEY
    assert not respx_mock.calls


def test_changing_the_provider_with_a_blank_url_is_a_new_destination(admin_a, api_as, tenant_a, respx_mock):
    openai = ai_integration(tenant_a, "OpenAI", api_key=KEY, subtype="llm", model="gpt-4o", dimensions=None)

    response = api_as(admin_a).patch(
        f"/api/v1/ai/providers/{openai.pk}/", {"provider": "anthropic_claude"}, format="json"
    )

    assert response.status_code == 400 and "api_key" in response.json()
    assert not respx_mock.calls


def test_the_hubs_save_and_test_refuses_before_sending_anything(client, admin_a, gateway, respx_mock):
    client.force_login(admin_a)
    data = {
        "name": "Gateway",
        "provider": "custom_gateway",
        "subtype": "embedding",
        "model_name": "house",
        "base_url": "https://evil.example.net/v1",
        "active": "on",
        "action": "save_test",
    }

    response = client.post(reverse("hub:provider-edit", args=[gateway.pk]), data)

    assert response.status_code == 400
    assert "enter this secret again" in " ".join(response.context["form"].errors["api_key"])
    assert not AIUsageTracking.objects.filter(request_metadata__purpose="provider_test").exists()
    assert Integration.objects.get(pk=gateway.pk).base_url == "https://gw.example.com/v1"
    assert not respx_mock.calls


def test_a_jira_source_and_the_integrations_api_need_the_token_again(admin_a, api_as, tenant_a):
    jira = Integration.objects.create(
        client=tenant_a,
        integration_type=Integration.Type.JIRA,
        integration_name="Jira",
        base_url="https://team.atlassian.net",
        credentials={"email": "dev@example.com", "api_token": KEY},
        configuration={"project_keys": ["GROOVY"]},
    )

    with pytest.raises(ValidationError) as refused:
        source_update(integration=jira, data={"name": "Jira", "base_url": "https://evil.example.net", "email": ""})
    patched = api_as(admin_a).patch(
        f"/api/v1/integrations/{jira.pk}/", {"base_url": "https://evil.example.net"}, format="json"
    )

    assert list(refused.value.message_dict) == ["api_token"]  # the email is not a secret
    assert patched.status_code == 400 and "api_token" in patched.json()
    assert Integration.objects.get(pk=jira.pk).base_url == "https://team.atlassian.net"


def test_the_admin_refuses_a_new_host_unless_the_secrets_are_replaced(client, gateway, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.com", "pw-root-123456")
    client.force_login(root)
    url = reverse("admin:core_integration_change", args=[gateway.pk])
    form = {
        "client": gateway.client_id,
        "integration_type": "ai_model",
        "integration_subtype": "embedding",
        "integration_name": "Gateway",
        "base_url": "https://evil.example.net/v1",
        "configuration": '{"provider": "custom_gateway"}',
        "model_config": '{"model_name": "text-embedding-3-small", "dimensions": 3}',
        "performance_config": "{}",
        "active": "on",
    }

    refused = client.post(url, form)
    replaced = client.post(url, {**form, "replace_credentials": f'{{"api_key": "{NEW_KEY}"}}'})

    assert refused.status_code == 200 and "enter api_key again" in refused.content.decode()
    assert replaced.status_code == 302
    gateway.refresh_from_db()
    assert gateway.base_url == "https://evil.example.net/v1" and gateway.credentials == {"api_key": NEW_KEY}
