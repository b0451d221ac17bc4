"""Every hub page in Debian's headless Chromium at 1280 px and at a 390 px phone: no element wider
than the viewport (tables scroll inside their cards), no JavaScript error; screenshots of each page
at both widths are kept in test-artifacts/screenshots/pages/. The pages come from the hub's URL
configuration, so a new page cannot be left out."""

import os
import re
import shutil
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connections
from django.urls import URLPattern, reverse
from django.utils import timezone

import hub.urls
from ai.models import AIUsageTracking, BackfillJob
from ai.vectors.bridge import RecordText, vectors_store_records
from analytics.qa.services import qa_ask
from etl.models import EtlRun, Project, PullRequest, WorkItem
from pulse.core.alerts import alert_raise
from pulse.core.models import Integration
from tests.ai.factories import ai_integration, local_embedding
from tests.analytics.test_insights import DROP, seed_merges
from tests.etl.factories import make_commits
from tests.factories import make_user
from tests.hub.test_dashboard import seed_flask
from tests.hub.test_dashboard_browser import CHROMIUM, pytestmark  # noqa: F401 - the same marks

SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots" / "pages"
WIDTHS = {"desktop-1280": (1280, 900), "phone-390": (390, 844)}
# Hub routes that are actions (POST) or data (JSON), not pages.
NOT_PAGES = {
    "index", "dashboard-compute", "dashboard-insights", "dashboard-insight-state", "provider-test", "backfill-start",
    "backfill-status", "backfill-cancel", "budget", "source-test", "source-sync", "source-schedule", "alert-webhook",
    "alert-resolve", "embedding-switch", "ask-stream", "ask-feedback", "ask-save-pair", "dashboard-settings",
}  # fmt: skip
# An element passes the viewport only if no ancestor that clips or scrolls sideways holds it in.
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const contained = (el) => {
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      const style = getComputedStyle(a);
      const clips = ["auto", "scroll", "hidden", "clip"].includes(style.overflowX);
      if (clips) return a.getBoundingClientRect().right <= width + 1;
    }
    return false;
  };
  const wide = [];
  for (const el of document.querySelectorAll("body *")) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    if (box.right > width + 1 && !contained(el)) {
      wide.push(`${el.tagName}.${el.className} right=${Math.round(box.right)}`);
    }
  }
  return {width, scrollWidth: document.documentElement.scrollWidth, wide: wide.slice(0, 10)};
}"""

LONG = "Refactor-the-closure-parser-so-lambdas-without-parameters-stop-throwing-NullPointerExceptions"


def _usage(tenant) -> None:
    """A month of priced calls, one a day, for the usage chart."""
    for day in range(30):
        row = AIUsageTracking.objects.create(
            client=tenant,
            provider="openai",
            operation="embedding",
            model_name="text-embedding-3-small",
            input_tokens=1200 * day,
            total_tokens=1200 * day,
            cost=Decimal("0.0024") * day,
            latency_ms=40,
        )
        AIUsageTracking.objects.filter(pk=row.pk).update(created_at=timezone.now() - timedelta(days=day))


def _seed(tenant, user) -> dict[str, str]:
    """A tenant with something on every page, long names and errors included; the pages' URLs."""
    seed_flask(tenant)
    seed_merges(tenant, DROP)
    local = local_embedding(tenant)
    Integration.objects.filter(pk=local.pk).update(performance_config={"last_test": {"ok": True, "latency_ms": 12}})
    other = ai_integration(tenant, "OpenAI embeddings with a rather long display name", dimensions=1536)
    commits = make_commits(tenant, [f"{LONG} {i}" for i in range(3)])
    vectors_store_records(
        client=tenant, table_name="commits", records=[RecordText(c.pk, c.message, {}) for c in commits]
    )
    project = Project.objects.create(client=tenant, key="GROOVY")
    item = WorkItem.objects.create(client=tenant, project=project, external_id="1", key="GROOVY-1", summary=LONG)
    pr = PullRequest.objects.create(client=tenant, repository=commits[0].repository, number=12, title=LONG)
    source = Integration.objects.create(
        client=tenant,
        integration_type="git",
        integration_name="Groovy clone",
        configuration={"path": "/srv/git/" + LONG},
    )
    for status in ("failed", "failed", "succeeded"):
        EtlRun.objects.create(
            client=tenant, integration=source, kind="git", status=status, fetched=1234, errors=[f"git: {LONG} " * 3]
        )
    BackfillJob.objects.create(client=tenant, status="failed", total=40, processed=40, succeeded=31, skipped=20,
                               failed=9, last_errors=[f"commits ids 1-9: {LONG}"])  # fmt: skip
    _usage(tenant)
    alert_raise(client=tenant, kind="sync_failing", key=f"sync:{source.pk}", title="Groovy clone: sync failed twice",
                detail=f"git: {LONG}")  # fmt: skip
    answer = qa_ask(client=tenant, user=user, question=f"Which commits touch {LONG}?")
    counted = qa_ask(client=tenant, user=user, question="Which files were changed most often?")
    assert counted["mode"] == "sql" and counted["table"]["rows"]  # the page shows the SQL agent's table
    return {
        "dashboard": reverse("hub:dashboard") + "?window=all",
        "dashboard-repository": reverse("hub:dashboard")
        + f"?window=all&repository={commits[0].repository_id}",  # with the delivery settings form
        "ask": reverse("hub:ask") + f"?id={answer['id']}",
        "ask-sql": reverse("hub:ask") + f"?id={counted['id']}",
        "alerts": reverse("hub:alerts"),
        "providers": reverse("hub:providers"),
        "provider-create": reverse("hub:provider-create"),
        "provider-edit": reverse("hub:provider-edit", args=[other.pk]),
        "provider-delete": reverse("hub:provider-delete", args=[other.pk]),
        "embeddings": reverse("hub:embeddings"),
        "agents": reverse("hub:agents"),
        "testing": reverse("hub:testing") + "?q=closure+parser+lambdas&mode=vector",
        "record": reverse("hub:record", args=["commits", commits[0].pk]),
        "record-work-item": reverse("hub:record", args=["work_items", item.pk]),
        "record-pull-request": reverse("hub:record", args=["pull_requests", pr.pk]),
        "usage": reverse("hub:usage") + "?range=30d",
        "sources": reverse("hub:sources"),
        "source-create": reverse("hub:source-create", args=["jira"]),
        "source-create-github": reverse("hub:source-create", args=["github"]),
        "source-create-git": reverse("hub:source-create", args=["git"]),
        "source-edit": reverse("hub:source-edit", args=[source.pk]),
        "source-delete": reverse("hub:source-delete", args=[source.pk]),
        "overview": reverse("home"),
    }


def _hub_page_names() -> set[str]:
    return {p.name for p in hub.urls.urlpatterns if isinstance(p, URLPattern)} - NOT_PAGES


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    shutil.rmtree(SHOTS, ignore_errors=True)
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # ORM reads between browser steps
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        yield chromium
        connections.close_all()
        chromium.close()
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


def _visit(page, url: str, folder: Path, name: str) -> None:
    response = page.goto(url)
    assert response.status == 200, (name, response.status)
    layout = page.evaluate(OVERFLOW)
    assert layout["wide"] == [] and layout["scrollWidth"] <= layout["width"], (name, layout)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def test_every_hub_page_fits_a_desktop_and_a_phone(live_server, browser, tenant_a):
    user = make_user(tenant_a, "ada-lovelace-with-a-long-username", role="admin", password="correct horse battery")
    pages = _seed(tenant_a, user)
    variants = r"-(github|git|work-item|pull-request|repository|sql)$"  # a second URL of the same page
    visited = {re.sub(variants, "", name) for name in pages} - {"overview"}
    assert visited == _hub_page_names(), "a hub page is missing from this test"
    for label, (width, height) in WIDTHS.items():
        folder = SHOTS / label
        folder.mkdir(parents=True)
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        page.set_default_timeout(20_000)
        errors: list[str] = []
        page.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
        page.goto(live_server.url + "/accounts/login/")
        page.screenshot(path=str(folder / "login.png"), full_page=True)
        page.get_by_label("Username").fill("ada-lovelace-with-a-long-username")
        page.get_by_label("Password").fill("correct horse battery")
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url(re.compile(r"/hub/dashboard/$"))
        for name, path in pages.items():
            _visit(page, live_server.url + path, folder, name)
        # The confirmation of an embedding switch is the answer to a form, not a URL of its own.
        page.goto(live_server.url + reverse("hub:embeddings"))
        option = page.locator("#id_integration option", has_text="OpenAI embeddings").get_attribute("value")
        page.get_by_label("Embedding provider").select_option(option)
        page.get_by_role("button", name="Use this provider…").click()
        page.wait_for_selector("text=Switch and re-embed")
        layout = page.evaluate(OVERFLOW)
        assert layout["wide"] == [] and layout["scrollWidth"] <= layout["width"], ("embedding-switch", layout)
        page.screenshot(path=str(folder / "embedding-switch.png"), full_page=True)
        context.close()
        assert errors == [], f"JavaScript errors at {label}: {errors}"
    assert len(list(SHOTS.rglob("*.png"))) == 2 * (len(pages) + 2)
