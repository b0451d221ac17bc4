"""Provider and source tests cannot be aimed at the server's own network in production, and what an
internal page says never comes back to the user (issue: the probe read an internal page's body in
the test's error). Real sockets: an "internal" HTTP server on 127.0.0.1."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError

from ai.models import AIUsageTracking
from etl.services.sources import source_create, source_test
from pulse.core.models import Integration
from tests.ai.factories import ai_integration

pytestmark = pytest.mark.django_db
INTERNAL = "INTERNAL-ADMIN-PAGE token=hunter2"


class _Internal(BaseHTTPRequestHandler):
    def _answer(self):
        self.server.hits += 1
        self.send_response(404)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(f"<html>{INTERNAL}</html>".encode())

    do_GET = do_POST = _answer

    def log_message(self, *args):
        pass


@pytest.fixture
def internal():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Internal)
    server.hits = 0
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()


@pytest.fixture
def production_outbound(settings):
    settings.PULSE_OUTBOUND_ALLOW_LOOPBACK = False
    settings.PULSE_OUTBOUND_ALLOWLIST = []
    return settings


def _url(server, host="127.0.0.1") -> str:
    return f"http://{host}:{server.server_address[1]}/v1"


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost"])
def test_a_provider_test_cannot_reach_an_internal_server(production_outbound, internal, admin_a, api_as, host):
    body = {"name": "X", "provider": "openai", "model_name": "text-embedding-3-small", "api_key": "sk-0000000000"}

    response = api_as(admin_a).post(
        "/api/v1/ai/providers/test/", {**body, "base_url": _url(internal, host)}, format="json"
    )

    assert response.status_code == 200 and response.json()["ok"] is False
    assert "loopback" in response.json()["reason"] and "PULSE_OUTBOUND_ALLOWLIST" in response.json()["reason"]
    assert internal.hits == 0 and INTERNAL not in response.content.decode()


def test_an_allow_listed_server_is_reached_but_its_page_is_not_echoed(production_outbound, internal, tenant_a):
    production_outbound.PULSE_OUTBOUND_ALLOWLIST = [f"127.0.0.1:{internal.server_address[1]}"]
    provider = ai_integration(tenant_a, "Internal gateway", base_url=_url(internal), dimensions=3)

    from ai.setup.providers import provider_test

    result = provider_test(client=tenant_a, integration=provider)

    assert internal.hits == 1 and result.ok is False
    assert "HTTP 404" in result.reason and INTERNAL not in result.reason and "hunter2" not in result.reason
    stored = Integration.objects.get(pk=provider.pk).performance_config["last_test"]["reason"]
    assert INTERNAL not in stored
    assert AIUsageTracking.objects.filter(client=tenant_a, success=False).count() == 1


def test_a_jira_source_cannot_be_saved_with_or_reach_an_internal_server(production_outbound, internal, tenant_a):
    data = {"name": "Jira", "base_url": _url(internal), "email": "a@example.com", "api_token": "t0ken-0000"}
    with pytest.raises(ValidationError) as refused:
        source_create(client=tenant_a, kind=Integration.Type.JIRA, data=data)
    # A row saved before the rule (or a name that resolves inward later) is refused when it is used.
    source = Integration.objects.create(
        client=tenant_a,
        integration_type=Integration.Type.JIRA,
        integration_name="Jira",
        base_url=_url(internal),
        credentials={"email": "a@example.com", "api_token": "t0ken-0000"},
        configuration={"project_keys": ["GROOVY"]},
    )

    result = source_test(integration=source)

    assert "loopback" in refused.value.message_dict["base_url"][0]
    assert result.ok is False and "loopback" in result.detail
    assert internal.hits == 0


def test_a_literal_internal_address_is_refused_when_saved_in_production(production_outbound, admin_a, api_as):
    body = {"name": "X", "provider": "openai", "model_name": "m", "api_key": "sk-0000000000"}
    api = api_as(admin_a)

    for url in ("http://169.254.169.254/v1", "http://[::1]:8080/v1", "http://localhost:11434/v1"):
        response = api.post("/api/v1/ai/providers/", {**body, "base_url": url}, format="json")
        assert response.status_code == 400 and "base_url" in response.json(), url
    assert not Integration.objects.filter(client=admin_a.client).exists()
