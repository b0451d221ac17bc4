import pytest

from tests.ai.factories import ai_integration

pytestmark = pytest.mark.django_db


def test_a_dimension_mismatched_embedding_fallback_is_refused_at_save(admin_a, api_as):
    local = ai_integration(
        admin_a.client, "Local MiniLM", provider="sentence_transformers", model="all-MiniLM-L6-v2", dimensions=None
    )
    openai = ai_integration(admin_a.client, "OpenAI small", dimensions=None)  # 1536 from the catalog

    response = api_as(admin_a).patch(
        f"/api/v1/integrations/{openai.pk}/", {"fallback_integration": local.pk}, format="json"
    )

    assert response.status_code == 400
    message = response.json()["fallback_integration"][0]
    assert "OpenAI small has 1536" in message and "Local MiniLM has 384" in message


def test_unknown_provider_and_missing_model_are_400s(admin_a, api_as):
    api = api_as(admin_a)
    base = {"integration_type": "ai_model", "integration_name": "X"}

    unknown = api.post("/api/v1/integrations/", {**base, "configuration": {"provider": "skynet"}}, format="json")
    no_model = api.post("/api/v1/integrations/", {**base, "configuration": {"provider": "openai"}}, format="json")

    assert unknown.status_code == 400 and "provider" in unknown.json()["configuration"][0]
    assert no_model.status_code == 400 and "model_name" in no_model.json()["model_config"][0]


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({"provider": "openai", "model_name": "text-embedding-3-small"}, "api_key", "needs an API key"),
        (
            {"provider": "azure_openai", "model_name": "gpt-4o", "api_key": "sk-x", "base_url": "https://a.example"},
            "deployment",
            "Azure OpenAI needs this.",
        ),
        ({"provider": "custom_gateway", "model_name": "house"}, "base_url", "The gateway's URL"),
    ],
)
def test_the_api_enforces_the_same_provider_rules_as_the_hub(admin_a, api_as, body, field, message):
    api = api_as(admin_a)

    created = api.post("/api/v1/ai/providers/", {"name": "New", **body}, format="json")
    tested = api.post("/api/v1/ai/providers/test/", {"name": "New", **body}, format="json")

    for response in (created, tested):
        assert response.status_code == 400
        assert message in response.json()[field][0]
    assert api.get("/api/v1/ai/providers/").json() == []
