"""Which models answer a tenant's questions: its Q&A settings, or routing's choice."""

import contextlib

from ai.execution.routing import NoProviderError, route_integration
from ai.setup.agents import agent_preferences
from pulse.core.models import Client, Integration


def qa_settings(*, client: Client) -> dict:
    qa = agent_preferences(client=client)["agent_config"]["question_answering"]
    return {key: qa[key] for key in ("primary_model", "fallback_model", "response_style", "confidence_threshold")}


def answer_models(client: Client, chosen: dict) -> list[Integration]:
    """The Q&A model (the tenant's choice, else routing's) and the chosen fallback, active ones only."""
    rows = Integration.objects.for_client(client).filter(active=True)
    picked = [rows.filter(pk=chosen[k]).first() for k in ("primary_model", "fallback_model") if chosen.get(k)]
    if not chosen.get("primary_model"):
        with contextlib.suppress(NoProviderError):
            picked.insert(0, route_integration(client=client, operation="text_generation", role="qa"))
    return list(dict.fromkeys(m for m in picked if m is not None))
