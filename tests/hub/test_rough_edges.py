"""The rough edges a new user met, each kept mended: names and prices people read, whole record
titles, what Getting started ticks, honest backfill counts, a search that says when nothing is
close, a provider without embeddings that never makes them, schedules and setup help in the forms."""

from datetime import UTC, datetime

import pytest
from django.apps import apps
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from ai.models import AIUsageTracking, BackfillJob, ClientAIConfiguration
from ai.vectors.bridge import RecordText, vectors_store_records
from etl.models import EtlRun
from pulse.core.models import Integration
from tests.ai.factories import ai_integration, local_embedding
from tests.etl.factories import make_commits

pytestmark = pytest.mark.django_db


def ledger_row(client, *, latency_ms: int = 10, request_metadata: dict | None = None) -> AIUsageTracking:
    """A local model's ledger row as the execution path writes it."""
    return AIUsageTracking.objects.create(
        client=client,
        provider="sentence_transformers",
        operation="embedding",
        model_name="all-MiniLM-L6-v2",
        cost=0,
        latency_ms=latency_ms,
        request_metadata=request_metadata or {},
    )


@pytest.fixture
def admin(client, admin_a):
    client.force_login(admin_a)
    return client


def test_providers_go_by_their_names_and_prices_have_one_format(admin, tenant_a):
    local_embedding(tenant_a)
    ai_integration(tenant_a, "OpenAI small", dimensions=1536)
    ledger_row(tenant_a)
    cards = admin.get(reverse("hub:providers")).content.decode()
    assert "Local model (sentence-transformers)" in cards and "$0.00002 per 1K tokens" in cards and "free" in cards
    embeddings = admin.get(reverse("hub:embeddings")).content.decode()
    assert "$0.00002 per 1K tokens" in embeddings and "/1K tokens" not in embeddings
    for page in ("hub:testing", "hub:usage"):
        html = admin.get(reverse(page)).content.decode()
        assert "Local model (sentence-transformers)" in html and ">sentence_transformers<" not in html, page


def test_a_record_page_has_its_whole_title_readable_field_names_and_dates(admin, tenant_a):
    message = "Refactor the closure parser so that lambdas without parameters no longer throw NPEs on Java 21"
    commit = make_commits(tenant_a, [message])[0]
    html = admin.get(reverse("hub:record", args=["commits", commit.pk])).content.decode()
    assert f'<h1 class="record-title">{message} ({commit.sha[:10]})</h1>' in html
    assert "<dt>Committed</dt>" in html and "2026-01-01 00:00 UTC" in html and ">committed_at<" not in html


def test_admin_names_are_plural_english():
    odd = [m._meta.verbose_name_plural for m in apps.get_models() if m._meta.verbose_name_plural.endswith(("ys", "ss"))]
    assert [name for name in odd if not name.endswith(("ays", "eys", "oys"))] == []
    assert apps.get_model("etl", "Repository")._meta.verbose_name_plural == "repositories"


def test_a_favicon_is_linked_and_served(client, admin):
    assert client.get("/favicon.ico")["Location"] == "/static/favicon.svg"
    assert client.get("/static/favicon.svg").status_code == 200
    assert '<link rel="icon" href="/static/favicon.svg"' in admin.get(reverse("hub:providers")).content.decode()


def test_a_duplicate_name_is_an_error_under_the_field_that_was_sent(admin, admin_a, api_as, tenant_a):
    local_embedding(tenant_a)
    body = {"name": "Local MiniLM", "provider": "sentence_transformers", "model_name": "all-MiniLM-L6-v2"}
    response = api_as(admin_a).post("/api/v1/ai/providers/", body)
    assert response.status_code == 400 and "already exists" in response.json()["name"][0]
    form = admin.post(reverse("hub:provider-create"), {**body, "subtype": "embedding", "action": "save"})
    assert "already exists" in " ".join(form.context["form"].errors["name"])


def test_getting_started_ticks_a_tested_provider_and_a_completed_sync_only(admin, tenant_a):
    provider = local_embedding(tenant_a)
    source = Integration.objects.create(client=tenant_a, integration_type="git", integration_name="Clone")
    EtlRun.objects.create(client=tenant_a, integration=source, kind="git", status="failed")
    html = admin.get("/").content.decode()
    assert 'data-step="provider" data-done="0"' in html and 'data-step="source" data-done="0"' in html
    Integration.objects.filter(pk=provider.pk).update(performance_config={"last_test": {"ok": True}})
    EtlRun.objects.create(client=tenant_a, integration=source, kind="git", status="succeeded")
    html = admin.get("/").content.decode()
    assert 'data-step="provider" data-done="1"' in html and 'data-step="source" data-done="1"' in html
    assert "1 completed sync" in html


def test_a_daily_budget_above_the_monthly_one_is_refused(admin, tenant_a):
    page = admin.post(reverse("hub:budget"), {"daily_usd": "10", "monthly_usd": "5", "action": "block"}, follow=True)
    assert "cannot be above the monthly one" in page.content.decode()
    assert not ClientAIConfiguration.objects.for_client(tenant_a).filter(config_category="cost_limits").exists()


def test_backfill_counts_say_what_happened(admin, tenant_a):
    job = BackfillJob.objects.create(
        client=tenant_a, status="succeeded", total=31, processed=31, succeeded=31, skipped=31
    )
    html = admin.get(reverse("hub:embeddings")).content.decode()
    assert '<span data-job="embedded">0</span> embedded · <span data-job="current">31</span> already current' in html
    state = admin.get(reverse("hub:backfill-status", args=[job.pk])).json()
    assert (state["embedded"], state["current"]) == (0, 31)


def test_search_hides_what_is_not_close_and_says_so(admin, tenant_a, settings):
    settings.PULSE_SEARCH_MIN_SIMILARITY = 0.25
    local_embedding(tenant_a)
    commits = make_commits(tenant_a, ["Fix the flaky login test on CI", "Speed up the Gradle build"])
    vectors_store_records(
        client=tenant_a, table_name="commits", records=[RecordText(c.pk, c.message, {}) for c in commits]
    )
    close = admin.get(reverse("hub:testing"), {"q": "flaky login test", "mode": "vector"}).content.decode()
    assert "Fix the flaky login test on CI" in close and "Speed up the Gradle build" not in close
    far = admin.get(reverse("hub:testing"), {"q": "chocolate cake recipe", "mode": "vector"}).content.decode()
    assert 'id="nothing-close"' in far and "similarity of 0.25" in far and 'id="search-results"' not in far


def test_claude_never_becomes_the_embedding_model(admin, admin_a, api_as, tenant_a):
    api = api_as(admin_a)
    claude = {
        "name": "Claude",
        "provider": "anthropic_claude",
        "model_name": "claude-sonnet-4-5",
        "api_key": "sk-ant-x",
    }
    assert api.post("/api/v1/ai/providers/", {**claude, "subtype": "embedding"}).json()["subtype"]
    declared = (
        "version: 1\nproviders:\n"
        "- {name: C, provider: anthropic_claude, model_name: x, model: {capabilities: [embedding]}}\n"
    )
    assert "capabilities" in api.post("/api/v1/ai/config/import/", {"yaml": declared}).json()
    created = api.post("/api/v1/ai/providers/", claude)
    assert created.status_code == 201 and created.json()["subtype"] == "llm"  # its default use
    # A row saved before the rule, claiming embeddings, is still never offered or routed to.
    Integration.objects.filter(pk=created.json()["id"]).update(integration_subtype="embedding")
    page = admin.get(reverse("hub:embeddings")).content.decode()
    assert "Claude —" not in page
    switched = admin.post(reverse("hub:embedding-switch"), {"integration": created.json()["id"]}, follow=True)
    assert "Choose one of your active embedding providers" in switched.content.decode()
    yaml = (
        "version: 1\nproviders:\n- {name: Claude2, provider: anthropic_claude, model_name: claude-sonnet-4-5}\n"
        "pipeline: {embedding: Claude2}\n"
    )
    imported = api.post("/api/v1/ai/config/import/", {"yaml": yaml})
    assert imported.status_code == 400 and "pipeline.embedding" in imported.json()
    assert not Integration.objects.filter(integration_name="Claude2").exists()


def test_the_latency_table_keeps_cold_loads_apart(admin, tenant_a):
    for ms in (11, 12, 13):
        ledger_row(tenant_a, latency_ms=ms)
    ledger_row(tenant_a, latency_ms=14, request_metadata={"cold_load_ms": 20746})
    page = admin.get(reverse("hub:testing"))
    [row] = page.context["stats"]
    assert row["p50_ms"] == pytest.approx(12.5) and row["cold_loads"] == 1 and row["load_p50_ms"] == 20746
    assert "1 · 20746 ms" in page.content.decode()


def test_schedules_are_edited_in_the_hub(admin, tenant_a):
    source = Integration.objects.create(
        client=tenant_a, integration_type="git", integration_name="Clone", configuration={"path": "/srv/git/x"}
    )
    url = reverse("hub:source-schedule", args=[source.pk])
    done = admin.post(url, {"kind": "cron", "cron": "30 2 * * *"}, follow=True).content.decode()
    assert "syncs cron 30 2 * * * (UTC)" in done and PeriodicTask.objects.get().crontab.hour == "2"
    bad = admin.post(url, {"kind": "interval", "every_minutes": ""}, follow=True).content.decode()
    assert "Between 5 and 10080 minutes" in bad
    listed = admin.get(reverse("hub:sources")).content.decode()
    assert "cron 30 2 * * * (UTC)" in listed
    admin.post(url, {"kind": "none"})
    assert not PeriodicTask.objects.exists()


def test_the_jira_and_github_forms_say_where_tokens_come_from_and_what_test_checks(admin):
    jira = admin.get(reverse("hub:source-create", args=["jira"])).content.decode()
    assert "id.atlassian.com/manage-profile/security/api-tokens" in jira and "https://your-site.atlassian.net" in jira
    assert 'for="id_api_token" class="required"' in jira and "/rest/api/3/myself" in jira
    github = admin.get(reverse("hub:source-create", args=["github"])).content.decode()
    assert "github.com/settings/personal-access-tokens" in github and 'for="id_token" class="required"' in github
    assert "reads each repository" in github


def test_ledger_dates_are_utc(admin, tenant_a):
    # The record page's dates read as UTC whatever the server's zone: one format everywhere.
    commit = make_commits(tenant_a, ["Dated"])[0]
    commit.committed_at = datetime(2026, 3, 4, 5, 6, tzinfo=UTC)
    commit.save()
    assert "2026-03-04 05:06 UTC" in admin.get(reverse("hub:record", args=["commits", commit.pk])).content.decode()
