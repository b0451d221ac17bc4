"""Business tables filled by the ETL: Jira work items, GitHub pull requests, commits.

All are tenant-owned and unique per (tenant, source id), so a re-run updates instead of duplicating.
"""

from django.db import models

from pulse.core.tenancy import TenantOwnedModel


class Project(TenantOwnedModel):
    key = models.CharField(max_length=50)
    name = models.CharField(max_length=255, blank=True, default="")
    external_id = models.CharField(max_length=50, blank=True, default="")

    class Meta:
        db_table = "projects"
        constraints = [models.UniqueConstraint(fields=["client", "key"], name="uniq_project_key")]

    def __str__(self) -> str:
        return self.key


class WorkItem(TenantOwnedModel):
    """A Jira issue."""

    project = models.ForeignKey(Project, null=True, blank=True, on_delete=models.SET_NULL, related_name="work_items")
    external_id = models.CharField(max_length=50)
    key = models.CharField(max_length=50)
    summary = models.TextField(blank=True, default="")
    description = models.TextField(blank=True, default="", help_text="Plain text (ADF and wiki markup cleaned)")
    item_type = models.CharField(max_length=100, blank=True, default="")
    priority = models.CharField(max_length=100, blank=True, default="")
    status = models.CharField(max_length=100, blank=True, default="")
    status_category = models.CharField(max_length=50, blank=True, default="")
    labels = models.JSONField(default=list, blank=True)
    components = models.JSONField(default=list, blank=True)
    assignee = models.CharField(max_length=255, blank=True, default="")
    reporter = models.CharField(max_length=255, blank=True, default="")
    created = models.DateTimeField(null=True, blank=True)
    updated = models.DateTimeField(null=True, blank=True)
    resolved = models.DateTimeField(null=True, blank=True)
    story_points = models.FloatField(null=True, blank=True)
    parent_key = models.CharField(max_length=50, blank=True, default="")
    epic_key = models.CharField(max_length=50, blank=True, default="")
    raw = models.JSONField(default=dict, blank=True)

    class Meta:
        db_table = "work_items"
        constraints = [models.UniqueConstraint(fields=["client", "external_id"], name="uniq_work_item")]
        indexes = [
            models.Index(fields=["client", "key"], name="idx_work_items_key"),
            models.Index(fields=["client", "updated"], name="idx_work_items_updated"),
        ]

    def __str__(self) -> str:
        return f"{self.key}: {self.summary[:60]}"


class WorkItemComment(TenantOwnedModel):
    work_item = models.ForeignKey(WorkItem, on_delete=models.CASCADE, related_name="comments")
    external_id = models.CharField(max_length=50)
    author = models.CharField(max_length=255, blank=True, default="")
    body = models.TextField(blank=True, default="")
    created = models.DateTimeField(null=True, blank=True)
    updated = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "work_item_comments"
        constraints = [models.UniqueConstraint(fields=["client", "external_id"], name="uniq_work_item_comment")]


class WorkItemChange(TenantOwnedModel):
    """One field change from the Jira changelog (status transitions give cycle time)."""

    work_item = models.ForeignKey(WorkItem, on_delete=models.CASCADE, related_name="changes")
    external_id = models.CharField(max_length=50, help_text="The changelog history id")
    field = models.CharField(max_length=100)
    from_value = models.TextField(blank=True, default="")
    to_value = models.TextField(blank=True, default="")
    author = models.CharField(max_length=255, blank=True, default="")
    created = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "work_item_changelog"
        constraints = [
            models.UniqueConstraint(fields=["client", "external_id", "field"], name="uniq_work_item_change"),
        ]


class Repository(TenantOwnedModel):
    full_name = models.CharField(max_length=255, help_text="owner/name, or a local name for a git path")
    source = models.CharField(max_length=20, default="github")
    url = models.TextField(blank=True, default="")
    default_branch = models.CharField(max_length=255, blank=True, default="")

    class Meta:
        db_table = "repositories"
        verbose_name_plural = "repositories"
        constraints = [models.UniqueConstraint(fields=["client", "full_name"], name="uniq_repository")]

    def __str__(self) -> str:
        return self.full_name


class PullRequest(TenantOwnedModel):
    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="pull_requests")
    number = models.PositiveIntegerField()
    external_id = models.CharField(max_length=50, blank=True, default="")
    title = models.TextField(blank=True, default="")
    body = models.TextField(blank=True, default="")
    state = models.CharField(max_length=20, blank=True, default="")
    draft = models.BooleanField(default=False)
    author = models.CharField(max_length=255, blank=True, default="")
    created = models.DateTimeField(null=True, blank=True)
    updated = models.DateTimeField(null=True, blank=True)
    merged_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    base_ref = models.CharField(max_length=255, blank=True, default="")
    head_ref = models.CharField(max_length=255, blank=True, default="")
    additions = models.IntegerField(null=True, blank=True)
    deletions = models.IntegerField(null=True, blank=True)
    changed_files = models.IntegerField(null=True, blank=True)
    labels = models.JSONField(default=list, blank=True)
    raw = models.JSONField(default=dict, blank=True)

    class Meta:
        db_table = "pull_requests"
        constraints = [models.UniqueConstraint(fields=["client", "repository", "number"], name="uniq_pull_request")]
        indexes = [models.Index(fields=["client", "updated"], name="idx_pull_requests_updated")]

    def __str__(self) -> str:
        return f"#{self.number} {self.title[:60]}"


class PullRequestReview(TenantOwnedModel):
    pull_request = models.ForeignKey(PullRequest, on_delete=models.CASCADE, related_name="reviews")
    external_id = models.CharField(max_length=50)
    author = models.CharField(max_length=255, blank=True, default="")
    state = models.CharField(max_length=30, blank=True, default="")
    body = models.TextField(blank=True, default="")
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "pull_request_reviews"
        constraints = [models.UniqueConstraint(fields=["client", "external_id"], name="uniq_pr_review")]


class PullRequestComment(TenantOwnedModel):
    """A review comment on a pull request's diff."""

    pull_request = models.ForeignKey(PullRequest, on_delete=models.CASCADE, related_name="comments")
    external_id = models.CharField(max_length=50)
    author = models.CharField(max_length=255, blank=True, default="")
    body = models.TextField(blank=True, default="")
    path = models.TextField(blank=True, default="")
    created = models.DateTimeField(null=True, blank=True)
    updated = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "pull_request_comments"
        constraints = [models.UniqueConstraint(fields=["client", "external_id"], name="uniq_pr_comment")]


class Commit(TenantOwnedModel):
    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="commits")
    sha = models.CharField(max_length=64)
    message = models.TextField(blank=True, default="")
    author_name = models.CharField(max_length=255, blank=True, default="")
    authored_at = models.DateTimeField(null=True, blank=True)
    committer_name = models.CharField(max_length=255, blank=True, default="")
    committed_at = models.DateTimeField(null=True, blank=True)
    parents = models.JSONField(default=list, blank=True)
    additions = models.IntegerField(null=True, blank=True)
    deletions = models.IntegerField(null=True, blank=True)
    files = models.JSONField(default=list, blank=True, help_text="[{path, previous_path?, additions, deletions}]")

    class Meta:
        db_table = "commits"
        constraints = [models.UniqueConstraint(fields=["client", "repository", "sha"], name="uniq_commit")]
        indexes = [models.Index(fields=["client", "committed_at"], name="idx_commits_committed")]

    def __str__(self) -> str:
        return f"{self.sha[:10]} {self.message.splitlines()[0][:60] if self.message else ''}"


class PullRequestCommit(TenantOwnedModel):
    pull_request = models.ForeignKey(PullRequest, on_delete=models.CASCADE, related_name="commit_links")
    sha = models.CharField(max_length=64)

    class Meta:
        db_table = "pull_request_commits"
        constraints = [models.UniqueConstraint(fields=["client", "pull_request", "sha"], name="uniq_pr_commit")]


class Tag(TenantOwnedModel):
    """A git tag of a repository: from a local clone, GitHub (with its release, when one was
    published) or a tags file. Release tags are what delivery metrics count as deployments."""

    repository = models.ForeignKey(Repository, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(max_length=255)
    sha = models.CharField(max_length=64, help_text="The commit the tag points at (peeled)")
    object_sha = models.CharField(max_length=64, blank=True, default="", help_text="The tag object, when annotated")
    annotated = models.BooleanField(default=False)
    tagged_at = models.DateTimeField(null=True, blank=True, help_text="The tagger date of an annotated tag")
    commit_committed_at = models.DateTimeField(null=True, blank=True)
    base_shas = models.JSONField(
        default=list, blank=True, help_text="For a commit Pulse has not imported: its merge bases with the branch"
    )
    release_published_at = models.DateTimeField(null=True, blank=True, help_text="GitHub release, when published")
    release_prerelease = models.BooleanField(default=False, help_text="GitHub marks the release a prerelease")

    class Meta:
        db_table = "repository_tags"
        constraints = [models.UniqueConstraint(fields=["client", "repository", "name"], name="uniq_repository_tag")]

    def __str__(self) -> str:
        return f"{self.repository} {self.name}"


class JiraKeyLink(TenantOwnedModel):
    """A Jira key mentioned in a commit message or a pull request."""

    jira_key = models.CharField(max_length=50)
    commit = models.ForeignKey(Commit, null=True, blank=True, on_delete=models.CASCADE, related_name="jira_links")
    pull_request = models.ForeignKey(
        PullRequest, null=True, blank=True, on_delete=models.CASCADE, related_name="jira_links"
    )

    class Meta:
        db_table = "jira_key_links"
        constraints = [
            models.UniqueConstraint(fields=["client", "jira_key", "commit"], name="uniq_jira_link_commit"),
            models.UniqueConstraint(fields=["client", "jira_key", "pull_request"], name="uniq_jira_link_pr"),
            models.CheckConstraint(
                condition=models.Q(commit__isnull=False) | models.Q(pull_request__isnull=False),
                name="jira_link_has_a_source",
            ),
        ]
        indexes = [models.Index(fields=["client", "jira_key"], name="idx_jira_links_key")]


class SyncState(TenantOwnedModel):
    """Where the next incremental sync of an integration starts (e.g. updated-since, last sha)."""

    integration = models.OneToOneField("core.Integration", on_delete=models.CASCADE, related_name="sync_state")
    cursor = models.JSONField(default=dict, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "etl_sync_state"


class EtlRun(TenantOwnedModel):
    """One sync or import: what it fetched, wrote and vectorized, and what went wrong."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        PARTIAL = "partial", "Stored; some vectors queued for the backfill"
        FAILED = "failed", "Failed"

    integration = models.ForeignKey(
        "core.Integration", null=True, blank=True, on_delete=models.SET_NULL, related_name="etl_runs"
    )
    kind = models.CharField(max_length=30)  # jira | github | git | commits_file
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    fetched = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    vectorized = models.PositiveIntegerField(default=0)
    vector_failed = models.PositiveIntegerField(default=0, help_text="Records left queued for the backfill")
    errors = models.JSONField(default=list, blank=True)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        db_table = "etl_runs"
        verbose_name = "ETL run"
        indexes = [models.Index(fields=["client", "started_at"], name="idx_etl_runs_started")]

    def __str__(self) -> str:
        return f"{self.kind} run #{self.pk} ({self.status})"
