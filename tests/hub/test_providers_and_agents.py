"""Provider Management and AI Agents pages: every form's validation messages and what a save does."""

import pytest
from django.urls import reverse

from ai.models import AIUsageTracking, ClientAIPreferences
from pulse.core.models import Integration
from tests.ai.factories import ai_integration, openai_embeddings_reply, payload
from tests.secret_guard import register_secret

KEY = register_secret("sk-proj-hubform-5f4e3d2c1b0a99887766")


@pytest.fixture
def admin(client, admin_a):
    client.force_login(admin_a)
    return client


def _post(client, url, **data):
    base = {
        "name": "Local",
        "provider": "sentence_transformers",
        "subtype": "embedding",
        "model_name": "all-MiniLM-L6-v2",
        "active": "on",
        "action": "save_test",
    }
    return client.post(url, {**base, **data})


def _errors(response) -> dict:
    form = response.context["form"]
    return {field: " ".join(errors) for field, errors in form.errors.items()}


def test_save_and_test_a_local_provider_stores_it_with_its_test(admin, tenant_a):
    response = _post(admin, reverse("hub:provider-create"))
    assert response.status_code == 302
    saved = Integration.objects.for_client(tenant_a).get(integration_name="Local")
    assert saved.performance_config["last_test"]["ok"] is True
    assert saved.performance_config["last_test"]["latency_ms"] > 0
    page = admin.get(reverse("hub:providers")).content.decode()
    assert "Test passed in" in page and "384" in page  # the message and the card's dimensions
    assert AIUsageTracking.objects.for_client(tenant_a).filter(request_metadata__purpose="provider_test").count() == 1


def test_save_and_test_that_fails_saves_nothing_and_says_why(admin, tenant_a, respx_mock):
    respx_mock.post("https://api.openai.com/v1/embeddings").respond(401, json=payload("openai_error_401.json"))
    response = _post(
        admin,
        reverse("hub:provider-create"),
        name="OpenAI",
        provider="openai",
        model_name="text-embedding-3-small",
        api_key=KEY,
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "Test failed, nothing was saved" in text
    assert "Incorrect API key" in text or "401" in text
    assert KEY not in text
    assert not Integration.objects.for_client(tenant_a).filter(integration_name="OpenAI").exists()


def test_save_without_testing_is_possible_and_says_so(admin, tenant_a):
    response = _post(
        admin,
        reverse("hub:provider-create"),
        name="OpenAI",
        provider="openai",
        model_name="text-embedding-3-small",
        api_key=KEY,
        action="save",
    )
    assert response.status_code == 302
    saved = Integration.objects.for_client(tenant_a).get(integration_name="OpenAI")
    assert saved.credentials["api_key"] == KEY
    assert "without a test" in admin.get(reverse("hub:providers")).content.decode()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": ""}, "name", "This field is required."),
        ({"model_name": ""}, "model_name", "This field is required."),
        ({"provider": "nope"}, "provider", "Select a valid choice."),
        ({"provider": "openai", "model_name": "text-embedding-3-small"}, "api_key", "needs an API key"),
        ({"provider": "azure_openai", "api_key": KEY}, "deployment", "Azure OpenAI needs this."),
        ({"provider": "custom_gateway"}, "base_url", "The gateway's URL"),
        ({"base_url": "not a url", "provider": "custom_gateway"}, "base_url", "Enter a valid URL."),
        ({"provider": "openai", "api_key": KEY, "dimensions": "0"}, "dimensions", "greater than or equal to 1"),
        ({"batch_size": "100000"}, "batch_size", "less than or equal to 2048"),
        ({"timeout_seconds": "abc"}, "timeout_seconds", "Enter a number."),
    ],
)
def test_provider_form_validation_messages(admin, tenant_a, data, field, message):
    response = _post(admin, reverse("hub:provider-create"), **data)
    assert response.status_code == 400
    assert message in _errors(response)[field]
    assert "Please correct the fields marked below." in response.content.decode()
    assert not Integration.objects.for_client(tenant_a).exists()


def test_duplicate_names_and_incompatible_fallbacks_are_refused_on_the_field(admin, tenant_a):
    big = ai_integration(tenant_a, "Big", dimensions=1536, api_key=KEY)
    response = _post(admin, reverse("hub:provider-create"), name="Big")
    assert "already exists" in _errors(response)["name"]
    response = _post(admin, reverse("hub:provider-create"), name="Small", fallback_integration=big.pk)
    assert "makes 1536-dimension vectors; this model makes 384" in _errors(response)["fallback_integration"]


def test_fallback_choices_are_the_tenant_s_own_and_not_the_provider_itself(admin, tenant_a, tenant_b):
    mine = ai_integration(tenant_a, "Mine", dimensions=384, api_key=KEY)
    other = ai_integration(tenant_b, "Theirs", dimensions=384, api_key=KEY)
    response = admin.get(reverse("hub:provider-edit", args=[mine.pk]))
    choices = [str(value) for value, _ in response.context["form"].fields["fallback_integration"].choices if value]
    assert str(other.pk) not in choices and str(mine.pk) not in choices
    response = _post(admin, reverse("hub:provider-create"), name="X", fallback_integration=other.pk)
    assert "Select a valid choice" in _errors(response)["fallback_integration"]


def test_editing_with_a_blank_key_keeps_the_stored_key(admin, tenant_a, respx_mock):
    respx_mock.post("https://api.openai.com/v1/embeddings").mock(side_effect=openai_embeddings_reply)
    saved = ai_integration(tenant_a, "OpenAI", api_key=KEY, dimensions=3)
    response = _post(
        admin,
        reverse("hub:provider-edit", args=[saved.pk]),
        name="OpenAI renamed",
        provider="openai",
        model_name="text-embedding-3-small",
        dimensions="3",
        api_key="",
    )
    assert response.status_code == 302, _errors(response)
    saved.refresh_from_db()
    assert saved.integration_name == "OpenAI renamed"
    assert saved.credentials["api_key"] == KEY
    assert respx_mock.calls.last.request.headers["authorization"] == f"Bearer {KEY}"


def test_test_button_records_the_result_on_the_card(admin, tenant_a, respx_mock):
    respx_mock.post("https://api.openai.com/v1/embeddings").respond(401, json=payload("openai_error_401.json"))
    saved = ai_integration(tenant_a, "OpenAI", api_key=KEY, dimensions=3)
    response = admin.post(reverse("hub:provider-test", args=[saved.pk]), follow=True)
    html = response.content.decode()
    assert "test failed" in html and "failing" in html
    saved.refresh_from_db()
    assert saved.performance_config["last_test"]["ok"] is False


def test_delete_asks_first_and_refuses_a_provider_that_is_a_fallback(admin, tenant_a):
    backup = ai_integration(tenant_a, "Backup", api_key=KEY)
    ai_integration(tenant_a, "Primary", api_key=KEY, fallback=backup)
    confirm = admin.get(reverse("hub:provider-delete", args=[backup.pk])).content.decode()
    assert "It is the fallback of Primary" in confirm
    response = admin.post(reverse("hub:provider-delete", args=[backup.pk]), follow=True)
    assert Integration.objects.filter(pk=backup.pk).exists()
    assert "Primary" in response.content.decode()
    lone = ai_integration(tenant_a, "Lone", api_key=KEY)
    assert "cannot be undone" in admin.get(reverse("hub:provider-delete", args=[lone.pk])).content.decode()
    admin.post(reverse("hub:provider-delete", args=[lone.pk]))
    assert not Integration.objects.filter(pk=lone.pk).exists()


def test_agent_settings_validate_and_store_the_design_notes_shape(admin, tenant_a):
    embedding_only = ai_integration(tenant_a, "Embedder", api_key=KEY)
    chat = ai_integration(tenant_a, "Chat", model="gpt-4o-mini", subtype="llm", api_key=KEY, dimensions=None)
    page = admin.get(reverse("hub:agents"))
    assert page.context["form"].initial["response_style"] == "detailed"  # the design notes' defaults
    assert page.context["form"].initial["confidence_threshold"] == 0.8
    base = {
        "response_style": "concise",
        "confidence_threshold": "0.65",
        "analysis_depth": "expert",
        "proactive_insights": "on",
        "custom_prompts": "Watch cycle time\n\nFlag stale PRs",
        "anomaly_detection": "on",
    }
    bad = admin.post(reverse("hub:agents"), {**base, "confidence_threshold": "1.5", "primary_model": embedding_only.pk})
    assert bad.status_code == 400
    errors = _errors(bad)
    assert "less than or equal to 1" in errors["confidence_threshold"]
    assert "Select a valid choice" in errors["primary_model"]
    assert not ClientAIPreferences.objects.for_client(tenant_a).exists()
    good = admin.post(reverse("hub:agents"), {**base, "primary_model": chat.pk})
    assert good.status_code == 302
    prefs = dict(ClientAIPreferences.objects.for_client(tenant_a).values_list("preference_type", "configuration"))
    assert prefs["agent_config"] == {
        "question_answering": {
            "primary_model": chat.pk,
            "fallback_model": None,
            "response_style": "concise",
            "confidence_threshold": 0.65,
        },
        "insight_generation": {
            "analysis_depth": "expert",
            "proactive_insights": True,
            "custom_prompts": ["Watch cycle time", "Flag stale PRs"],
        },
    }
    assert prefs["dashboard_ai"] == {
        "auto_refresh": False,
        "anomaly_detection": True,
        "predictive_analytics": False,
        "narrative_generation": False,
    }
    again = admin.get(reverse("hub:agents")).context["form"].initial
    assert again["primary_model"] == chat.pk and again["custom_prompts"] == "Watch cycle time\nFlag stale PRs"
