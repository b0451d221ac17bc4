"""The hub in a real browser: Debian's headless Chromium driven by Playwright, against a live server,
a real Celery worker, Redis, PostgreSQL and the embedded Qdrant behind the local vector server, as
`make run` runs them. A new user's path: log in, add and test a local provider, add a git clone as
a data source and sync it, backfill to 100 %, search and follow a result, read the costs.

Screenshots of every page go to test-artifacts/screenshots/ (not committed)."""

import json
import os
import re
import shutil
import subprocess
import threading
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.db import connections
from django.utils import timezone

from ai.models import AIUsageTracking, BackfillJob, VectorBridge
from ai.vectors.stores import qdrant_client as vector_client
from ai.vectors.stores.local_server import make_server
from etl.models import Commit
from pulse.celery import app
from tests.factories import make_user
from tests.workers import start_worker

CHROMIUM = os.environ.get("PULSE_TEST_CHROMIUM", "/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "test-artifacts" / "screenshots"
FIXTURE = ROOT / "tests" / "fixtures" / "commits" / "apache-groovy-30.jsonl"

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.worker,
    # CI sets PULSE_REQUIRE_BROWSER=1: there a missing browser fails the run instead of skipping.
    pytest.mark.skipif(
        not Path(CHROMIUM).exists() and not os.environ.get("PULSE_REQUIRE_BROWSER"),
        reason=f"no Chromium at {CHROMIUM} (.ci/install-chromium.sh installs it)",
    ),
]


def _database_url() -> str:
    db = django_settings.DATABASES["default"]
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@pytest.fixture
def git_clone(tmp_path) -> Path:
    """A git repository whose history is 30 real apache/groovy commit messages (oldest first)."""
    path = tmp_path / "groovy"
    path.mkdir()
    env = {"HOME": str(tmp_path), "PATH": os.environ["PATH"], "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", "init", "-q", "-b", "master", str(path)], check=True, env=env)
    commits = [json.loads(line) for line in FIXTURE.read_text().splitlines()][::-1]
    for i, commit in enumerate(commits):
        (path / f"file{i % 5}.txt").write_text(f"{commit['sha']}\n")
        stamp = commit["committed_date"]
        subprocess.run(["git", "-C", str(path), "add", "-A"], check=True, env=env)
        subprocess.run(
            ["git", "-C", str(path), "commit", "-q", "-m", commit["message"]],
            check=True,
            env={
                **env,
                "GIT_AUTHOR_NAME": commit["author_name"],
                "GIT_AUTHOR_EMAIL": "redacted@example.com",
                "GIT_COMMITTER_NAME": commit["committer_name"],
                "GIT_COMMITTER_EMAIL": "redacted@example.com",
                "GIT_AUTHOR_DATE": stamp,
                "GIT_COMMITTER_DATE": stamp,
            },
        )
    return path


@pytest.fixture
def stack(settings, tmp_path, live_server):
    """The vector server and a worker beside the live server, all on the test database."""
    server = make_server(path=str(tmp_path / "qdrant"), port=0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.VECTOR_STORE = "qdrant"
    settings.QDRANT_URL = f"http://127.0.0.1:{server.server_address[1]}"
    vector_client.get_qdrant.cache_clear()
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "VECTOR_STORE": "qdrant",
        "QDRANT_URL": settings.QDRANT_URL,
        "PULSE_VAR_DIR": str(tmp_path / "var"),
        "PULSE_ENCRYPTION_KEYS": ",".join(django_settings.PULSE_ENCRYPTION_KEYS),
    }
    app.control.purge()
    worker = start_worker(env, "browser")
    # Playwright's sync API keeps an event loop on this thread; the ORM calls these tests make
    # between browser steps are plain synchronous ones.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield live_server.url
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    worker.terminate()
    worker.wait(timeout=30)
    vector_client.get_qdrant.cache_clear()
    server.shutdown()
    server.server_close()


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    if SHOTS.exists():
        shutil.rmtree(SHOTS)
    SHOTS.mkdir(parents=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-background-networking", "--disable-dev-shm-usage"],
        )
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(20_000)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        yield page
        # ORM calls made between browser steps run in Playwright's greenlet, whose context has its
        # own database connection: close it here, or the test database cannot be dropped.
        connections.close_all()
        context.close()
        browser.close()
        assert not errors, f"JavaScript errors: {errors}"


def _shot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


# Kept in sessionStorage at the moment a form is submitted, so it survives the navigation: what the
# pressed button looked like while the request was running (disabled, spinning, saying so).
RECORD_BUSY = """() => document.querySelectorAll("form[data-busy]").forEach((form) => form.addEventListener("submit",
  (event) => { const b = event.submitter || form.querySelector("button"); sessionStorage.setItem("busy",
  JSON.stringify({disabled: b.disabled, busy: b.getAttribute("aria-busy"), text: b.textContent})); }))"""


def _was_busy(page, text: str) -> None:
    state = page.evaluate("() => JSON.parse(sessionStorage.getItem('busy') || 'null')")
    assert state == {"disabled": True, "busy": "true", "text": text}, state


def test_a_new_user_configures_imports_backfills_searches_and_reads_costs(stack, page, tenant_a, git_clone):
    make_user(tenant_a, "ada", role="admin", password="correct horse battery")
    _log_in(page, stack)
    _add_local_provider(page)
    _import_git_source(page, tenant_a, git_clone)
    _backfill(page, tenant_a)
    _agents(page)
    _embed_and_search(page, tenant_a)
    _usage_matches_ledger(page, tenant_a)
    _keyboard_and_log_out(page, stack)
    assert len(list(SHOTS.glob("*.png"))) == 10


def _log_in(page, stack: str) -> None:
    from playwright.sync_api import expect

    # Log in.
    page.goto(stack + "/hub/providers/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    _shot(page, "01-login")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text("No provider yet — add one")).to_be_visible()
    _shot(page, "02-providers-empty")


def _add_local_provider(page) -> None:
    from playwright.sync_api import expect

    # Add the local provider with Save & Test; the form shows only the local type's fields.
    page.get_by_role("link", name="Add provider").click()
    expect(page.get_by_label("API key")).to_be_hidden()
    expect(page.get_by_label("Local model folder")).to_be_visible()
    page.get_by_label("Provider").select_option("openai")
    expect(page.get_by_label("API key")).to_be_visible()
    page.get_by_label("Provider").select_option("sentence_transformers")
    page.get_by_label("Name", exact=True).fill("Local MiniLM")
    _shot(page, "03-provider-form")
    page.evaluate(RECORD_BUSY)
    page.get_by_role("button", name="Save & Test").click()
    expect(page.get_by_role("status").filter(has_text="Test passed in")).to_be_visible()
    _was_busy(page, "Testing…")  # Save & Test showed it was working until the answer came
    card = page.locator("article.provider", has_text="Local MiniLM")
    expect(card).to_contain_text("384")
    expect(card.locator(".badge")).to_have_text("ok")
    page.evaluate(RECORD_BUSY)
    card.get_by_role("button", name="Test").click()
    expect(page.get_by_role("status").filter(has_text="test passed in")).to_be_visible()
    _was_busy(page, "Testing…")
    _shot(page, "04-provider-card")


def _import_git_source(page, tenant_a, git_clone) -> None:
    from playwright.sync_api import expect

    # Import data: a local git clone as a data source, tested, then synced by the worker.
    page.get_by_role("link", name="Data Sources").click()
    page.get_by_role("link", name="Add Local git repository").click()
    page.get_by_label("Name", exact=True).fill("Groovy clone")
    page.get_by_label("Clone folder").fill(str(git_clone))
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").filter(has_text="Added Groovy clone")).to_be_visible()
    page.get_by_role("button", name="Test").click()
    expect(page.get_by_role("status").filter(has_text="connected in")).to_be_visible()
    # Sync now: the button waits and the card and run history follow the run, with no reload.
    page.evaluate("() => { window.notReloaded = true; }")
    sync = page.get_by_role("button", name="Sync now")
    sync.click()
    expect(page.locator(".sync-form button")).to_be_disabled()
    expect(page.locator(".sync-form button")).to_have_attribute("aria-busy", "true")
    badge = page.locator("article.source [data-run-badge]")
    expect(badge).to_have_text("synced", timeout=120_000)
    expect(page.locator("#runs tbody tr").first.locator('[data-col="fetched"]')).to_have_text("30")
    expect(page.locator(".sync-form button")).to_be_enabled()
    assert page.evaluate("() => window.notReloaded === true"), "the page was reloaded"
    _shot(page, "05-sources")
    assert Commit.objects.for_client(tenant_a).count() == 30


def _backfill(page, tenant_a) -> None:
    from playwright.sync_api import expect

    # Backfill from the Embedding Models page and watch the bar reach 100 %.
    page.get_by_role("link", name="Embedding Models").click()
    expect(page.locator('#coverage tr[data-table="commits"] [data-col="records"]')).to_have_text("30")
    page.get_by_role("button", name="Start backfill").click()
    expect(page.get_by_role("status").filter(has_text="queued")).to_be_visible()
    expect(page.locator('[data-job="percent"]')).to_have_text("100", timeout=120_000)
    expect(page.locator('[data-job="status"]')).to_have_text("succeeded")
    expect(page.get_by_role("progressbar")).to_have_attribute("aria-valuenow", "100")
    expect(page.locator('#coverage tr[data-table="commits"] [data-col="vectors"]')).to_have_text("30")
    _shot(page, "06-embeddings-backfill-done")
    job = BackfillJob.objects.for_client(tenant_a).get()
    assert (job.status, job.processed, job.failed) == ("succeeded", 30, 0)
    assert VectorBridge.objects.for_client(tenant_a).filter(table_name="commits").count() == 30


def _agents(page) -> None:
    from playwright.sync_api import expect

    # Agents: change a setting with the keyboard-reachable form.
    page.get_by_role("link", name="AI Agents").click()
    page.get_by_label("Response style").select_option("concise")
    page.get_by_role("button", name="Save agent settings").click()
    expect(page.get_by_role("status").filter(has_text="Agent settings saved.")).to_be_visible()
    _shot(page, "07-agents")


def _embed_and_search(page, tenant_a) -> None:
    from playwright.sync_api import expect

    # Testing & Analytics: embed a text, then search and follow a result to its record.
    page.get_by_role("link", name="Testing & Analytics").click()
    page.get_by_label("Text", exact=True).fill("flaky test on CI")
    page.get_by_role("button", name="Embed").click()
    expect(page.locator('#embed-result [data-k="dimensions"]')).to_have_text("384")
    target = Commit.objects.for_client(tenant_a).filter(message__icontains="codenarc").first()
    page.get_by_role("searchbox").fill("refactor test code to fix codenarc errors")
    page.get_by_role("button", name="Search").click()
    results = page.locator("#search-results li")
    expect(results.first).to_be_visible()
    expect(page.locator("#latency")).to_contain_text("Local model (sentence-transformers)")
    _shot(page, "08-testing-search")
    results.first.get_by_role("link").click()
    expect(page).to_have_url(re.compile(rf"/hub/records/commits/{target.pk}/$"))
    expect(page.locator("pre.text")).to_contain_text("codenarc")
    _shot(page, "09-record")


def _usage_matches_ledger(page, tenant_a) -> None:
    from playwright.sync_api import expect

    # Usage & Costs: the cards and the chart say what the ledger says.
    page.get_by_role("link", name="Usage & Costs").click()
    since = timezone.now() - timezone.timedelta(days=7)
    ledger = AIUsageTracking.objects.for_client(tenant_a).filter(created_at__gte=since)
    requests = ledger.count()
    tokens = sum(ledger.values_list("total_tokens", flat=True))
    cost = sum((c for c in ledger.values_list("cost", flat=True) if c is not None), Decimal(0))
    assert requests >= 4  # provider test, sync, backfill, embed, search
    expect(page.locator('[data-metric="requests"]')).to_have_text(str(requests))
    expect(page.locator('[data-metric="tokens"]')).to_have_text(str(tokens))
    expect(page.locator('[data-metric="cost"]')).to_have_text(f"${cost:.4f}")
    bars = page.locator("#daily-chart rect.bar")
    expect(bars).to_have_count(8)
    assert sum(int(bars.nth(i).get_attribute("data-tokens")) for i in range(8)) == tokens
    assert sum(int(bars.nth(i).get_attribute("data-requests")) for i in range(8)) == requests
    expect(page.locator("#provider-breakdown")).to_contain_text("Local model (sentence-transformers)")
    _shot(page, "10-usage")


def _keyboard_and_log_out(page, stack: str) -> None:
    from playwright.sync_api import expect

    # Keyboard: the skip link is the first stop and lands on the content.
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()

    # Log out.
    page.get_by_role("button", name="Log out").click()
    page.goto(stack + "/hub/usage/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
