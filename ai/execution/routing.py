"""Which integration serves an operation for a tenant (the design notes' hybrid manager).

Inputs: the tenant's `client_ai_configuration` category `models` ({"embedding": id, "qa": id,
"insights": id, "sql": id, "text_generation": id, "analysis": id, "preference": "balanced"}),
the preference fast|balanced|quality, the job size, provider health (cooldown) and the budget.

Embeddings are pinned: the vectors of one collection must come from one model, so the
configured embedding integration always wins, and without one the choice is stable (local first
for bulk jobs, then by tier). For text generation and analysis every capable integration is
scored and the best one serves; the execution path then falls back along its chain.
"""

from ai.execution.budgets import budget_status, is_paid
from ai.execution.cooldown import cooling_down_until
from ai.execution.rows import model_info_for
from ai.execution.selectors import provider_list_capable
from ai.models import ClientAIConfiguration
from ai.providers.errors import AIError
from pulse.core.models import Client, Integration

PREFERENCES = ("fast", "balanced", "quality")
ROLES = ("embedding", "text_generation", "analysis", "qa", "insights", "sql")
ROLE_CAPABILITY = {"qa": "text_generation", "insights": "analysis", "sql": "text_generation"}
BULK_JOB_SIZE = 500


class NoProviderError(AIError):
    """The tenant has no active integration able to do this."""

    http_status = 409
    permanent = True


def models_configuration(client: Client) -> dict:
    return ClientAIConfiguration.objects.for_client(client).configuration_of(ClientAIConfiguration.Category.MODELS)


def _capable(client: Client, capability: str) -> list[Integration]:
    rows = provider_list_capable(client=client, capability=capability, active_only=True)
    return sorted(rows, key=lambda row: row.pk)


def route_integration(
    *, client: Client, operation: str, role: str | None = None, preference: str | None = None, job_size: int = 1
) -> Integration:
    role = role or operation
    capability = ROLE_CAPABILITY.get(role, operation)
    candidates = _capable(client, capability)
    if not candidates:
        raise NoProviderError(f"No active AI provider can do {capability.replace('_', ' ')} for this tenant.")
    config = models_configuration(client)
    configured = config.get(role) or config.get(operation)
    preference = preference or config.get("preference", "balanced")
    if preference not in PREFERENCES:
        preference = "balanced"
    bulk = job_size >= BULK_JOB_SIZE

    if capability == "embedding":
        pinned = next((c for c in candidates if c.pk == configured), None)
        if pinned:
            return pinned
        return sorted(candidates, key=lambda c: (not (bulk and not is_paid(model_info_for(c))), c.pk))[0]

    budget = budget_status(client=client)

    def score(candidate: Integration) -> tuple:
        info = model_info_for(candidate)
        paid = is_paid(info)
        tier_distance = (
            abs(PREFERENCES.index(info.tier) - PREFERENCES.index(preference)) if info.tier in PREFERENCES else 1
        )
        return (
            candidate.pk == configured,  # an explicit choice wins
            cooling_down_until(candidate) is None,  # healthy before cooling down
            not (paid and budget.exceeded),  # affordable before over budget
            bulk and not paid,  # bulk jobs prefer free local models
            -tier_distance,  # closest to the preference
            -candidate.pk,  # stable
        )

    return max(candidates, key=score)
