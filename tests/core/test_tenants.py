"""Tenants and users from the command line and the admin, deactivation, and API tokens that are
named, listed and revoked (command and API) instead of piling up."""

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from etl.models import EtlRun
from etl.tasks import sync_integration_task
from pulse.core.models import ApiToken, Client, Integration, User
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_a_tenant_is_created_with_its_first_admin_and_a_printed_password():
    out = run("tenant", "create", "Acme Corp", "--admin", "alice", "--email", "alice@acme.example")
    password = re.search(r"admin: alice / (\S+)", out).group(1)
    tenant = Client.objects.get(slug="acme-corp")
    alice = User.objects.get(username="alice")
    assert (alice.client, alice.role, alice.email) == (tenant, "admin", "alice@acme.example")
    assert alice.check_password(password)

    out = run("tenant", "add-user", "acme-corp", "bob", "--role", "member", "--password", "a long passphrase 42")
    assert "login: bob / a long passphrase 42" in out and User.objects.get(username="bob").role == "member"
    with pytest.raises(CommandError, match="username: The username 'BOB' is taken"):
        run("tenant", "add-user", "acme-corp", "BOB")
    with pytest.raises(CommandError, match="password"):
        run("tenant", "add-user", "acme-corp", "carol", "--password", "123")
    with pytest.raises(CommandError, match="slug"):
        run("tenant", "create", "Acme Corp", "--admin", "dave")
    assert "acme-corp\tactive\t2 users\tAcme Corp" in run("tenant", "list")


def test_a_deactivated_tenant_reaches_nothing_and_its_syncs_stop(client, admin_a, tenant_a, api_as, tmp_path):
    api = api_as(admin_a)
    source = Integration.objects.create(
        client=tenant_a, integration_type="git", integration_name="Clone", configuration={"path": str(tmp_path)}
    )
    run("tenant", "deactivate", tenant_a.slug)
    assert api.get("/api/v1/etl/sources/").status_code == 403
    client.force_login(admin_a)
    page = client.get("/hub/providers/")
    assert page.status_code == 403 and "Tenant deactivated" in page.content.decode()
    assert sync_integration_task(source.pk) is None and not EtlRun.objects.exists()
    run("tenant", "activate", tenant_a.slug)
    assert api.get("/api/v1/etl/sources/").status_code == 200


def test_the_admin_creates_a_tenant_with_its_first_admin(client):
    root = User.objects.create_superuser("root", password="root-pass-123")
    client.force_login(root)
    response = client.post(
        "/admin/core/client/add/", {"name": "Globex", "slug": "globex", "admin_username": "hank"}, follow=True
    )
    assert response.status_code == 200
    shown = re.search(r"First admin: hank / ([^<\s]+)", response.content.decode()).group(1)
    assert User.objects.get(username="hank").check_password(shown)
    taken = client.post("/admin/core/client/add/", {"name": "Initech", "slug": "initech", "admin_username": "hank"})
    assert taken.status_code == 200 and "is taken" in taken.content.decode()
    assert not Client.objects.filter(slug="initech").exists()
    client.post("/admin/core/client/", {"action": "deactivate", "_selected_action": [Client.objects.get().pk]})
    assert Client.objects.get(slug="globex").active is False


def test_api_token_command_replaces_lists_and_revokes_by_name(admin_a):
    first = run("api_token", "alice").strip()
    second = run("api_token", "alice").strip()
    assert first != second and ApiToken.objects.filter(user=admin_a).count() == 1  # replaced, not piled up
    run("api_token", "alice", "--name", "ci")
    listed = run("api_token", "alice", "--list")
    assert listed.count("\n") == 2 and "ci\tpulse_" in listed
    assert "revoked 'ci'" in run("api_token", "alice", "--revoke", "ci")
    with pytest.raises(CommandError):
        run("api_token", "alice", "--revoke", "ci")


def test_tokens_are_listed_and_revoked_through_the_api(admin_a, member_a, api_as, client):
    mine = api_as(member_a)
    tokens = mine.get("/api/v1/auth/tokens/").json()
    assert [t["user"] for t in tokens] == ["mallory"] and "digest" not in tokens[0]
    admin = api_as(admin_a)
    assert {t["user"] for t in admin.get("/api/v1/auth/tokens/").json()} == {"alice", "mallory"}
    admins_token = ApiToken.objects.get(user=admin_a)
    assert mine.delete(f"/api/v1/auth/tokens/{admins_token.pk}/").status_code == 404  # not theirs
    assert admin.delete(f"/api/v1/auth/tokens/{tokens[0]['id']}/").status_code == 204  # an admin revokes
    assert mine.get("/api/v1/auth/tokens/").status_code == 401


def test_signing_in_twice_for_a_named_token_replaces_it(client, tenant_a):
    make_user(tenant_a, "ada", password="correct horse battery")
    body = {"username": "ada", "password": "correct horse battery", "name": "laptop"}
    old = client.post("/api/v1/auth/token/", body, content_type="application/json").json()["token"]
    new = client.post("/api/v1/auth/token/", body, content_type="application/json").json()["token"]
    assert ApiToken.objects.filter(user__username="ada").count() == 1
    assert client.get("/api/v1/auth/tokens/", HTTP_AUTHORIZATION=f"Bearer {old}").status_code == 401
    assert client.get("/api/v1/auth/tokens/", HTTP_AUTHORIZATION=f"Bearer {new}").status_code == 200
