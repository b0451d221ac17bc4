"""Thin views of the analytics API. The tenant is always `request.user.client`."""

from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from analytics.api import serializers as s
from analytics.insights.selectors import insight_get, insight_list
from analytics.insights.services import insight_state_set, insights_generate
from analytics.metrics.selectors import delivery_metrics, delivery_settings_get, repository_get
from analytics.metrics.services import delivery_compute, delivery_settings_set
from pulse.core.api.views import TenantAPIMixin


def validated(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class DeliveryMetricsView(TenantAPIMixin, APIView):
    """DORA and flow metrics for a window, from the metrics computed after the last sync."""

    @extend_schema(parameters=[s.DeliveryQuerySerializer], responses=s.DeliveryMetricsSerializer)
    def get(self, request):
        query = validated(s.DeliveryQuerySerializer, request.query_params)
        repository = (
            repository_get(client=self.client, repository_id=query["repository"]) if "repository" in query else None
        )
        metrics = delivery_metrics(
            client=self.client, window=query["window"], repository=repository, granularity=query["granularity"]
        )
        return Response(s.DeliveryMetricsSerializer(metrics).data)


class DeliveryComputeView(TenantAPIMixin, APIView):
    """Compute the metrics now instead of at the next refresh (skipped when the data is unchanged)."""

    members_may_write = True  # recomputing changes no setting

    @extend_schema(request=None, responses=s.ComputationSerializer)
    def post(self, request):
        return Response(s.ComputationSerializer(delivery_compute(client=self.client)).data)


class DashboardInsightsView(TenantAPIMixin, APIView):
    """Generate insights now (the design notes' endpoint), following the tenant's agent settings."""

    members_may_write = True  # finding insights changes no setting

    @extend_schema(request=None, responses=s.InsightsGeneratedSerializer)
    def post(self, request):
        generated = insights_generate(client=self.client)
        payload = {
            "insights": generated.insights,
            "not_enough_data": generated.not_enough_data,
            "window": generated.window,
            "generated_at": timezone.now(),
            "agent_config": generated.settings,
        }
        return Response(s.InsightsGeneratedSerializer(payload).data)


class InsightListView(TenantAPIMixin, APIView):
    @extend_schema(parameters=[s.InsightQuerySerializer], responses=s.InsightSerializer(many=True))
    def get(self, request):
        query = validated(s.InsightQuerySerializer, request.query_params)
        insights = insight_list(
            client=self.client,
            states=sorted(query.get("state") or []),
            kind=query.get("type"),
            metric=query.get("metric"),
            repository_id=query.get("repository"),
        )
        return Response(s.InsightSerializer(insights[: query["limit"]], many=True).data)


class InsightDetailView(TenantAPIMixin, APIView):
    members_may_write = True  # marking an insight seen or dismissed is every member's work

    @extend_schema(responses=s.InsightSerializer)
    def get(self, request, insight_id: int):
        return Response(s.InsightSerializer(insight_get(client=self.client, insight_id=insight_id)).data)

    @extend_schema(request=s.InsightStateSerializer, responses=s.InsightSerializer)
    def patch(self, request, insight_id: int):
        insight = insight_get(client=self.client, insight_id=insight_id)
        data = validated(s.InsightStateSerializer, request.data)
        return Response(s.InsightSerializer(insight_state_set(insight=insight, state=data["state"])).data)


class DeliverySettingsView(TenantAPIMixin, APIView):
    """How a repository's deployments are found. Tenant admins change it; the metrics follow at the
    next computation (within minutes, or on demand)."""

    @extend_schema(responses=s.DeliverySettingsSerializer)
    def get(self, request, repository_id: int):
        repository = repository_get(client=self.client, repository_id=repository_id)
        settings = delivery_settings_get(client=self.client, repository=repository)
        return Response(s.DeliverySettingsSerializer(settings).data)

    @extend_schema(request=s.DeliverySettingsSerializer, responses=s.DeliverySettingsSerializer)
    def put(self, request, repository_id: int):
        repository = repository_get(client=self.client, repository_id=repository_id)
        data = validated(s.DeliverySettingsSerializer, request.data)
        settings = delivery_settings_set(client=self.client, repository=repository, **data)
        return Response(s.DeliverySettingsSerializer(settings).data)
