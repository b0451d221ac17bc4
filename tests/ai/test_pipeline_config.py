"""YAML export → import into a new tenant reproduces the AI setup, minus secrets."""

import io

import pytest
import yaml
from django.core.management import CommandError, call_command

from ai.execution.routing import models_configuration, route_integration
from ai.execution.selectors import provider_list
from ai.models import ClientAIConfiguration
from tests.ai.factories import ai_integration

pytestmark = pytest.mark.django_db


def _setup(client):
    local = ai_integration(
        client,
        "Local",
        provider="sentence_transformers",
        model="all-MiniLM-L6-v2",
        api_key="",
        dimensions=None,
        performance={"batch_size": 16},
    )
    small = ai_integration(client, "OpenAI 384", dimensions=384, fallback=local, api_key="sk-secret-value-123456")
    gpt = ai_integration(
        client, "GPT", model="gpt-4o-mini", subtype="llm", dimensions=None, api_key="sk-other-secret-123456"
    )
    azure = ai_integration(
        client,
        "Azure",
        provider="azure_openai",
        model="gpt-4o",
        subtype="llm",
        dimensions=None,
        base_url="https://contoso.openai.azure.com",
        configuration={"deployment": "gpt4o", "api_version": "2024-10-21"},
        fallback=gpt,
    )
    ClientAIConfiguration.objects.create(
        client=client,
        config_category="models",
        configuration={
            "embedding": small.pk,
            "qa": azure.pk,
            "insights": gpt.pk,
            "sql": gpt.pk,
            "preference": "quality",
        },
    )
    ClientAIConfiguration.objects.create(
        client=client,
        config_category="cost_limits",
        configuration={"daily_usd": 5, "monthly_usd": 100, "action": "fallback_local"},
    )


def _shape(client):
    """Everything about a tenant's setup except ids and secrets."""
    names = {p.pk: p.integration_name for p in provider_list(client=client)}
    providers = sorted(
        (
            p.integration_name,
            p.provider,
            p.integration_subtype,
            p.base_url,
            tuple(sorted(p.configuration.items())),
            tuple(sorted(p.model_config.items())),
            tuple(sorted(p.performance_config.items())),
            names.get(p.fallback_integration_id),
            p.active,
        )
        for p in provider_list(client=client)
    )
    models = {k: names.get(v, v) for k, v in models_configuration(client).items()}
    limits = ClientAIConfiguration.objects.get(client=client, config_category="cost_limits").configuration
    return providers, models, limits


def test_export_then_import_into_a_new_tenant_reproduces_the_setup(admin_a, admin_b, api_as):
    _setup(admin_a.client)

    exported = api_as(admin_a).get("/api/v1/ai/config/export/")
    assert exported.status_code == 200 and exported["Content-Type"].startswith("application/yaml")
    text = exported.content.decode()
    assert "sk-secret-value" not in text and "sk-other-secret" not in text
    report = api_as(admin_b).post("/api/v1/ai/config/import/", {"yaml": text}, format="json")

    assert report.status_code == 200, report.content
    assert sorted(report.json()["created"]) == ["Azure", "GPT", "Local", "OpenAI 384"]
    assert report.json()["needs_secrets"] == {"Azure": ["api_key"], "GPT": ["api_key"], "OpenAI 384": ["api_key"]}
    assert _shape(admin_b.client) == _shape(admin_a.client)
    assert route_integration(client=admin_b.client, operation="embedding").integration_name == "OpenAI 384"
    assert all(not p.credentials for p in provider_list(client=admin_b.client))


def test_importing_twice_updates_instead_of_duplicating(admin_a, tenant_b):
    _setup(admin_a.client)
    text = io.StringIO()
    call_command("ai_config", "export", "--client", admin_a.client.slug, stdout=text)

    for _ in range(2):
        call_command(
            "ai_config",
            "import",
            "--client",
            tenant_b.slug,
            stdin=io.StringIO(text.getvalue()),
            stdout=io.StringIO(),
        )

    assert provider_list(client=tenant_b).count() == 4


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d["providers"][0].update(provider="skynet"), "providers[0].provider"),
        (lambda d: d["providers"][1].update(fallback="Nope"), "providers[1].fallback"),
        (lambda d: d["pipeline"].update(qa="Nope"), "pipeline.qa"),
        (lambda d: d.update(version=7), "version"),
        (lambda d: d["cost_limits"].update(action="panic"), "cost_limits.action"),
    ],
)
def test_an_invalid_file_is_a_400_naming_the_field_and_changes_nothing(admin_a, admin_b, api_as, mutate, field):
    _setup(admin_a.client)
    document = yaml.safe_load(api_as(admin_a).get("/api/v1/ai/config/export/").content)
    mutate(document)

    response = api_as(admin_b).post("/api/v1/ai/config/import/", {"yaml": yaml.safe_dump(document)}, format="json")

    assert response.status_code == 400 and field in response.json()
    assert provider_list(client=admin_b.client).count() == 0


def test_the_command_reports_an_invalid_file_clearly(tenant_a, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nproviders: [{name: x}]\n")

    with pytest.raises(CommandError, match=r"providers\[0\]\.provider"):
        call_command("ai_config", "import", "--client", tenant_a.slug, "--file", str(bad))
    with pytest.raises(CommandError, match="No tenant"):
        call_command("ai_config", "export", "--client", "nobody")
