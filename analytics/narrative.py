"""The insights agent's use of the `ai` package: the tenant's agent settings, and the optional LLM
phrasing of an insight the statistics already found (the Q&A agent in analytics/qa is the other).

A model only rephrases computed facts. It gets the facts and the templated sentence, answers
through the execution path (routing, budget, ledger, fallback) and its answer is kept only if every
number in it is one of the facts' numbers; anything else (no provider, narrative generation off, a
failed or refused call, an invented number) keeps the template.
"""

import json
import logging
import re

from ai.execution.calls import execute_generation
from ai.execution.routing import NoProviderError, route_integration
from ai.setup.agents import agent_preferences
from pulse.core.models import Client

logger = logging.getLogger(__name__)
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
MAX_CHARS = 600
SYSTEM = (
    "You rewrite one finding about a software team's delivery metrics for that team, in one or two "
    "plain sentences. Use only the facts given. Do not add, change, round or compute any number: "
    "every number you write must appear in the facts. Do not speculate about causes."
)


def insight_settings(*, client: Client) -> dict:
    """What the tenant's saved agent settings say the insights agent should do."""
    preferences = agent_preferences(client=client)
    generation = preferences["agent_config"]["insight_generation"]
    dashboard = preferences["dashboard_ai"]
    return {
        "analysis_depth": generation["analysis_depth"],
        "proactive_insights": bool(generation["proactive_insights"]),
        "custom_prompts": list(generation["custom_prompts"] or []),
        "anomaly_detection": bool(dashboard["anomaly_detection"]),
        "predictive_analytics": bool(dashboard["predictive_analytics"]),
        "auto_refresh": bool(dashboard["auto_refresh"]),
        "narrative_generation": bool(dashboard["narrative_generation"]),
    }


def _numbers(text: str) -> set[str]:
    return {match.replace(",", "") for match in NUMBER.findall(text)}


def phrase(*, client: Client, facts: dict, template: str, settings: dict) -> tuple[str, str]:
    """(text, source): the model's wording when allowed and faithful, else (template, "template")."""
    if not settings["narrative_generation"]:
        return template, "template"
    try:
        integration = route_integration(client=client, operation="analysis", role="insights")
    except NoProviderError:
        return template, "template"
    guidance = "\n".join(f"- {prompt}" for prompt in settings["custom_prompts"])
    messages = [
        {"role": "system", "content": SYSTEM + (f"\nThe team's style notes:\n{guidance}" if guidance else "")},
        {"role": "user", "content": json.dumps({"facts": facts, "current_wording": template})},
    ]
    try:
        outcome = execute_generation(
            client=client,
            integration=integration,
            messages=messages,
            params={"max_tokens": 160, "temperature": 0.2},
            operation="analysis",
            metadata={"feature": "insights"},
        )
    except Exception as exc:  # noqa: BLE001 - optional wording: any failure keeps the template
        logger.warning("insight narrative for client %s failed: %s", client.pk, type(exc).__name__)
        return template, "template"
    text = (outcome.text or "").strip()
    allowed = _numbers(template) | {n for value in facts.values() for n in _numbers(str(value))}
    if not text or len(text) > MAX_CHARS or not _numbers(text) <= allowed:
        logger.info("insight narrative for client %s discarded: it changed the facts", client.pk)
        return template, "template"
    return text, f"{integration.provider}:{outcome.model or integration.integration_name}"[:120]
