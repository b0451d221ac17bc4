"""Input and output shapes of the analytics API. Durations are seconds; rates are 0..1."""

from datetime import UTC, datetime, time

from django.utils import timezone
from rest_framework import serializers

from analytics.metrics.buckets import GRANULARITIES
from analytics.metrics.selectors import window_parse
from analytics.models import DeliverySettings, Insight

LEVELS = ("elite", "high", "medium", "low")


class DeliveryQuerySerializer(serializers.Serializer):
    window = serializers.CharField(
        default="12w", help_text="all, or N days/weeks/months ending at `end`: 90d, 12w, 24m (UTC)"
    )
    repository = serializers.IntegerField(required=False, min_value=1, help_text="A repository id; default all")
    granularity = serializers.ChoiceField(choices=GRANULARITIES, default="week")
    end = serializers.DateField(required=False, help_text="The window ends at the start of this UTC day (default now)")

    def validate(self, attrs):
        end = attrs.get("end")
        moment = datetime.combine(end, time.min, tzinfo=UTC) if end else timezone.now()
        try:
            attrs["window"] = window_parse(value=attrs["window"], end=moment)
        except ValueError as exc:
            raise serializers.ValidationError({"window": str(exc)}) from None
        return attrs


class WindowSerializer(serializers.Serializer):
    label = serializers.CharField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()


class DeploymentFrequencySerializer(serializers.Serializer):
    count = serializers.IntegerField()
    per_week = serializers.FloatField(allow_null=True)
    median_days_per_week = serializers.FloatField(allow_null=True, help_text="Median over the ISO weeks of the window")
    median_days_per_month = serializers.FloatField(allow_null=True)
    level = serializers.ChoiceField(choices=LEVELS, allow_null=True)


class LeadTimeSerializer(serializers.Serializer):
    changes = serializers.IntegerField(help_text="Commits shipped by the window's deployments (merges excluded)")
    median_seconds = serializers.FloatField(allow_null=True)
    p75_seconds = serializers.FloatField(allow_null=True)
    counted_as_zero = serializers.IntegerField(help_text="Commits authored after their deployment time")
    over_a_week = serializers.IntegerField()
    level = serializers.ChoiceField(choices=LEVELS, allow_null=True)


class FailureRateSerializer(serializers.Serializer):
    failed = serializers.IntegerField()
    deployments = serializers.IntegerField()
    rate = serializers.FloatField(allow_null=True)
    level = serializers.ChoiceField(choices=LEVELS, allow_null=True)


class RestoreSerializer(serializers.Serializer):
    restored = serializers.IntegerField()
    median_seconds = serializers.FloatField(allow_null=True)
    level = serializers.ChoiceField(choices=LEVELS, allow_null=True)


class PullRequestFlowSerializer(serializers.Serializer):
    merged = serializers.IntegerField()
    per_week = serializers.FloatField(allow_null=True)
    lead_time_median_seconds = serializers.FloatField(allow_null=True, help_text="Merged - first commit")
    lead_time_p75_seconds = serializers.FloatField(allow_null=True)
    with_lead_time = serializers.IntegerField()
    review_wait_median_seconds = serializers.FloatField(allow_null=True, help_text="Opened → first review")
    reviewed = serializers.IntegerField()


class IssuesSerializer(serializers.Serializer):
    resolved = serializers.IntegerField()
    per_week = serializers.FloatField(allow_null=True)


class WorkInProgressSerializer(serializers.Serializer):
    open_pull_requests = serializers.IntegerField()
    issues_in_progress = serializers.IntegerField(allow_null=True, help_text="Tenant-wide; null for one repository")


class BucketSerializer(serializers.Serializer):
    start = serializers.DateField(help_text="First UTC day of the ISO week or month")
    deployments = serializers.IntegerField()
    deployment_days = serializers.IntegerField()
    lead_time_median_seconds = serializers.FloatField(allow_null=True)
    lead_time_p75_seconds = serializers.FloatField(allow_null=True)
    failed = serializers.IntegerField()
    change_failure_rate = serializers.FloatField(allow_null=True)
    time_to_restore_median_seconds = serializers.FloatField(allow_null=True, help_text="Of its failed deployments")
    prs_merged = serializers.IntegerField()
    pr_lead_time_median_seconds = serializers.FloatField(allow_null=True)
    issues_resolved = serializers.IntegerField(allow_null=True)


class RepositoryRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    full_name = serializers.CharField()


class DeliveryMetricsSerializer(serializers.Serializer):
    window = WindowSerializer()
    granularity = serializers.CharField()
    repository = RepositoryRefSerializer(allow_null=True)
    computed_at = serializers.DateTimeField(allow_null=True)
    missing = serializers.ListField(
        child=serializers.CharField(), help_text="Data still missing: repositories, commits, tags, computation"
    )
    deployments = DeploymentFrequencySerializer()
    lead_time = LeadTimeSerializer()
    change_failure_rate = FailureRateSerializer()
    time_to_restore = RestoreSerializer()
    pull_requests = PullRequestFlowSerializer()
    issues = IssuesSerializer(allow_null=True, help_text="Tenant-wide; null for one repository")
    work_in_progress = WorkInProgressSerializer()
    series = BucketSerializer(many=True)


class InsightSerializer(serializers.ModelSerializer):
    type = serializers.CharField(source="kind")
    repository = serializers.CharField(source="repository.full_name", allow_null=True, default=None)

    class Meta:
        model = Insight
        fields = [
            "id",
            "type",
            "title",
            "description",
            "text_source",
            "confidence",
            "priority",
            "state",
            "metric",
            "repository",
            "granularity",
            "window_start",
            "window_end",
            "direction",
            "statistic",
            "data_points",
            "suggested_actions",
            "created_at",
            "updated_at",
        ]


class InsightQuerySerializer(serializers.Serializer):
    state = serializers.MultipleChoiceField(choices=Insight.State.values, required=False)
    type = serializers.ChoiceField(choices=Insight.Kind.values, required=False)
    metric = serializers.CharField(required=False, max_length=50)
    repository = serializers.IntegerField(required=False, min_value=1)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=200, default=50)


class InsightStateSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=Insight.State.values)


class NotEnoughDataSerializer(serializers.Serializer):
    metric = serializers.CharField()
    repository = serializers.CharField(allow_null=True)
    points = serializers.IntegerField()
    needed = serializers.IntegerField()


class InsightsGeneratedSerializer(serializers.Serializer):
    insights = InsightSerializer(many=True)
    not_enough_data = NotEnoughDataSerializer(many=True, help_text="Series too short for a statistic (< 6 weeks)")
    window = WindowSerializer()
    generated_at = serializers.DateTimeField()
    agent_config = serializers.DictField(help_text="The agent settings the run followed")


class DeliverySettingsSerializer(serializers.Serializer):
    repository = serializers.IntegerField(source="repository_id", read_only=True)
    deployment_source = serializers.ChoiceField(
        choices=DeliverySettings.Source.choices, help_text="Release tags, or PRs merged into the default branch"
    )
    patch_failure_days = serializers.IntegerField(
        min_value=0, max_value=365, help_text="A patch release this soon after marks a release failed"
    )


class ComputationSerializer(serializers.Serializer):
    computed_at = serializers.DateTimeField(allow_null=True)
    duration_ms = serializers.IntegerField()
    counts = serializers.DictField(help_text="deployments, failed, pull_requests")
