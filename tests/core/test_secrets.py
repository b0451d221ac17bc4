"""Credentials are encrypted at rest, masked everywhere, never logged, and rotate."""

import logging
import secrets

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from pulse.core import crypto
from pulse.core.models import Integration
from tests.factories import make_integration, make_user
from tests.secret_guard import leaked_in_logs, register_secret

pytestmark = pytest.mark.django_db


def _raw_credentials(integration_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT credentials FROM integrations WHERE id = %s", [integration_id])
        return cursor.fetchone()[0]


@pytest.fixture
def api_key():
    return register_secret("sk-proj-" + secrets.token_urlsafe(32))


def test_the_stored_value_is_ciphertext(tenant_a, api_key):
    integration = make_integration(tenant_a, credentials={"api_key": api_key})

    raw = _raw_credentials(integration.pk)

    assert api_key not in raw
    assert api_key[8:20] not in raw
    assert raw.startswith("gAAAAA")  # a Fernet token
    assert Integration.objects.get(pk=integration.pk).credentials == {"api_key": api_key}


def test_the_key_never_appears_in_api_responses_or_logs(admin_a, api_as, api_key, caplog):
    caplog.set_level(logging.DEBUG)
    api = api_as(admin_a)
    bodies = []

    created = api.post(
        "/api/v1/integrations/",
        {
            "integration_type": "ai_model",
            "integration_name": "OpenAI",
            "credentials": {"api_key": api_key},
            "configuration": {"provider": "openai"},
            "model_config": {"model_name": "text-embedding-3-small"},
        },
        format="json",
    )
    bodies.append(created.content)
    pk = created.json()["id"]
    bodies.append(api.get("/api/v1/integrations/").content)
    bodies.append(api.get(f"/api/v1/integrations/{pk}/").content)
    bodies.append(api.patch(f"/api/v1/integrations/{pk}/", {"base_url": "https://x.example"}, format="json").content)
    bodies.append(
        api.put(
            f"/api/v1/integrations/{pk}/",
            {
                "integration_type": "ai_model",
                "integration_name": "OpenAI",
                "credentials": {"api_key": api_key},
                "configuration": {"provider": "openai"},
                "model_config": {"model_name": "text-embedding-3-small"},
            },
            format="json",
        ).content
    )
    bodies.append(api.post("/api/v1/integrations/", {"integration_type": "bad"}, format="json").content)

    assert all(api_key.encode() not in body for body in bodies)
    assert b"\xe2\x80\xa2" in bodies[1]  # the masked form is shown instead
    assert not [r for r in caplog.records if api_key in r.getMessage()]
    assert leaked_in_logs() == []


def test_the_admin_shows_a_masked_value_and_replaces_it_write_only(tenant_a, api_key, client):
    superuser = make_user(tenant_a, "root", role="admin")
    superuser.is_staff = superuser.is_superuser = True
    superuser.save()
    integration = make_integration(tenant_a, credentials={"api_key": api_key})
    client.force_login(superuser)

    pages = [
        client.get("/admin/core/integration/"),
        client.get(f"/admin/core/integration/{integration.pk}/change/"),
        client.get(f"/admin/core/integration/{integration.pk}/history/"),
        client.get("/admin/core/integration/?q=OpenAI"),
    ]

    assert all(page.status_code == 200 for page in pages)
    assert all(api_key not in page.content.decode() for page in pages)
    assert "••••" + api_key[-4:] in pages[1].content.decode()

    new_key = register_secret("sk-new-" + secrets.token_urlsafe(24))
    response = client.post(
        f"/admin/core/integration/{integration.pk}/change/",
        {
            "client": tenant_a.pk,
            "integration_type": "ai_model",
            "integration_subtype": "embedding",
            "integration_name": "OpenAI",
            "base_url": "",
            "configuration": '{"provider": "openai"}',
            "model_config": '{"model_name": "text-embedding-3-small"}',
            "performance_config": "{}",
            "active": "on",
            "replace_credentials": f'{{"api_key": "{new_key}"}}',
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    integration.refresh_from_db()
    assert integration.credentials == {"api_key": new_key}
    assert new_key not in client.get(f"/admin/core/integration/{integration.pk}/change/").content.decode()


def test_staff_of_one_tenant_sees_only_their_tenants_integrations_in_the_admin(tenant_a, tenant_b, client):
    from django.contrib.auth.models import Permission

    staff = make_user(tenant_a, "staff", role="admin")
    staff.is_staff = True
    staff.save()
    staff.user_permissions.add(*Permission.objects.filter(codename__endswith="_integration"))
    make_integration(tenant_a, "A model")
    theirs = make_integration(tenant_b, "B model")
    client.force_login(staff)

    listing = client.get("/admin/core/integration/").content.decode()

    assert "A model" in listing and "B model" not in listing
    assert client.get(f"/admin/core/integration/{theirs.pk}/change/").status_code in (302, 404)


def test_rotation_re_encrypts_every_row_under_the_newest_key(tenant_a, tenant_b, settings, api_key):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.PULSE_ENCRYPTION_KEYS = [old]
    rows = [make_integration(tenant_a, f"a{i}", credentials={"api_key": f"{api_key}-{i}"}) for i in range(3)]
    rows.append(make_integration(tenant_b, "b", credentials={"token": api_key}))
    before = {row.pk: _raw_credentials(row.pk) for row in rows}

    settings.PULSE_ENCRYPTION_KEYS = [new, old]
    call_command("rotate_encryption_keys")

    settings.PULSE_ENCRYPTION_KEYS = [new]  # the old key is gone: every row must still decrypt
    for row in rows:
        raw = _raw_credentials(row.pk)
        assert raw != before[row.pk]
        assert Integration.objects.get(pk=row.pk).credentials == row.credentials
    settings.PULSE_ENCRYPTION_KEYS = [old]
    with pytest.raises(crypto.SecretDecryptionError):
        Integration.objects.get(pk=rows[0].pk)


def test_a_missing_key_is_a_clear_error_not_garbage(tenant_a, settings):
    integration = make_integration(tenant_a)
    settings.PULSE_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]

    with pytest.raises(crypto.SecretDecryptionError, match="rotate_encryption_keys"):
        Integration.objects.get(pk=integration.pk)


def test_mask_reveals_at_most_four_characters():
    assert crypto.mask_secret("sk-abcdefghijklmnop1234") == "••••1234"
    assert crypto.mask_secret("short") == "••••"
    assert crypto.mask_secret("") == ""
