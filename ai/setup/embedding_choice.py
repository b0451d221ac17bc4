"""Which provider makes a tenant's embeddings, and what changing it means before it happens.

The choice is the `embedding` role of `client_ai_configuration` category `models`; a different
model means new collections and re-embedding every record (the backfill does it).
"""

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from ai.execution.routing import NoProviderError, models_configuration, route_integration
from ai.execution.rows import model_info_for
from ai.models import ClientAIConfiguration, VectorBridge
from ai.vectors.sources import vector_sources
from pulse.core.models import Client, Integration


def current_embedding_integration(*, client: Client) -> Integration | None:
    try:
        return route_integration(client=client, operation="embedding")
    except NoProviderError:
        return None


@dataclass(frozen=True)
class EmbeddingSwitchPlan:
    """What moving the tenant's embeddings to `target` means, said before it happens."""

    current: Integration | None
    target: Integration
    same_model: bool
    dimensions_change: bool
    records: int  # records that need a vector from the target model
    tables: list[dict]
    estimated_tokens: int | None
    estimated_cost: Decimal | None  # None: the price is unknown


def embedding_switch_plan(*, client: Client, target: Integration) -> EmbeddingSwitchPlan:
    current = current_embedding_integration(client=client)
    target_info = model_info_for(target)
    current_info = model_info_for(current) if current else None
    same_model = bool(current and current_info.name == target_info.name and current.provider == target.provider)
    tables = []
    for source in vector_sources():
        total = source.model.objects.for_client(client).count()
        done = (
            VectorBridge.objects.for_client(client)
            .filter(table_name=source.table_name, embedding_model=target_info.name)
            .count()
        )
        tables.append({"table": source.table_name, "records": total, "to_embed": max(total - done, 0)})
    records = sum(t["to_embed"] for t in tables)
    # A rough size: commit messages, issues and PRs average well under 200 tokens after truncation.
    tokens = records * 150 if records else 0
    price = target_info.input_price_per_1k
    cost = None if price is None else (Decimal(str(price)) * tokens / 1000).quantize(Decimal("0.0001"))
    return EmbeddingSwitchPlan(
        current=current,
        target=target,
        same_model=same_model,
        dimensions_change=bool(current_info and current_info.dimensions != target_info.dimensions),
        records=records,
        tables=tables,
        estimated_tokens=tokens,
        estimated_cost=cost,
    )


@transaction.atomic
def embedding_integration_set(*, client: Client, integration: Integration) -> None:
    if integration.client_id != client.pk or "embedding" not in model_info_for(integration).capabilities:
        raise ValidationError({"integration": "Choose one of your embedding providers."})
    if not integration.active:
        raise ValidationError({"integration": f"{integration.integration_name} is paused; activate it first."})
    row, _ = ClientAIConfiguration.objects.select_for_update().get_or_create(
        client=client, config_category=ClientAIConfiguration.Category.MODELS, defaults={"configuration": {}}
    )
    row.configuration = {**models_configuration(client), "embedding": integration.pk}
    row.save(update_fields=["configuration", "last_updated_at"])
