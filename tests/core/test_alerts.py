"""Alerts: a provider failing repeatedly, a sync failing twice in a row, a stuck backfill and a
budget at 80 % each open one alert row, shown in the hub and with the Dashboard's insights; the
trouble ending resolves it; a new alert is POSTed to the tenant's webhook through the outbound guard."""

import json
import time
from datetime import timedelta

import httpx
import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from ai.execution.budgets import cost_limits_set
from ai.execution.calls import execute_embedding
from ai.execution.cooldown import cooling_down_until
from ai.models import BackfillJob
from ai.providers.errors import AIError
from ai.vectors.watch import backfill_watch
from etl.services.sync import sync_integration
from pulse.core.alerts import alert_raise, alert_webhook_set
from pulse.core.models import Alert, Integration
from pulse.core.tasks import alert_webhook_task
from tests.ai.factories import ai_integration, openai_embeddings_reply
from tests.etl.test_api import repo  # noqa: F401 - the clone fixture

pytestmark = pytest.mark.django_db
OPENAI = "https://api.openai.com/v1/embeddings"


def _alerts(tenant, state="open") -> list[Alert]:
    return list(Alert.objects.for_client(tenant).filter(state=state))


def test_a_provider_failing_repeatedly_opens_an_alert_its_next_success_resolves(tenant_a, respx_mock, settings):
    settings.AI_COOLDOWN_SECONDS = 0.01
    provider = ai_integration(tenant_a, "Flaky OpenAI", performance={"max_retries": 0})
    route = respx_mock.post(OPENAI).mock(return_value=httpx.Response(503, json={"error": {"message": "down"}}))
    for _ in range(3):
        with pytest.raises(AIError):
            execute_embedding(client=tenant_a, texts=["x"], integration=provider)
    [alert] = _alerts(tenant_a)
    assert (alert.kind, alert.key, alert.title) == (
        "provider_failing",
        f"provider:{provider.pk}",
        "Flaky OpenAI keeps failing",
    )

    route.mock(side_effect=openai_embeddings_reply)
    while cooling_down_until(provider):  # a 10 ms rest
        time.sleep(0.01)
    execute_embedding(client=tenant_a, texts=["x"], integration=provider)
    assert _alerts(tenant_a) == [] and _alerts(tenant_a, "resolved")[0].pk == alert.pk


def test_a_sync_failing_twice_in_a_row_opens_an_alert(tenant_a, tmp_path, repo):  # noqa: F811
    source = Integration.objects.create(
        client=tenant_a,
        integration_type="git",
        integration_name="Clone",
        configuration={"path": str(tmp_path / "gone")},
    )
    sync_integration(integration=source)
    assert _alerts(tenant_a) == []  # one failure is not a pattern
    sync_integration(integration=source)
    [alert] = _alerts(tenant_a)
    assert alert.kind == "sync_failing" and alert.title == "Clone: sync failed twice in a row" and alert.detail

    Integration.objects.filter(pk=source.pk).update(configuration={"path": str(repo)})
    source.refresh_from_db()
    sync_integration(integration=source)
    assert _alerts(tenant_a) == []


def test_a_stuck_backfill_opens_an_alert_until_it_ends(tenant_a, settings):
    settings.PULSE_ALERT_BACKFILL_STUCK_MINUTES = 10
    old = timezone.now() - timedelta(minutes=11)
    job = BackfillJob.objects.create(client=tenant_a, status="running", total=9, processed=3, heartbeat_at=old)
    fresh = BackfillJob.objects.create(client=tenant_a, status="running", total=9, heartbeat_at=timezone.now())
    assert backfill_watch() == [job.pk]
    [alert] = _alerts(tenant_a)
    assert alert.title == f"Backfill #{job.pk} is stuck" and "3 of 9" in alert.detail
    backfill_watch()
    assert Alert.objects.get().occurrences == 2  # still one row
    BackfillJob.objects.filter(pk=job.pk).update(status="cancelled")
    BackfillJob.objects.filter(pk=fresh.pk).update(status="succeeded")
    backfill_watch()
    assert _alerts(tenant_a) == []


def test_a_budget_at_80_percent_opens_an_alert(tenant_a, respx_mock):
    cost_limits_set(client=tenant_a, daily_usd=1, monthly_usd=100, action="block")
    # 6 tokens at $150 per 1K: $0.90 of a $1 daily limit
    provider = ai_integration(tenant_a, "Priced", input_price_per_1k=150)
    respx_mock.post(OPENAI).mock(side_effect=openai_embeddings_reply)
    execute_embedding(client=tenant_a, texts=["one"], integration=provider)
    [alert] = _alerts(tenant_a)
    assert alert.kind == "budget" and alert.title == "AI spend is at 90 % of the daily budget"
    assert "$0.9000 of $1.00" in alert.detail and "blocked" in alert.detail


def test_a_new_alert_goes_to_the_webhook_once(tenant_a, respx_mock, django_capture_on_commit_callbacks):
    hook = respx_mock.post("https://hooks.example.com/pulse").respond(204)
    alert_webhook_set(client=tenant_a, url="https://hooks.example.com/pulse")
    with django_capture_on_commit_callbacks() as sent:
        alert = alert_raise(client=tenant_a, kind="budget", key="budget:daily:x", title="Budget", detail="d")
        alert_raise(client=tenant_a, kind="budget", key="budget:daily:x", title="Budget", detail="d")
    assert len(sent) == 1  # the repeat counts an occurrence and sends nothing
    assert alert_webhook_task(alert.pk) is True
    body = json.loads(hook.calls.last.request.content)
    assert body["title"] == "Budget" and body["tenant"] == tenant_a.slug and body["state"] == "open"
    alert.refresh_from_db()
    assert alert.notified_at and alert.occurrences == 2


def test_a_webhook_is_checked_like_every_outbound_url(tenant_a, respx_mock):
    for url in ("http://10.0.0.5/hook", "http://169.254.169.254/latest", "ftp://example.com/x"):
        with pytest.raises(ValidationError) as refused:
            alert_webhook_set(client=tenant_a, url=url)
        assert "alert_webhook_url" in refused.value.message_dict
    respx_mock.post("https://hooks.example.com/down").respond(500)
    alert_webhook_set(client=tenant_a, url="https://hooks.example.com/down")
    alert = alert_raise(client=tenant_a, kind="budget", key="k", title="t")
    assert alert_webhook_task(alert.pk) is False
    alert.refresh_from_db()
    assert alert.notify_error == "the webhook answered HTTP 500" and alert.notified_at is None


def test_alerts_show_in_the_hub_and_with_the_dashboards_insights(client, member_a, tenant_a):
    alert = alert_raise(client=tenant_a, kind="sync_failing", key="sync:9", title="Jira: sync failed twice in a row")
    client.force_login(member_a)
    page = client.get("/hub/alerts/").content.decode()
    assert "Jira: sync failed twice in a row" in page and 'id="open-alert-count"' in page
    assert "Jira: sync failed twice in a row" in client.get("/hub/dashboard/").content.decode()
    assert 'id="open-alert-count">1<' in client.get("/hub/providers/").content.decode()
    response = client.post(f"/hub/alerts/{alert.pk}/resolve/", {"next": "/hub/dashboard/"})
    assert response.status_code == 302 and response["Location"] == "/hub/dashboard/"
    assert _alerts(tenant_a) == []
    # Only admins change the webhook.
    assert client.post("/hub/alerts/webhook/", {"alert_webhook_url": "https://x.example.com"}).status_code == 403
