"""The Dashboard in Debian's headless Chromium (Playwright), on a desktop and on a 390 px phone:
login lands on it, the four DORA tiles and the insights are there, the window picker works, an
insight can be marked, and no element is wider than the viewport.

Screenshots go to test-artifacts/screenshots/dashboard/ (not committed)."""

import os
import re
import shutil
from pathlib import Path

import pytest
from django.db import connections

from analytics.insights.services import insights_generate
from analytics.models import Insight
from tests.analytics.test_insights import DROP, NOW, seed_merges
from tests.factories import make_user
from tests.hub.test_dashboard import seed_flask

CHROMIUM = os.environ.get("PULSE_TEST_CHROMIUM", "/usr/bin/chromium")
SHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots" / "dashboard"
# Elements whose right edge passes the viewport (the skip link waits off-screen on the left).
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const wide = [];
  for (const el of document.querySelectorAll('body *')) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) continue;
    if (box.right > width + 1) wide.push(`${el.tagName}.${el.className} right=${Math.round(box.right)}`);
  }
  return {width, scrollWidth: document.documentElement.scrollWidth, wide};
}"""

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not Path(CHROMIUM).exists() and not os.environ.get("PULSE_REQUIRE_BROWSER"),
        reason=f"no Chromium at {CHROMIUM} (.ci/install-chromium.sh installs it)",
    ),
]


@pytest.fixture
def browser_page():
    from playwright.sync_api import sync_playwright

    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"  # ORM reads between browser steps
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-dev-shm-usage"]
        )
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(20_000)
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        yield page
        connections.close_all()
        context.close()
        browser.close()
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        assert not errors, f"JavaScript errors: {errors}"


def _fits(page) -> None:
    layout = page.evaluate(OVERFLOW)
    assert layout["wide"] == [] and layout["scrollWidth"] <= layout["width"], layout


def test_the_dashboard_on_a_desktop_and_a_phone(live_server, browser_page, tenant_a):
    from playwright.sync_api import expect

    seed_flask(tenant_a)
    seed_merges(tenant_a, DROP)
    insight = insights_generate(client=tenant_a, now=NOW).insights[0]
    make_user(tenant_a, "ada", role="member", password="correct horse battery")
    page = browser_page

    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/hub/dashboard/$"))

    expect(page.locator("#dora article.tile")).to_have_count(4)
    page.get_by_label("Window").select_option("all")
    page.get_by_role("button", name="Show").click()
    expect(page.locator('[data-tile="frequency"] small')).to_contain_text("3 deployments")
    expect(page.locator('[data-tile="failure_rate"] [data-value]')).to_have_text("0 %")
    expect(page.locator('[data-tile="lead_time"] .badge')).not_to_have_text("no data")
    expect(page.locator("svg.chart")).to_have_count(4)
    card = page.locator(f'[data-insight="{insight.pk}"]')
    expect(card).to_contain_text(insight.title)
    _fits(page)
    page.screenshot(path=str(SHOTS / "dashboard-desktop.png"), full_page=True)

    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    expect(page.locator("#dora article.tile")).to_have_count(4)
    expect(card).to_be_visible()
    _fits(page)
    page.screenshot(path=str(SHOTS / "dashboard-390.png"), full_page=True)

    card.get_by_role("button", name="Mark seen").click()
    expect(page.get_by_role("status").filter(has_text="seen")).to_be_visible()
    assert Insight.objects.get(pk=insight.pk).state == "seen"
    expect(page).to_have_url(re.compile(r"window=all"))  # back to the same view
    _fits(page)
