"""Bad input is a clear 4xx, in JSON for the API: nesting that would crash Python's parser, settings
too deep or with a NUL to store, bodies over the size limit, ids that are not numbers; and a
readiness probe that tells the public nothing about the infrastructure."""

import json

import pytest

from pulse.core.models import Integration
from tests.factories import make_integration

pytestmark = pytest.mark.django_db


def _nested(depth: int) -> dict:
    value: dict = {"leaf": 1}
    for _ in range(depth - 1):
        value = {"n": value}
    return value


def test_a_body_nested_990_levels_is_a_400_not_a_recursion_error(admin_a, api_as):
    body = "[" * 990 + "]" * 990

    response = api_as(admin_a).generic("POST", "/api/v1/integrations/", body, content_type="application/json")

    assert response.status_code == 400 and "nested deeper than 32 levels" in response.json()["detail"]


def test_integration_settings_too_deep_or_with_a_nul_are_refused_naming_the_field(admin_a, api_as):
    api = api_as(admin_a)
    base = {"integration_type": "jira", "integration_name": "J", "base_url": "https://x.atlassian.net"}

    deep = api.post("/api/v1/integrations/", {**base, "configuration": _nested(33)})
    nul_key = api.post("/api/v1/integrations/", {**base, "configuration": {"a\x00b": 1}})
    nul_value = api.post("/api/v1/integrations/", {**base, "configuration": {"jql": "x\x00"}})

    assert deep.status_code == 400 and "nested deeper than 32" in deep.content.decode().lower()
    for response in (nul_key, nul_value):
        assert response.status_code == 400 and "NUL" in response.json()["configuration"][0], response.content
    assert not Integration.objects.exists()


def test_the_admin_refuses_deep_json_with_a_form_error_and_still_renders(client, tenant_a, django_user_model):
    integration = make_integration(tenant_a)
    root = django_user_model.objects.create_superuser("root", "root@example.com", "pw-root-123456")
    client.force_login(root)
    url = f"/admin/core/integration/{integration.pk}/change/"
    form = {
        "client": tenant_a.pk,
        "integration_type": "ai_model",
        "integration_subtype": "embedding",
        "integration_name": "OpenAI",
        "configuration": json.dumps(_nested(900)),
        "model_config": '{"model_name": "text-embedding-3-small"}',
        "performance_config": "{}",
        "active": "on",
    }

    response = client.post(url, form)

    assert response.status_code == 200 and "At most 32 levels of nesting" in response.content.decode()
    assert client.get(url).status_code == 200
    assert Integration.objects.get(pk=integration.pk).configuration == {"provider": "openai"}


def test_a_yaml_import_nested_too_deep_is_a_400(admin_a, api_as):
    response = api_as(admin_a).post("/api/v1/ai/config/import/", {"yaml": "a: " + "[" * 600 + "]" * 600})

    assert response.status_code == 400 and "Nested deeper than 32" in response.json()["yaml"][0]


def test_a_body_over_the_limit_is_a_json_413(admin_a, api_as, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000

    response = api_as(admin_a).post("/api/v1/ai/embeddings/", {"texts": ["x" * 2000]})

    assert response.status_code == 413 and response["Content-Type"] == "application/json"
    assert "larger than this server accepts" in response.json()["detail"]


@pytest.mark.parametrize("path", ["/api/v1/integrations/abc/", "/api/v1/ai/providers/1.5/test/", "/api/v1/nowhere/"])
def test_paths_that_match_no_route_are_json_404s_under_the_api(admin_a, api_as, path):
    response = api_as(admin_a).get(path)

    assert response.status_code == 404 and response["Content-Type"] == "application/json"
    assert response.json()["detail"]


def test_readyz_probes_pgvector_when_configured_and_hides_details_from_the_public(client, settings, admin_a):
    settings.VECTOR_STORE = "pgvector"
    settings.QDRANT_URL = "http://127.0.0.1:9"  # unreachable: a pgvector deployment must not care

    public = client.get("/readyz")
    admin_a.is_staff = True
    admin_a.save()
    client.force_login(admin_a)
    staff = client.get("/readyz")

    assert public.status_code == 200 and public.json()["checks"]["vector_store"]["status"] == "ok"
    assert all(set(check) == {"status", "latency_ms"} for check in public.json()["checks"].values())
    assert "pgvector" in staff.json()["checks"]["vector_store"]["detail"]


def test_readyz_keeps_a_broken_brokers_address_from_the_public(client, settings):
    settings.READINESS_TIMEOUT_SECONDS = 1
    settings.CELERY_BROKER_URL = "redis://:hunter2@127.0.0.1:1/0"

    response = client.get("/readyz")

    assert response.status_code == 503 and response.json()["checks"]["broker"] == {
        "status": "error",
        "latency_ms": response.json()["checks"]["broker"]["latency_ms"],
    }
    assert "127.0.0.1" not in response.content.decode() and "hunter2" not in response.content.decode()


def test_the_service_refuses_settings_too_deep_whatever_face_sent_them(tenant_a):
    from django.core.exceptions import ValidationError

    from pulse.core.services import integration_create

    with pytest.raises(ValidationError) as refused:
        integration_create(client=tenant_a, integration_type="jira", integration_name="J", configuration=_nested(40))

    assert "Nested deeper than 32" in refused.value.message_dict["configuration"][0]
