"""Reads of stored insights, always within the caller's tenant."""

from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import Http404

from analytics.models import Insight
from pulse.core.models import Client

PRIORITY_ORDER = Case(
    When(priority="critical", then=Value(0)),
    When(priority="high", then=Value(1)),
    When(priority="medium", then=Value(2)),
    default=Value(3),
    output_field=IntegerField(),
)


def insight_list(
    *,
    client: Client,
    states: list[str] | None = None,
    kind: str | None = None,
    metric: str | None = None,
    repository_id: int | None = None,
) -> QuerySet[Insight]:
    """Newest window first, then by priority and confidence."""
    insights = Insight.objects.for_client(client).select_related("repository")
    if states:
        insights = insights.filter(state__in=states)
    if kind:
        insights = insights.filter(kind=kind)
    if metric:
        insights = insights.filter(metric=metric)
    if repository_id is not None:
        insights = insights.filter(repository_id=repository_id)
    return insights.order_by("-window_end", PRIORITY_ORDER, "-confidence", "-id")


def insight_get(*, client: Client, insight_id) -> Insight:
    try:
        return Insight.objects.for_client(client).get(pk=insight_id)
    except (Insight.DoesNotExist, ValueError, TypeError):
        raise Http404("No such insight.") from None
