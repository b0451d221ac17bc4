"""Integrations CRUD over the REST API: tenant isolation, roles and fallback validation."""

import pytest

from pulse.core.models import Integration
from tests.factories import make_integration

pytestmark = pytest.mark.django_db

URL = "/api/v1/integrations/"


def test_admin_creates_lists_updates_and_deletes_an_integration(admin_a, api_as):
    api = api_as(admin_a)

    created = api.post(
        URL,
        {
            "integration_type": "ai_model",
            "integration_subtype": "embedding",
            "integration_name": "OpenAI small",
            "base_url": "https://api.openai.com/v1",
            "credentials": {"api_key": "sk-live-abcdefghijklmnopqrstuvwxyz0123"},
            "configuration": {"provider": "openai"},
            "model_config": {"model_name": "text-embedding-3-small", "dimensions": 1536},
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["credentials"] == {"api_key": "••••0123"}
    integration_id = body["id"]

    listed = api.get(URL).json()
    assert [row["id"] for row in listed] == [integration_id]

    patched = api.patch(f"{URL}{integration_id}/", {"active": False}, format="json")
    assert patched.status_code == 200
    assert patched.json()["active"] is False
    # A PATCH without credentials keeps them.
    assert Integration.objects.get(pk=integration_id).credentials["api_key"].endswith("0123")

    assert api.delete(f"{URL}{integration_id}/").status_code == 204
    assert not Integration.objects.filter(pk=integration_id).exists()


def test_patch_merges_credentials_and_null_removes_a_key(admin_a, api_as):
    integration = make_integration(admin_a.client, credentials={"api_key": "k" * 20, "org": "o" * 20})
    api = api_as(admin_a)

    response = api.patch(f"{URL}{integration.pk}/", {"credentials": {"api_key": "n" * 20, "org": None}}, format="json")

    assert response.status_code == 200
    integration.refresh_from_db()
    assert integration.credentials == {"api_key": "n" * 20}


def test_member_can_read_but_not_write(admin_a, member_a, api_as):
    integration = make_integration(admin_a.client)
    api = api_as(member_a)

    assert api.get(f"{URL}{integration.pk}/").status_code == 200
    assert api.patch(f"{URL}{integration.pk}/", {"active": False}, format="json").status_code == 403
    assert api.delete(f"{URL}{integration.pk}/").status_code == 403
    assert api.post(URL, {"integration_type": "jira", "integration_name": "J"}, format="json").status_code == 403


def test_tenant_a_gets_404_for_every_integration_of_tenant_b(admin_a, admin_b, api_as):
    theirs = make_integration(admin_b.client, "B's OpenAI")
    api = api_as(admin_a)

    assert api.get(URL).json() == []
    assert api.get(f"{URL}{theirs.pk}/").status_code == 404
    assert api.patch(f"{URL}{theirs.pk}/", {"active": False}, format="json").status_code == 404
    assert (
        api.put(f"{URL}{theirs.pk}/", {"integration_type": "jira", "integration_name": "x"}, format="json").status_code
        == 404
    )
    assert api.delete(f"{URL}{theirs.pk}/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.active is True and theirs.integration_name == "B's OpenAI"


def test_naming_another_tenant_in_the_body_still_creates_in_the_callers_tenant(admin_a, admin_b, api_as):
    api = api_as(admin_a)

    response = api.post(
        URL,
        {
            "integration_type": "jira",
            "integration_name": "Sneaky",
            "client": admin_b.client_id,
            "client_id": admin_b.client_id,
        },
        format="json",
    )

    assert response.status_code == 201
    row = Integration.objects.get(pk=response.json()["id"])
    assert row.client_id == admin_a.client_id
    assert not Integration.objects.filter(client=admin_b.client).exists()


def test_user_without_tenant_is_refused(api_as, db):
    from tests.factories import make_user

    loner = make_user(None, "loner")
    assert api_as(loner).get(URL).status_code == 403


def test_fallback_to_another_tenants_integration_is_a_400_naming_the_field(admin_a, admin_b, api_as):
    theirs = make_integration(admin_b.client, "B's model")
    api = api_as(admin_a)

    response = api.post(
        URL,
        {"integration_type": "ai_model", "integration_name": "Mine", "fallback_integration": theirs.pk},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {"fallback_integration": [f"Integration {theirs.pk} does not exist in your tenant."]}


def test_fallback_to_itself_is_a_400_naming_the_field(admin_a, api_as):
    mine = make_integration(admin_a.client)

    response = api_as(admin_a).patch(f"{URL}{mine.pk}/", {"fallback_integration": mine.pk}, format="json")

    assert response.status_code == 400
    assert response.json() == {"fallback_integration": ["An integration cannot be its own fallback."]}


def test_fallback_loop_is_a_400_naming_the_field(admin_a, api_as):
    first = make_integration(admin_a.client, "first")
    second = make_integration(admin_a.client, "second", fallback_integration=first)
    third = make_integration(admin_a.client, "third", fallback_integration=second)

    response = api_as(admin_a).patch(f"{URL}{first.pk}/", {"fallback_integration": third.pk}, format="json")

    assert response.status_code == 400
    message = response.json()["fallback_integration"][0]
    assert "loop" in message and "third → second" in message
    first.refresh_from_db()
    assert first.fallback_integration_id is None


def test_valid_fallback_chain_is_saved(admin_a, api_as):
    first = make_integration(admin_a.client, "first")
    second = make_integration(admin_a.client, "second")

    response = api_as(admin_a).patch(f"{URL}{second.pk}/", {"fallback_integration": first.pk}, format="json")

    assert response.status_code == 200
    assert response.json()["fallback_integration"] == first.pk


def test_deleting_an_integration_used_as_fallback_is_refused_with_the_reason(admin_a, api_as):
    first = make_integration(admin_a.client, "first")
    make_integration(admin_a.client, "second", fallback_integration=first)

    response = api_as(admin_a).delete(f"{URL}{first.pk}/")

    assert response.status_code == 400
    assert "fallback of second" in response.json()["fallback_integration"][0]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"integration_type": "nope", "integration_name": "x"}, "integration_type"),
        ({"integration_type": "jira"}, "integration_name"),
        ({"integration_type": "jira", "integration_name": "x", "base_url": "ftp://x"}, "base_url"),
        ({"integration_type": "jira", "integration_name": "x", "configuration": [1]}, "configuration"),
        ({"integration_type": "jira", "integration_name": "x", "configuration": {"api_token": "t"}}, "configuration"),
        ({"integration_type": "jira", "integration_name": "x", "credentials": {"token": ["a"]}}, "credentials"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(admin_a, api_as, payload, field):
    response = api_as(admin_a).post(URL, payload, format="json")

    assert response.status_code == 400
    assert field in response.json()


def test_duplicate_name_is_a_400_naming_the_field(admin_a, api_as):
    make_integration(admin_a.client, "Same")

    response = api_as(admin_a).post(URL, {"integration_type": "jira", "integration_name": "Same"}, format="json")

    assert response.status_code == 400
    assert "already exists" in response.json()["integration_name"][0]


def test_unauthenticated_and_bad_token_are_refused(db):
    from rest_framework.test import APIClient

    api = APIClient()
    assert api.get(URL).status_code in (401, 403)
    api.credentials(HTTP_AUTHORIZATION="Bearer pulse_not-a-real-token")
    assert api.get(URL).status_code == 401


def test_token_endpoint_exchanges_a_password_for_a_working_token(admin_a):
    from rest_framework.test import APIClient

    api = APIClient()
    bad = api.post("/api/v1/auth/token/", {"username": "alice", "password": "wrong"}, format="json")
    assert bad.status_code == 400

    good = api.post("/api/v1/auth/token/", {"username": "alice", "password": "pw-for-tests-9"}, format="json")
    assert good.status_code == 201
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {good.json()['token']}")
    assert api.get(URL).status_code == 200
