"""The Ask page in Debian's headless Chromium: the question streams through the page's script, the
checked answer replaces it with numbered citations that lead to the records, and the page fits a
390 px phone. Screenshots go to test-artifacts/screenshots/dashboard/ (not committed)."""

import re
from pathlib import Path

import pytest

from etl.services.imports import commits_import_file
from tests.ai.factories import ai_integration, local_embedding
from tests.factories import make_user
from tests.hub.test_ask_stream import openai_stream
from tests.hub.test_dashboard_browser import SHOTS, _fits, browser_page, pytestmark  # noqa: F401 - fixture, marks

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "commits" / "apache-groovy-30.jsonl"


@pytest.fixture
def asker(live_server, browser_page, tenant_a, respx_mock):  # noqa: F811 - the imported fixture
    local_embedding(tenant_a)
    commits_import_file(client=tenant_a, path=FIXTURE)
    ai_integration(tenant_a, "GPT", model="gpt-4o-mini", subtype="llm", dimensions=None)
    respx_mock.post("https://api.openai.com/v1/chat/completions").mock(side_effect=openai_stream)
    respx_mock.route(host="127.0.0.1").pass_through()  # the browser's own requests to the live server
    make_user(tenant_a, "ada", role="member", password="correct horse battery")
    page = browser_page
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    return page


def test_a_question_streams_and_the_answer_cites_its_sources(asker):
    from playwright.sync_api import expect

    page = asker
    page.get_by_role("link", name="Ask").click()
    page.get_by_label(re.compile("Ask about your issues")).fill("What did GROOVY-12283 change?")
    page.get_by_role("button", name="Ask", exact=True).click()

    expect(page).to_have_url(re.compile(r"/hub/ask/\?id=\d+$"))
    expect(page.locator("#answer-text")).to_have_text("Import rules now cover casts [1].")
    expect(page.locator('[data-k="mode"]')).to_have_text("generative")
    _fits(page)
    page.screenshot(path=str(SHOTS / "ask-desktop.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.reload()
    _fits(page)
    page.screenshot(path=str(SHOTS / "ask-390.png"), full_page=True)
    page.locator("a.cite").first.click()
    page.locator("#source-1 a").first.click()
    expect(page).to_have_url(re.compile(r"/hub/records/commits/\d+/$"))
    expect(page.locator("pre.text")).to_contain_text("GROOVY-12283")
