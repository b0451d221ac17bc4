"""Project-level guarantees: migrations, the OpenAPI schema, tenancy of every tenant-owned model."""

import io
import re

import pytest
from django.apps import apps
from django.contrib.staticfiles import finders
from django.core.management import call_command

from pulse.core.models import Client
from pulse.core.tenancy import TenantOwnedModel


def test_models_and_migrations_agree(db):
    call_command("makemigrations", "--check", "--dry-run", stdout=io.StringIO())


def test_openapi_schema_generates_without_warnings(tmp_path):
    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    schema = out.read_text()
    assert "/api/v1/integrations/" in schema
    assert "apiToken" in schema


def test_every_tenant_owned_model_carries_its_client():
    owned = [m for m in apps.get_models() if issubclass(m, TenantOwnedModel)]
    assert {m._meta.db_table for m in owned} >= {
        "integrations",
        "client_ai_preferences",
        "client_ai_configuration",
        "ai_usage_tracking",
        "qdrant_vectors",
    }
    for model in owned:
        field = model._meta.get_field("client")
        assert field.related_model is Client and not field.null, model


@pytest.mark.django_db
def test_for_client_none_returns_nothing_rather_than_everything(tenant_a):
    from tests.factories import make_integration

    make_integration(tenant_a)
    from pulse.core.models import Integration

    assert Integration.objects.for_client(None).count() == 0
    assert Integration.objects.for_client(tenant_a).count() == 1


def test_login_page_renders(client, db):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert b"Log in to Pulse" in response.content


def test_home_requires_login_and_shows_the_tenant(client, admin_a):
    assert client.get("/").status_code == 302
    client.force_login(admin_a)
    response = client.get("/")
    assert response.status_code == 200
    assert b"Tenant A" in response.content


def test_api_docs_page_serves_offline_assets(client, admin_a):
    client.force_login(admin_a)
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    # Every asset comes from our own static files: the page works with no internet.
    assets = re.findall(r'(?:src|href)="([^"]+)"', response.content.decode())
    assert assets and all(a.startswith("/static/drf_spectacular_sidecar/") for a in assets)
    assert all(finders.find(a.removeprefix("/static/")) for a in assets)
