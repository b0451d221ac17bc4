"""Embedding Models, Testing & Analytics, Usage & Costs and Data Sources pages."""

import subprocess
from datetime import timedelta
from decimal import Decimal

import httpx
import pytest
from django.urls import reverse
from django.utils import timezone

from ai.models import BackfillJob, ClientAIConfiguration, VectorBridge
from ai.vectors.backfill import backfill_run
from ai.vectors.bridge import RecordText, vectors_store_records
from etl.models import EtlRun
from pulse.core.models import Integration
from tests.ai.factories import ai_integration, ledger_row, local_embedding, payload
from tests.etl.factories import make_commits
from tests.secret_guard import register_secret

KEY = register_secret("sk-proj-hubdata-0a1b2c3d4e5f60718293")
TOKEN = register_secret("ghp_hubData0123456789abcdefABCDEF")


@pytest.fixture
def admin(client, admin_a):
    client.force_login(admin_a)
    return client


MESSAGES = [
    "Fix NPE in the closure parser when a lambda has no parameters",
    "Speed up the Gradle build by caching the docs task",
    "Add a Javadoc example for the JSON builder",
]


def test_coverage_backfill_progress_and_status_json(admin, tenant_a):
    local_embedding(tenant_a)
    make_commits(tenant_a, MESSAGES)
    page = admin.get(reverse("hub:embeddings"))
    commits = next(row for row in page.context["coverage"] if row["table"] == "commits")
    assert commits == {"table": "commits", "label": "commits", "records": 3, "vectors": 0, "queued": 3, "percent": 0.0}
    response = admin.post(reverse("hub:backfill-start"), {"tables": ["commits"]})
    assert response.status_code == 302
    job = BackfillJob.objects.for_client(tenant_a).get()
    assert [t["table"] for t in job.tables] == ["commits"]
    again = admin.post(reverse("hub:backfill-start"), follow=True)
    assert f"Backfill #{job.pk} is already queued" in again.content.decode()
    status = admin.get(reverse("hub:backfill-status", args=[job.pk])).json()
    assert status["status"] == "queued" and status["active"] and status["percent"] == 0
    backfill_run(job_id=job.pk)  # what the worker does (a real worker runs it in the browser test)
    status = admin.get(reverse("hub:backfill-status", args=[job.pk])).json()
    assert status["status"] == "succeeded" and status["percent"] == 100 and status["succeeded"] == 3
    assert next(r for r in status["coverage"] if r["table"] == "commits")["vectors"] == 3
    bad = admin.post(reverse("hub:backfill-start"), {"tables": ["secrets"]}, follow=True)
    assert "Choose tables from the list." in bad.content.decode()


def test_switching_to_a_model_of_other_dimensions_explains_the_re_embedding_first(admin, tenant_a):
    local = local_embedding(tenant_a)
    make_commits(tenant_a, MESSAGES)
    big = ai_integration(tenant_a, "OpenAI large", model="text-embedding-3-large", api_key=KEY, dimensions=None)
    response = admin.post(reverse("hub:embedding-switch"), {"integration": big.pk})
    html = response.content.decode()
    assert response.status_code == 200
    assert "The dimensions change (384 → 3072)" in html
    assert "<strong>3</strong> records to embed" in html
    assert "Estimated cost: about $" in html
    config = ClientAIConfiguration.objects.for_client(tenant_a).configuration_of("models")
    assert config["embedding"] == local.pk  # nothing changed yet
    assert not BackfillJob.objects.for_client(tenant_a).exists()
    admin.post(reverse("hub:embedding-switch"), {"integration": big.pk, "confirm": "yes", "start_backfill": "1"})
    config = ClientAIConfiguration.objects.for_client(tenant_a).configuration_of("models")
    assert config["embedding"] == big.pk
    assert BackfillJob.objects.for_client(tenant_a).get().total == 3


def test_embed_a_text_and_search_with_links_to_the_records(admin, tenant_a):
    local_embedding(tenant_a)
    commits = make_commits(tenant_a, MESSAGES)
    vectors_store_records(
        client=tenant_a,
        table_name="commits",
        vector_type="content",
        records=[RecordText(c.pk, c.message, {}) for c in commits],
    )
    page = admin.post(reverse("hub:testing"), {"text": "parser crash with lambdas"})
    embedding = page.context["embedding"]
    assert embedding["dimensions"] == 384
    assert abs(embedding["norm"] - 1.0) < 1e-3  # MiniLM vectors come normalized
    assert embedding["provider"] == "Local MiniLM" and embedding["latency_ms"] > 0
    found = admin.get(reverse("hub:testing"), {"q": "closure parser crashes on lambdas", "tables": ["commits"]})
    hits = found.context["search"]["hits"]
    assert hits[0]["hit"].record_id == commits[0].pk
    assert hits[0]["title"] == MESSAGES[0]
    link = reverse("hub:record", args=["commits", commits[0].pk])
    assert link in found.content.decode()
    record = admin.get(link).content.decode()
    assert "Fix NPE in the closure parser" in record and "all-MiniLM-L6-v2" in record
    empty = admin.post(reverse("hub:testing"), {"text": "   "})
    assert empty.status_code == 400 and "Type some text to embed." in empty.content.decode()


def test_search_and_embed_failures_are_messages_not_errors(admin, tenant_a):
    response = admin.post(reverse("hub:testing"), {"text": "hello"}, follow=True)
    assert response.status_code == 200
    assert "Embedding failed: No active AI provider can do embedding" in response.content.decode()
    response = admin.get(reverse("hub:testing"), {"q": "hello"})
    assert "Search failed: No active AI provider" in response.content.decode()


def test_latency_percentiles_and_error_rate_come_from_the_ledger(admin, tenant_a, tenant_b):
    now = timezone.now()
    for i, latency in enumerate(range(10, 110, 10)):  # 10..100 ms, one failure
        ledger_row(tenant_a, now, provider="openai", cost="0.001", tokens=5, latency=latency, success=i != 0)
    ledger_row(tenant_b, now, provider="openai", cost="1", tokens=5, latency=5000)
    stats = admin.get(reverse("hub:testing")).context["stats"]
    assert len(stats) == 1
    row = stats[0]
    assert row["requests"] == 10 and row["failures"] == 1 and row["error_rate"] == pytest.approx(0.1)
    assert row["p50_ms"] == pytest.approx(55.0)
    assert row["p95_ms"] == pytest.approx(95.5)


def test_usage_cards_chart_and_breakdown_match_the_ledger(admin, tenant_a, tenant_b):
    now = timezone.now()
    ledger_row(tenant_a, now, provider="openai", cost="0.0125", tokens=1000, latency=50)
    ledger_row(tenant_a, now - timedelta(days=2), provider="openai", cost="0.0075", tokens=600, latency=50)
    ledger_row(
        tenant_a, now - timedelta(days=3), provider="custom_gateway", cost="0", tokens=400, latency=50, unpriced=True
    )
    ledger_row(tenant_a, now - timedelta(days=20), provider="openai", cost="5", tokens=9, latency=50)
    ledger_row(tenant_b, now, provider="openai", cost="9", tokens=9, latency=50)
    response = admin.get(reverse("hub:usage"), {"range": "7d"})
    totals = response.context["summary"]["totals"]
    assert totals["cost"] == Decimal("0.0200") and totals["total_tokens"] == 2000 and totals["requests"] == 3
    html = response.content.decode()
    assert 'data-metric="cost">$0.0200<' in html
    assert 'data-metric="requests">3<' in html
    assert "1 call used a model with no known price" in html
    assert "1 unpriced" in html
    bars = response.context["chart"]["bars"]
    assert len(bars) == 8 and sum(b["tokens"] for b in bars) == 2000
    assert sum(b["cost"] for b in bars) == Decimal("0.0200")
    tallest = max(bars, key=lambda b: b["height"])
    assert tallest["cost"] == Decimal("0.0125")
    assert html.count('<rect class="bar"') == 8
    month = admin.get(reverse("hub:usage"), {"range": "30d"}).context["summary"]["totals"]
    assert month["cost"] == Decimal("5.0200")
    weird = admin.get(reverse("hub:usage"), {"range": "7y"})
    assert weird.status_code == 200 and weird.context["range"] == "7d"


def test_budget_form_validates_and_the_page_shows_used_and_left(admin, tenant_a):
    ledger_row(tenant_a, timezone.now(), provider="openai", cost="0.25", tokens=10, latency=5)
    bad = admin.post(reverse("hub:budget"), {"daily_usd": "-1", "action": "block"}, follow=True)
    assert "Daily limit (USD): Ensure this value is greater than or equal to 0." in bad.content.decode()
    bad = admin.post(reverse("hub:budget"), {"daily_usd": "1", "action": "shrug"}, follow=True)
    assert "When a limit is reached: Select a valid choice." in bad.content.decode()
    admin.post(reverse("hub:budget"), {"daily_usd": "1", "monthly_usd": "", "action": "fallback_local"})
    limits = ClientAIConfiguration.objects.for_client(tenant_a).configuration_of("cost_limits")
    assert limits == {"daily_usd": 1.0, "action": "fallback_local"}
    html = admin.get(reverse("hub:usage")).content.decode()
    assert "$0.2500 used of $1.00 · $0.7500 left" in html
    assert "no monthly limit" in html and "fall back to a local model" in html


def test_gateway_spend_comes_from_key_info_and_a_down_gateway_is_a_message(admin, tenant_a, respx_mock):
    ai_integration(
        tenant_a,
        "Gateway",
        provider="custom_gateway",
        model="gpt-4o-mini",
        subtype="gateway",
        base_url="https://gw.example/v1",
        api_key=KEY,
        dimensions=None,
    )
    route = respx_mock.get("https://gw.example/key/info").respond(200, json=payload("litellm_key_info.json"))
    html = admin.get(reverse("hub:usage")).content.decode()
    spend = payload("litellm_key_info.json")["info"]["spend"]
    assert f'data-metric="gateway">${spend:.4f}<' in html
    admin.get(reverse("hub:usage"))
    assert route.call_count == 1  # cached for a minute
    from django.core.cache import cache

    cache.clear()
    respx_mock.get("https://gw.example/key/info").respond(503, json={"error": "down"})
    html = admin.get(reverse("hub:usage")).content.decode()
    assert 'data-metric="gateway">unavailable<' in html
    assert KEY not in html
    cache.clear()
    slow = respx_mock.get("https://gw.example/key/info").mock(side_effect=httpx.ReadTimeout("slow gateway"))
    html = admin.get(reverse("hub:usage")).content.decode()
    assert "/key/info timed out" in html
    assert slow.calls.last.request.extensions["timeout"]["read"] == 5.0  # the page never waits 30 s


@pytest.fixture
def repo(tmp_path):
    path = tmp_path / "repo"
    path.mkdir()
    env = {
        "GIT_AUTHOR_NAME": "Ada",
        "GIT_AUTHOR_EMAIL": "ada@example.com",
        "GIT_COMMITTER_NAME": "Ada",
        "GIT_COMMITTER_EMAIL": "ada@example.com",
        "HOME": str(tmp_path),
        "PATH": "/usr/bin:/bin",
    }
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True, env=env)
    (path / "README.md").write_text("hello\n")
    subprocess.run(["git", "-C", str(path), "add", "."], check=True, env=env)
    subprocess.run(["git", "-C", str(path), "commit", "-q", "-m", "Initial commit"], check=True, env=env)
    return path


def test_data_source_forms_validate_per_type(admin, tenant_a):
    cases = [
        ("git", {"name": "Repo"}, "path", "The folder of a git clone"),
        ("github", {"name": "GH", "repositories": "apache"}, "repositories", "owner/name"),
        ("github", {"name": "GH", "repositories": "apache/groovy"}, "token", "Required"),
        ("jira", {"name": "J", "email": "a@example.com", "api_token": "x"}, "base_url", "Your Jira site"),
        ("jira", {"name": "J", "base_url": "https://x.atlassian.net", "api_token": "x"}, "email", "account email"),
        ("jira", {"name": "J", "base_url": "https://x.atlassian.net", "email": "not-an-email"}, "email", "valid email"),
        ("git", {"name": "", "path": "/srv/repos/x"}, "name", "required"),
    ]
    for kind, data, field, message in cases:
        response = admin.post(reverse("hub:source-create", args=[kind]), data)
        assert response.status_code == 400, (kind, data)
        errors = {k: " ".join(v) for k, v in response.context["form"].errors.items()}
        assert message in errors.get(field, ""), (kind, field, errors)
    assert not Integration.objects.for_client(tenant_a).exists()
    assert admin.get(reverse("hub:source-create", args=["ftp"])).status_code == 404


def test_git_path_outside_the_allowed_roots_is_refused(admin, tenant_a, settings, tmp_path, repo):
    settings.PULSE_GIT_ROOTS = [str(tmp_path / "elsewhere")]
    response = admin.post(reverse("hub:source-create", args=["git"]), {"name": "Repo", "path": str(repo)})
    assert "outside the folders Pulse may read" in " ".join(response.context["form"].errors["path"])


def test_add_test_and_sync_a_git_source_then_see_the_run(admin, tenant_a, repo, django_capture_on_commit_callbacks):
    local_embedding(tenant_a)
    response = admin.post(
        reverse("hub:source-create", args=["git"]), {"name": "Repo", "path": str(repo), "active": "on"}
    )
    assert response.status_code == 302
    source = Integration.objects.for_client(tenant_a).get(integration_name="Repo")
    tested = admin.post(reverse("hub:source-test", args=[source.pk]), follow=True).content.decode()
    assert "Repo: connected in" in tested and "HEAD is at" in tested
    with django_capture_on_commit_callbacks() as callbacks:
        queued = admin.post(reverse("hub:source-sync", args=[source.pk]), follow=True)
    assert "sync queued" in queued.content.decode()
    assert len(callbacks) == 1  # the task is sent once the request commits
    run = EtlRun.objects.for_client(tenant_a).get()
    queued_page = admin.get(reverse("hub:sources")).content.decode()
    assert run.status == "queued" and f'data-active-run="{run.pk}"' in queued_page  # the page follows it
    from etl.tasks import sync_integration_task

    sync_integration_task(source.pk, run.pk)  # what the worker runs
    html = admin.get(reverse("hub:sources")).content.decode()
    run.refresh_from_db()
    assert run.fetched == 1 and f"#{run.pk}" in html and "synced" in html and "data-active-run" not in html


def test_a_source_test_failure_is_a_message_and_tokens_stay_hidden(admin, tenant_a, respx_mock):
    response = admin.post(
        reverse("hub:source-create", args=["github"]),
        {"name": "Groovy", "repositories": "apache/groovy", "token": TOKEN, "active": "on"},
    )
    assert response.status_code == 302
    source = Integration.objects.for_client(tenant_a).get(integration_name="Groovy")
    assert source.credentials == {"token": TOKEN}
    respx_mock.get("https://api.github.com/repos/apache/groovy").respond(401, json={"message": "Bad credentials"})
    html = admin.post(reverse("hub:source-test", args=[source.pk]), follow=True).content.decode()
    assert "Groovy: test failed" in html and "401" in html
    assert TOKEN not in html
    edit = admin.post(
        reverse("hub:source-edit", args=[source.pk]),
        {"name": "Groovy", "repositories": "apache/groovy\napache/groovy-website", "token": "", "active": "on"},
    )
    assert edit.status_code == 302
    source.refresh_from_db()
    assert source.credentials == {"token": TOKEN}  # a blank token keeps the stored one
    assert source.configuration["repositories"] == ["apache/groovy", "apache/groovy-website"]


def test_vector_rows_of_the_bridge_are_counted_per_tenant(admin, tenant_a, tenant_b):
    """Coverage counts only the caller's records and vectors."""
    local_embedding(tenant_a)
    local_embedding(tenant_b)
    mine = make_commits(tenant_a, MESSAGES[:1])
    theirs = make_commits(tenant_b, MESSAGES)
    vectors_store_records(
        client=tenant_b,
        table_name="commits",
        vector_type="content",
        records=[RecordText(c.pk, c.message, {}) for c in theirs],
    )
    assert VectorBridge.objects.for_client(tenant_b).count() == 3
    coverage = admin.get(reverse("hub:embeddings")).context["coverage"]
    commits = next(row for row in coverage if row["table"] == "commits")
    assert commits["records"] == len(mine) and commits["vectors"] == 0
