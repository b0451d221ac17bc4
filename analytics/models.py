"""Analytics tables: per-repository delivery settings, the materialised deployments and pull
request flow the metrics are read from, the computation that wrote them, and stored insights.

Metrics are computed once per sync (or on demand) into `Deployment` and `PullRequestFlow`; a
request reads those rows and buckets them, it never walks the commit graph.
"""

from django.db import models

from pulse.core.tenancy import TenantOwnedModel


class DeliverySettings(TenantOwnedModel):
    class Source(models.TextChoices):
        TAGS = "tags", "Release tags"
        PULL_REQUESTS = "pull_requests", "Pull requests merged into the default branch"

    repository = models.OneToOneField("etl.Repository", on_delete=models.CASCADE, related_name="delivery_settings")
    deployment_source = models.CharField(max_length=20, choices=Source.choices, default=Source.TAGS)
    patch_failure_days = models.PositiveSmallIntegerField(
        default=14, help_text="A patch release of the same major.minor this soon marks the release failed"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "analytics_delivery_settings"
        verbose_name_plural = "delivery settings"


class Deployment(TenantOwnedModel):
    """One deployment of a repository with the changes it first shipped (materialised)."""

    repository = models.ForeignKey("etl.Repository", on_delete=models.CASCADE, related_name="deployments")
    name = models.CharField(max_length=255, help_text="The release tag, or #N for a merged pull request")
    sha = models.CharField(max_length=64)
    deployed_at = models.DateTimeField()
    commit_count = models.PositiveIntegerField(default=0, help_text="Commits it shipped first, merges excluded")
    lead_times = models.JSONField(default=list, help_text="Seconds from each commit's authoring to this deployment")
    negative_lead_times = models.PositiveIntegerField(
        default=0, help_text="Commits authored after the deployment time (counted as 0 s)"
    )
    failed = models.BooleanField(default=False)
    failure_causes = models.JSONField(default=list, blank=True)
    restored_at = models.DateTimeField(null=True, blank=True)
    restored_by = models.CharField(max_length=255, blank=True, default="")

    class Meta:
        db_table = "analytics_deployments"
        constraints = [
            models.UniqueConstraint(fields=["client", "repository", "name"], name="uniq_analytics_deployment")
        ]
        indexes = [models.Index(fields=["client", "deployed_at"], name="idx_deployments_time")]

    def __str__(self) -> str:
        return f"{self.repository} {self.name}"


class PullRequestFlow(TenantOwnedModel):
    """A pull request's flow times (materialised): opened, first commit, first review, merged."""

    repository = models.ForeignKey("etl.Repository", on_delete=models.CASCADE, related_name="+")
    pull_request = models.OneToOneField("etl.PullRequest", on_delete=models.CASCADE, related_name="flow")
    opened_at = models.DateTimeField(null=True, blank=True)
    first_commit_at = models.DateTimeField(null=True, blank=True)
    first_review_at = models.DateTimeField(null=True, blank=True)
    merged_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    lead_seconds = models.IntegerField(
        null=True, blank=True, help_text="Merged - first commit (opened when none of its commits is known)"
    )
    review_wait_seconds = models.IntegerField(null=True, blank=True, help_text="Opened - first review")

    class Meta:
        db_table = "analytics_pull_request_flow"
        indexes = [models.Index(fields=["client", "merged_at"], name="idx_pr_flow_merged")]


class DeliveryComputation(TenantOwnedModel):
    """The tenant's last metrics computation: when, from which data, what it found. Its row is
    also the lock that keeps two computations of one tenant from running at once."""

    fingerprint = models.CharField(max_length=200, blank=True, default="", help_text="The data it was computed from")
    computed_at = models.DateTimeField(null=True, blank=True, help_text="Empty until the first computation")
    duration_ms = models.PositiveIntegerField(default=0)
    counts = models.JSONField(default=dict, blank=True)

    class Meta:
        db_table = "analytics_delivery_computations"
        constraints = [models.UniqueConstraint(fields=["client"], name="uniq_delivery_computation")]


class Insight(TenantOwnedModel):
    """What the insights agent found in a metric series (the design notes' InsightResult)."""

    class Kind(models.TextChoices):
        ANOMALY = "anomaly", "Anomaly"
        TREND = "trend", "Trend"
        RECOMMENDATION = "recommendation", "Recommendation"
        ALERT = "alert", "Alert"

    class Priority(models.TextChoices):
        LOW = "low", "Low"
        MEDIUM = "medium", "Medium"
        HIGH = "high", "High"
        CRITICAL = "critical", "Critical"

    class State(models.TextChoices):
        NEW = "new", "New"
        SEEN = "seen", "Seen"
        DISMISSED = "dismissed", "Dismissed"

    dedupe_key = models.CharField(max_length=255, help_text="Same finding, same key: re-runs update, never duplicate")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    repository = models.ForeignKey("etl.Repository", null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    metric = models.CharField(max_length=50)
    granularity = models.CharField(max_length=10, default="week")
    window_start = models.DateField()
    window_end = models.DateField()
    direction = models.CharField(max_length=10, blank=True, default="", help_text="up or down")
    title = models.CharField(max_length=255)
    description = models.TextField()
    text_source = models.CharField(
        max_length=120, default="template", help_text="template, or the model that phrased it"
    )
    confidence = models.FloatField()
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.MEDIUM)
    statistic = models.JSONField(default=dict, help_text="The test behind it: name, value, threshold, p-value")
    data_points = models.JSONField(default=list)
    suggested_actions = models.JSONField(default=list)
    state = models.CharField(max_length=10, choices=State.choices, default=State.NEW)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "analytics_insights"
        constraints = [models.UniqueConstraint(fields=["client", "dedupe_key"], name="uniq_insight")]
        indexes = [models.Index(fields=["client", "state", "created_at"], name="idx_insights_state")]

    def __str__(self) -> str:
        return self.title


# Models of the Q&A agent live beside its code; Django finds them through this module.
from analytics.qa.models import QACacheEntry, QAInteraction  # noqa: E402, F401
from analytics.sql.models import SQLPair  # noqa: E402, F401
