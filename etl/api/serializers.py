"""Input and output shapes of `/api/v1/etl/`. Secrets are write-only; responses show them masked."""

from rest_framework import serializers

from etl.models import (
    Commit,
    EtlRun,
    PullRequest,
    PullRequestComment,
    PullRequestReview,
    Tag,
    WorkItem,
    WorkItemChange,
    WorkItemComment,
)
from etl.services.sources import SOURCE_TYPES
from pulse.core.crypto import mask_credentials

LIST_FIELDS = {"project_keys", "repositories"}


class SourceInputSerializer(serializers.Serializer):
    """One shape for the three source types; each type reads its own fields (see the README)."""

    type = serializers.ChoiceField(choices=SOURCE_TYPES, help_text="jira, github or git; fixed once created.")
    name = serializers.CharField(max_length=100)
    active = serializers.BooleanField(required=False, default=True)
    base_url = serializers.URLField(required=False, allow_blank=True, help_text="Jira site; GitHub Enterprise API URL.")
    email = serializers.EmailField(required=False, allow_blank=True, help_text="Jira: the token's Atlassian account.")
    api_token = serializers.CharField(required=False, allow_blank=True, write_only=True, help_text="Jira; write-only.")
    token = serializers.CharField(required=False, allow_blank=True, write_only=True, help_text="GitHub; write-only.")
    project_keys = serializers.ListField(child=serializers.CharField(max_length=50), required=False, max_length=100)
    jql = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    story_points_field = serializers.CharField(required=False, allow_blank=True, max_length=100)
    repositories = serializers.ListField(child=serializers.CharField(max_length=255), required=False, max_length=100)
    path = serializers.CharField(
        required=False, allow_blank=True, max_length=1000, help_text="git: the clone's folder."
    )
    branch = serializers.CharField(required=False, allow_blank=True, max_length=200)
    repository = serializers.CharField(required=False, allow_blank=True, max_length=255)


class SourceUpdateSerializer(SourceInputSerializer):
    type = None  # a source keeps its type
    active = serializers.BooleanField(required=False)


class ScheduleSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["none", "interval", "cron"])
    every_minutes = serializers.IntegerField(required=False, allow_null=True, help_text="interval: 5 to 10080.")
    cron = serializers.CharField(
        required=False, allow_blank=True, max_length=200, help_text="cron: five fields, UTC, e.g. '0 */6 * * *'."
    )
    enabled = serializers.BooleanField(read_only=True)
    last_run_at = serializers.DateTimeField(read_only=True, allow_null=True)
    label = serializers.CharField(read_only=True)


class RunSerializer(serializers.ModelSerializer):
    source = serializers.IntegerField(source="integration_id", allow_null=True)
    source_name = serializers.SerializerMethodField()
    active = serializers.SerializerMethodField(help_text="Queued or running: poll until false.")

    class Meta:
        model = EtlRun
        fields = [
            "id", "source", "source_name", "kind", "status", "active", "fetched", "created", "updated", "unchanged",
            "vectorized", "vector_failed", "errors", "started_at", "finished_at", "duration_ms",
        ]  # fmt: skip

    def get_source_name(self, run: EtlRun) -> str:
        return run.integration.integration_name if run.integration_id else ""

    def get_active(self, run: EtlRun) -> bool:
        return run.status in (EtlRun.Status.QUEUED, EtlRun.Status.RUNNING)


class SourceOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    type = serializers.CharField(source="integration_type")
    name = serializers.CharField(source="integration_name")
    active = serializers.BooleanField()
    base_url = serializers.CharField()
    configuration = serializers.DictField(help_text="project_keys, jql, repositories, path, branch, ...")
    credentials = serializers.SerializerMethodField(help_text="Masked secrets; never the values.")
    schedule = ScheduleSerializer()
    last_run = RunSerializer(allow_null=True)
    last_success_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()

    def get_credentials(self, source) -> dict[str, str]:
        return mask_credentials(source.credentials)


class SourceTestSerializer(serializers.Serializer):
    ok = serializers.BooleanField()
    latency_ms = serializers.FloatField()
    detail = serializers.CharField()
    checked = serializers.CharField(help_text="What the test did.")


class RunQuerySerializer(serializers.Serializer):
    source = serializers.IntegerField(required=False, help_text="A data source id.")
    status = serializers.ChoiceField(choices=EtlRun.Status.values, required=False)


class RecordRepositorySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    full_name = serializers.CharField()


class CommitSerializer(serializers.ModelSerializer):
    repository = RecordRepositorySerializer()
    title = serializers.SerializerMethodField()

    class Meta:
        model = Commit
        fields = [
            "id", "repository", "sha", "title", "author_name", "authored_at", "committer_name", "committed_at",
            "additions", "deletions",
        ]  # fmt: skip

    def get_title(self, commit: Commit) -> str:
        return commit.message.split("\n", 1)[0]


class PullRequestSerializer(serializers.ModelSerializer):
    repository = RecordRepositorySerializer()

    class Meta:
        model = PullRequest
        fields = [
            "id", "repository", "number", "title", "state", "draft", "author", "created", "updated", "merged_at",
            "closed_at", "base_ref", "head_ref", "additions", "deletions", "changed_files", "labels",
        ]  # fmt: skip


class WorkItemSerializer(serializers.ModelSerializer):
    project = serializers.CharField(source="project.key", default="", allow_null=True)

    class Meta:
        model = WorkItem
        fields = [
            "id", "key", "project", "summary", "item_type", "priority", "status", "status_category", "labels",
            "components", "assignee", "reporter", "created", "updated", "resolved", "story_points", "parent_key",
            "epic_key",
        ]  # fmt: skip


class PullRequestRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    title = serializers.CharField()
    repository = RecordRepositorySerializer()


class ReviewSerializer(serializers.ModelSerializer):
    pull_request = PullRequestRefSerializer()

    class Meta:
        model = PullRequestReview
        fields = ["id", "pull_request", "author", "state", "submitted_at"]


class ReleaseSerializer(serializers.ModelSerializer):
    repository = RecordRepositorySerializer()
    prerelease = serializers.BooleanField(source="release_prerelease")
    released_at = serializers.DateTimeField(allow_null=True, help_text="Published, else tagged, else committed.")

    class Meta:
        model = Tag
        fields = [
            "id", "repository", "name", "sha", "annotated", "tagged_at", "release_published_at", "prerelease",
            "released_at",
        ]  # fmt: skip


class CommentSerializer(serializers.ModelSerializer):
    class Meta:
        model = WorkItemComment
        fields = ["id", "author", "body", "created"]


class ChangeSerializer(serializers.ModelSerializer):
    class Meta:
        model = WorkItemChange
        fields = ["field", "from_value", "to_value", "author", "created"]


class ReviewCommentSerializer(serializers.ModelSerializer):
    class Meta:
        model = PullRequestComment
        fields = ["id", "author", "body", "path", "created"]


class ReviewBodySerializer(serializers.ModelSerializer):
    class Meta:
        model = PullRequestReview
        fields = ["id", "author", "state", "body", "submitted_at"]


class WorkItemDetailSerializer(WorkItemSerializer):
    description = serializers.CharField()
    comments = CommentSerializer(many=True)
    changes = ChangeSerializer(many=True)
    commits = CommitSerializer(many=True)
    pull_requests = PullRequestSerializer(many=True)

    class Meta(WorkItemSerializer.Meta):
        fields = [*WorkItemSerializer.Meta.fields, "description", "comments", "changes", "commits", "pull_requests"]


class PullRequestDetailSerializer(PullRequestSerializer):
    body = serializers.CharField()
    reviews = ReviewBodySerializer(many=True)
    comments = ReviewCommentSerializer(many=True)
    commits = CommitSerializer(many=True)
    jira_keys = serializers.ListField(child=serializers.CharField())

    class Meta(PullRequestSerializer.Meta):
        fields = [*PullRequestSerializer.Meta.fields, "body", "reviews", "comments", "commits", "jira_keys"]


class ReviewDetailSerializer(ReviewSerializer):
    class Meta(ReviewSerializer.Meta):
        fields = [*ReviewSerializer.Meta.fields, "body"]


class CommitDetailSerializer(CommitSerializer):
    pull_requests = PullRequestSerializer(many=True)
    releases = ReleaseSerializer(many=True)
    jira_keys = serializers.ListField(child=serializers.CharField())

    class Meta(CommitSerializer.Meta):
        fields = [
            *CommitSerializer.Meta.fields, "message", "parents", "files", "pull_requests", "releases", "jira_keys",
        ]  # fmt: skip


class ReleaseDetailSerializer(ReleaseSerializer):
    commit = CommitSerializer(allow_null=True)

    class Meta(ReleaseSerializer.Meta):
        fields = [*ReleaseSerializer.Meta.fields, "object_sha", "commit"]


class RecordQuerySerializer(serializers.Serializer):
    """Filters every record list takes; each list documents the ones it reads."""

    repository = serializers.IntegerField(required=False, min_value=1, help_text="A repository id.")
    project = serializers.CharField(required=False, max_length=50, help_text="A Jira project key.")
    author = serializers.CharField(required=False, max_length=255, help_text="Exact name, any case.")
    state = serializers.CharField(required=False, max_length=100)
    since = serializers.DateTimeField(required=False, help_text="On or after (ISO 8601; a date means midnight UTC).")
    until = serializers.DateTimeField(required=False, help_text="Before (ISO 8601).")

    def validate(self, attrs):
        if attrs.get("since") and attrs.get("until") and attrs["since"] >= attrs["until"]:
            raise serializers.ValidationError({"until": "Must be after since."})
        return attrs


class WorkItemQuerySerializer(RecordQuerySerializer):
    repository = None


class PullRequestQuerySerializer(RecordQuerySerializer):
    project = None


class CommitQuerySerializer(RecordQuerySerializer):
    project = None
    state = None


class ReleaseQuerySerializer(RecordQuerySerializer):
    project = None
    author = None
    state = serializers.ChoiceField(
        required=False, choices=["release", "prerelease", "tag"], help_text="tag: no published release."
    )
