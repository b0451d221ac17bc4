"""The secret sweep: after provider, source and test flows in which every vendor echoes the key it
was sent (in 4xx and 5xx bodies), no registered secret is found in plaintext in any table of the
database, in an API body or in a hub page (log lines are swept for the whole session by
tests/secret_guard.py)."""

import httpx
import pytest
from django.db import connection
from django.urls import reverse

from pulse.core.models import Integration
from tests.secret_guard import register_secret

pytestmark = pytest.mark.django_db
OPENAI_KEY = register_secret("sk-sweep-openai-7f6e5d4c3b2a1908")
GATEWAY_KEY = register_secret("sk-sweep-gateway-0a1b2c3d4e5f6789")
JIRA_TOKEN = register_secret("ATATT-sweep-jira-1122334455667788")
GITHUB_TOKEN = register_secret("ghp_sweepGithubToken0123456789abcd")


def _echo(status: int):
    """A vendor that puts whatever key it was sent into its error body."""

    def reply(request: httpx.Request) -> httpx.Response:
        sent = request.headers.get("authorization", "") + request.headers.get("x-api-key", "")
        return httpx.Response(status, json={"error": {"message": f"rejected credentials: {sent}"}}, text=None)

    return reply


def _database_text() -> str:
    """Every row of every table as text: what a database dump would hold."""
    chunks = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT t::text FROM "{table}" t')  # noqa: S608 - table names from the catalog
            chunks.extend(row[0] for row in cursor.fetchall())
    return "\n".join(chunks)


def _flows(api, client, respx_mock) -> list[str]:
    respx_mock.post("https://api.openai.com/v1/embeddings").mock(side_effect=_echo(400))
    respx_mock.route(host="gw.example.com").mock(side_effect=_echo(500))
    respx_mock.route(host="team.atlassian.net").mock(side_effect=_echo(401))
    respx_mock.route(host="api.github.com").mock(side_effect=_echo(403))
    openai = api.post(
        "/api/v1/ai/providers/",
        {"name": "OpenAI", "provider": "openai", "model_name": "text-embedding-3-small", "api_key": OPENAI_KEY},
    ).json()["id"]
    gateway = api.post(
        "/api/v1/ai/providers/",
        {
            "name": "Gateway",
            "provider": "custom_gateway",
            "subtype": "gateway",
            "model_name": "m",
            "base_url": "https://gw.example.com/v1",
            "api_key": GATEWAY_KEY,
        },
    ).json()["id"]
    bodies = [
        api.post(f"/api/v1/ai/providers/{openai}/test/", {}),
        api.post("/api/v1/ai/embeddings/", {"texts": ["x"], "provider_id": openai}),
        api.post(f"/api/v1/ai/providers/{gateway}/test/", {}),
        api.get(f"/api/v1/ai/gateway/key-info/?provider_id={gateway}"),
        api.get("/api/v1/ai/providers/"),
        api.get("/api/v1/integrations/"),
    ]
    client.post(
        reverse("hub:source-create", args=["jira"]),
        {"name": "Jira", "base_url": "https://team.atlassian.net", "email": "a@example.com", "api_token": JIRA_TOKEN},
    )
    client.post(
        reverse("hub:source-create", args=["github"]), {"name": "GitHub", "repositories": "a/b", "token": GITHUB_TOKEN}
    )
    for source in Integration.objects.exclude(integration_type="ai_model"):
        bodies.append(client.post(reverse("hub:source-test", args=[source.pk]), follow=True))
    bodies.append(client.post(reverse("hub:provider-test", args=[openai]), follow=True))
    for page in ("hub:providers", "hub:sources", "hub:usage", "hub:testing"):
        bodies.append(client.get(reverse(page)))
    return [response.content.decode() for response in bodies]


def test_no_secret_in_the_database_bodies_or_pages_after_echoing_vendors(client, admin_a, api_as, respx_mock):
    client.force_login(admin_a)

    bodies = _flows(api_as(admin_a), client, respx_mock)
    dump = _database_text()

    assert Integration.objects.count() == 4 and len(respx_mock.calls) >= 5  # the flows ran and vendors answered
    assert "rejected credentials: Bearer ••••" in dump  # an echo was stored, redacted
    for secret in (OPENAI_KEY, GATEWAY_KEY, JIRA_TOKEN, GITHUB_TOKEN):
        assert secret not in dump
        assert all(secret not in body for body in bodies)
