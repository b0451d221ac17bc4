"""Generate and store a tenant's insights; change an insight's state.

Generation reads the last 12 complete ISO weeks (UTC) of the delivery metrics, after making sure
they are current. The same finding for the same week has the same key, so a re-run (beat, the
API, a retry) updates the row it wrote before, keeps the state the team gave it, and asks no
model again.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from analytics import narrative
from analytics.insights.detect import InsightResult, NotEnoughData, detect
from analytics.metrics.buckets import bucket_start
from analytics.metrics.selectors import Window, delivery_metrics
from analytics.metrics.services import delivery_compute
from analytics.models import Deployment, Insight
from etl.models import Repository
from pulse.core.models import Client

WEEKS = 12


@dataclass
class InsightsGenerated:
    insights: list[Insight]
    not_enough_data: list[dict]
    window: Window
    settings: dict


def _window(now: datetime) -> Window:
    """The last 12 complete ISO weeks: the current, partial week would look like a drop."""
    monday = bucket_start(now, "week")
    end = datetime(monday.year, monday.month, monday.day, tzinfo=UTC)
    return Window(f"{WEEKS}w", end - timedelta(weeks=WEEKS), end)


def _scopes(client: Client, depth: str) -> list[Repository | None]:
    if depth != "expert":
        return [None]
    with_deployments = Deployment.objects.for_client(client).values("repository_id").distinct()
    return [None, *Repository.objects.for_client(client).filter(pk__in=with_deployments).order_by("full_name")]


def _store(client: Client, result: InsightResult, repository: Repository | None, window: Window, settings) -> Insight:
    key = (
        f"{result.insight_type}:{result.metric}:{repository.pk if repository else 'all'}:"
        f"{window.end.date().isoformat()}:{result.direction}"
    )
    existing = Insight.objects.for_client(client).filter(dedupe_key=key).first()
    if existing and existing.statistic == result.statistic:
        return existing  # already found and worded; no second model call
    description, source = narrative.phrase(
        client=client, facts=result.facts, template=result.description, settings=settings
    )
    values = {
        "kind": result.insight_type,
        "repository": repository,
        "metric": result.metric,
        "granularity": "week",
        "window_start": window.start.date(),
        "window_end": window.end.date(),
        "direction": result.direction,
        "title": result.title,
        "description": description,
        "text_source": source,
        "confidence": result.confidence,
        "priority": result.priority,
        "statistic": result.statistic,
        "data_points": result.data_points,
        "suggested_actions": result.suggested_actions,
    }
    insight, _ = Insight.objects.update_or_create(client=client, dedupe_key=key, defaults=values)
    return insight


def _short(item: NotEnoughData, repository: Repository | None) -> dict:
    return {
        "metric": item.metric,
        "repository": repository.full_name if repository else None,
        "points": item.points,
        "needed": item.needed,
    }


def insights_generate(*, client: Client, now: datetime | None = None) -> InsightsGenerated:
    """Compute metrics if the data changed, then find and store insights per the tenant's agent
    settings (analysis depth, anomaly detection, predictive analytics, narrative generation, custom
    prompts)."""
    settings = narrative.insight_settings(client=client)
    delivery_compute(client=client)
    window = _window(now or timezone.now())
    stored, short = [], []
    for repository in _scopes(client, settings["analysis_depth"]):
        data = delivery_metrics(client=client, window=window, repository=repository, granularity="week")
        results, missing = detect(
            data["series"],
            data,
            depth=settings["analysis_depth"],
            anomalies=settings["anomaly_detection"],
            trends=settings["predictive_analytics"],
        )
        short.extend(_short(item, repository) for item in missing)
        for result in results:
            stored.append(_store(client, result, repository, window, settings))
    return InsightsGenerated(insights=stored, not_enough_data=short, window=window, settings=settings)


def insights_proactive(*, client: Client, now: datetime | None = None) -> InsightsGenerated | None:
    """The daily run: metrics always; insights only when the tenant's proactive insights are on."""
    if not narrative.insight_settings(client=client)["proactive_insights"]:
        delivery_compute(client=client)
        return None
    return insights_generate(client=client, now=now)


@transaction.atomic
def insight_state_set(*, insight: Insight, state: str) -> Insight:
    if state not in Insight.State.values:
        raise ValidationError({"state": f"Must be one of: {', '.join(Insight.State.values)}."})
    insight.state = state
    insight.save(update_fields=["state", "updated_at"])
    return insight
