"""Who may see and change what in the hub: anonymous → login, members read-only, other tenants 404,
and no page ever shows a secret."""

import re

import pytest
from django.urls import reverse

from ai.models import AIUsageTracking, BackfillJob
from pulse.core.models import Integration
from tests.ai.factories import ai_integration, local_embedding
from tests.etl.factories import make_commits
from tests.factories import make_user
from tests.secret_guard import register_secret

OPENAI_KEY = register_secret("sk-live-hub-7c1d9a0e55f2b6d4e8a1")
GITHUB_TOKEN = register_secret("ghp_hubTokenAbcdef0123456789xyzXYZ")
JIRA_TOKEN = register_secret("ATATT3xFfGF0-hub-jira-token-31337")
GATEWAY_KEY = register_secret("sk-gw-hub-99887766554433221100")


@pytest.fixture
def world(tenant_a, tenant_b):
    """Tenant A with providers (secrets), sources (secrets), records, a job and ledger rows."""
    local = local_embedding(tenant_a)
    openai = ai_integration(tenant_a, "OpenAI small", api_key=OPENAI_KEY, dimensions=1536, fallback=None)
    gateway = ai_integration(
        tenant_a,
        "Gateway",
        provider="custom_gateway",
        model="gpt-4o-mini",
        subtype="gateway",
        base_url="http://127.0.0.1:9/v1",
        api_key=GATEWAY_KEY,
        dimensions=None,
    )
    github = Integration.objects.create(
        client=tenant_a,
        integration_type="github",
        integration_subtype="data_source",
        integration_name="Groovy on GitHub",
        credentials={"token": GITHUB_TOKEN},
        configuration={"repositories": ["apache/groovy"]},
    )
    jira = Integration.objects.create(
        client=tenant_a,
        integration_type="jira",
        integration_subtype="data_source",
        integration_name="Jira",
        base_url="https://example.atlassian.net",
        credentials={"email": "dev@example.com", "api_token": JIRA_TOKEN},
        configuration={"project_keys": ["GROOVY"]},
    )
    commits = make_commits(tenant_a, ["Fix the parser for closures", "Speed up the build"])
    job = BackfillJob.objects.create(client=tenant_a, total=2)
    AIUsageTracking.objects.create(
        client=tenant_a,
        provider="openai",
        operation="embedding",
        model_name="text-embedding-3-small",
        total_tokens=10,
        input_tokens=10,
        cost="0.0002",
        latency_ms=120,
    )
    return {
        "local": local,
        "openai": openai,
        "gateway": gateway,
        "github": github,
        "jira": jira,
        "commit": commits[0],
        "job": job,
    }


def _pages(world) -> list[str]:
    return [
        reverse("home"),
        reverse("hub:providers"),
        reverse("hub:provider-create"),
        reverse("hub:provider-edit", args=[world["openai"].pk]),
        reverse("hub:provider-edit", args=[world["gateway"].pk]),
        reverse("hub:provider-delete", args=[world["openai"].pk]),
        reverse("hub:embeddings"),
        reverse("hub:agents"),
        reverse("hub:testing"),
        reverse("hub:testing") + "?q=parser",
        reverse("hub:record", args=["commits", world["commit"].pk]),
        reverse("hub:usage") + "?range=30d",
        reverse("hub:sources"),
        reverse("hub:source-create", args=["jira"]),
        reverse("hub:source-create", args=["github"]),
        reverse("hub:source-create", args=["git"]),
        reverse("hub:source-edit", args=[world["github"].pk]),
        reverse("hub:source-edit", args=[world["jira"].pk]),
        reverse("hub:source-delete", args=[world["jira"].pk]),
    ]


def test_anonymous_visitors_are_sent_to_the_login_page(client, world):
    for url in _pages(world):
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("login")), url


@pytest.mark.parametrize("role", ["admin", "member"])
def test_no_page_shows_a_secret_and_every_page_renders(client, world, tenant_a, role):
    user = make_user(tenant_a, f"viewer-{role}", role=role)
    client.force_login(user)
    for url in _pages(world):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        html = response.content.decode()
        for secret in (OPENAI_KEY, GITHUB_TOKEN, JIRA_TOKEN, GATEWAY_KEY):
            assert secret not in html, (url, "shows a secret")
        # A password input never carries a value back to the browser.
        assert not re.search(r'type="password"[^>]*value="[^"]', html), url


def test_stored_secrets_show_masked_on_edit_forms(client, world, admin_a):
    client.force_login(admin_a)
    html = client.get(reverse("hub:provider-edit", args=[world["openai"].pk])).content.decode()
    assert "••••" + OPENAI_KEY[-4:] in html  # the last four characters, never the key
    assert "stored; type to replace" in html


def test_members_see_read_only_pages_and_cannot_change_anything(client, world, member_a):
    client.force_login(member_a)
    html = client.get(reverse("hub:providers")).content.decode()
    assert "a tenant admin can change them" in html
    assert reverse("hub:provider-create") not in html  # no "Add provider" button
    form_html = client.get(reverse("hub:provider-edit", args=[world["openai"].pk])).content.decode()
    assert "<fieldset disabled>" in form_html
    writes = [
        (
            reverse("hub:provider-create"),
            {
                "name": "x",
                "provider": "sentence_transformers",
                "subtype": "embedding",
                "model_name": "all-MiniLM-L6-v2",
            },
        ),
        (reverse("hub:provider-edit", args=[world["openai"].pk]), {"name": "renamed"}),
        (reverse("hub:provider-test", args=[world["openai"].pk]), {}),
        (reverse("hub:provider-delete", args=[world["openai"].pk]), {}),
        (reverse("hub:embedding-switch"), {"integration": world["openai"].pk, "confirm": "yes"}),
        (reverse("hub:backfill-start"), {}),
        (reverse("hub:backfill-cancel", args=[world["job"].pk]), {}),
        (
            reverse("hub:agents"),
            {"response_style": "concise", "confidence_threshold": "0.5", "analysis_depth": "basic"},
        ),
        (reverse("hub:budget"), {"daily_usd": "1", "action": "block"}),
        (reverse("hub:source-create", args=["git"]), {"name": "g", "path": "/srv/repos/x"}),
        (reverse("hub:source-edit", args=[world["github"].pk]), {"name": "renamed"}),
        (reverse("hub:source-test", args=[world["github"].pk]), {}),
        (reverse("hub:source-sync", args=[world["github"].pk]), {}),
        (reverse("hub:source-delete", args=[world["github"].pk]), {}),
    ]
    for url, data in writes:
        response = client.post(url, data)
        assert response.status_code == 403, url
        assert "Only tenant admins can change AI settings." in response.content.decode(), url
    assert Integration.objects.for_client(member_a.client).count() == 5
    assert Integration.objects.get(pk=world["openai"].pk).integration_name == "OpenAI small"
    assert BackfillJob.objects.get(pk=world["job"].pk).cancel_requested is False


def test_another_tenant_gets_404_for_every_object_of_tenant_a(client, world, admin_b):
    client.force_login(admin_b)
    gets = [
        reverse("hub:provider-edit", args=[world["openai"].pk]),
        reverse("hub:provider-delete", args=[world["openai"].pk]),
        reverse("hub:record", args=["commits", world["commit"].pk]),
        reverse("hub:source-edit", args=[world["github"].pk]),
        reverse("hub:source-delete", args=[world["github"].pk]),
        reverse("hub:backfill-status", args=[world["job"].pk]),
    ]
    for url in gets:
        assert client.get(url).status_code == 404, url
    posts = [
        reverse("hub:provider-edit", args=[world["openai"].pk]),
        reverse("hub:provider-test", args=[world["openai"].pk]),
        reverse("hub:provider-delete", args=[world["openai"].pk]),
        reverse("hub:backfill-cancel", args=[world["job"].pk]),
        reverse("hub:source-test", args=[world["github"].pk]),
        reverse("hub:source-sync", args=[world["github"].pk]),
        reverse("hub:source-delete", args=[world["github"].pk]),
    ]
    for url in posts:
        assert client.post(url, {}).status_code == 404, url
    assert Integration.objects.filter(pk=world["openai"].pk).exists()
    # B's own pages show none of A's things.
    for url in (reverse("hub:providers"), reverse("hub:sources"), reverse("hub:usage"), reverse("hub:embeddings")):
        html = client.get(url).content.decode()
        for name in ("OpenAI small", "Local MiniLM", "Groovy on GitHub", "apache/groovy", "$0.0002"):
            assert name not in html, (url, name)
    # Choosing A's provider as B's embedding model is refused like an unknown id.
    response = client.post(reverse("hub:embedding-switch"), {"integration": world["openai"].pk, "confirm": "yes"})
    assert response.status_code == 302
    assert not client.get(reverse("hub:embeddings")).context["current"]


def test_a_user_without_a_tenant_is_told_so(client, db):
    user = make_user(None, "floating", role="member")
    client.force_login(user)
    response = client.get(reverse("hub:providers"))
    assert response.status_code == 403
    assert "belongs to no tenant" in response.content.decode()
