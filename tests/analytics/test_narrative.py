"""LLM phrasing of insights through the execution path, faked at the HTTP layer: a faithful
answer is kept; an answer with a number that is not a fact, a failed call or the setting off keeps
the template. Every call is in the usage ledger."""

import copy
import json

import pytest

from ai.models import AIUsageTracking
from analytics.insights.services import insights_generate
from tests.ai.factories import ai_integration, payload
from tests.analytics.test_insights import DROP, NOW, seed_merges, settings_for

pytestmark = pytest.mark.django_db
LLM = "https://llm.example/v1"
TEMPLATE = (
    "Pull requests merged per week was 4 in the week of 2026-02-23, against a typical 21 over the 11 weeks before."
)


@pytest.fixture
def llm(tenant_a):
    seed_merges(tenant_a, DROP)
    return ai_integration(
        tenant_a,
        "GPT",
        model="gpt-4o-mini",
        subtype="llm",
        dimensions=None,
        base_url=LLM,
        performance={"max_retries": 0},
    )


def _answer(text: str) -> dict:
    reply = copy.deepcopy(payload("openai_chat.json"))
    reply["choices"][0]["message"]["content"] = text
    return reply


def test_a_faithful_answer_is_kept_and_recorded(tenant_a, llm, respx_mock):
    wording = "Only 4 pull requests were merged in the week of 2026-02-23, where 21 was typical."
    route = respx_mock.post(f"{LLM}/chat/completions").respond(200, json=_answer(wording))

    insight = insights_generate(client=tenant_a, now=NOW).insights[0]

    assert (insight.description, insight.text_source) == (wording, "openai:gpt-4o-mini-2024-07-18")
    sent = json.loads(json.loads(route.calls[0].request.content)["messages"][1]["content"])
    assert (sent["facts"]["value"], sent["facts"]["expected"], sent["current_wording"]) == ("4", "21", TEMPLATE)
    assert AIUsageTracking.objects.filter(client=tenant_a, operation="analysis", success=True).count() == 1


def test_an_invented_number_keeps_the_template(tenant_a, llm, respx_mock):
    respx_mock.post(f"{LLM}/chat/completions").respond(200, json=payload("openai_chat.json"))  # "rose 12%"

    insight = insights_generate(client=tenant_a, now=NOW).insights[0]

    assert (insight.description, insight.text_source) == (TEMPLATE, "template")
    assert AIUsageTracking.objects.filter(client=tenant_a, operation="analysis").count() == 1


def test_a_failed_call_keeps_the_template(tenant_a, llm, respx_mock):
    respx_mock.post(f"{LLM}/chat/completions").respond(503, json={"error": {"message": "overloaded"}})

    insight = insights_generate(client=tenant_a, now=NOW).insights[0]

    assert (insight.description, insight.text_source) == (TEMPLATE, "template")
    assert AIUsageTracking.objects.filter(client=tenant_a, operation="analysis", success=False).exists()


def test_narrative_generation_off_asks_no_model(tenant_a, llm):
    settings_for(tenant_a, narrative_generation=False)

    insight = insights_generate(client=tenant_a, now=NOW).insights[0]

    assert insight.text_source == "template" and not AIUsageTracking.objects.filter(client=tenant_a).exists()


def test_the_tenants_custom_prompts_guide_the_wording(tenant_a, llm, respx_mock):
    settings_for(tenant_a, custom_prompts=["Address the team as 'crew'.", "Never use exclamation marks."])
    route = respx_mock.post(f"{LLM}/chat/completions").respond(200, json=_answer(TEMPLATE))

    insights_generate(client=tenant_a, now=NOW)

    system = json.loads(route.calls[0].request.content)["messages"][0]["content"]
    assert "- Address the team as 'crew'." in system and "- Never use exclamation marks." in system
