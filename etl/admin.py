from django.contrib import admin

from etl.models import Commit, EtlRun, Project, PullRequest, Repository, SyncState, Tag, WorkItem
from pulse.core.admin import TenantScopedAdmin


@admin.register(Project)
class ProjectAdmin(TenantScopedAdmin):
    list_display = ("key", "name", "client")
    list_filter = ("client",)
    search_fields = ("key", "name")


@admin.register(WorkItem)
class WorkItemAdmin(TenantScopedAdmin):
    list_display = ("key", "summary", "status", "item_type", "updated", "client")
    list_filter = ("status_category", "item_type", "client")
    search_fields = ("key", "summary")
    raw_id_fields = ("project",)


@admin.register(Repository)
class RepositoryAdmin(TenantScopedAdmin):
    list_display = ("full_name", "source", "client")
    list_filter = ("source", "client")
    search_fields = ("full_name",)


@admin.register(PullRequest)
class PullRequestAdmin(TenantScopedAdmin):
    list_display = ("repository", "number", "title", "state", "author", "updated")
    list_filter = ("state", "client")
    search_fields = ("title", "author")
    raw_id_fields = ("repository",)


@admin.register(Commit)
class CommitAdmin(TenantScopedAdmin):
    list_display = ("sha", "repository", "author_name", "committed_at")
    list_filter = ("client",)
    search_fields = ("sha", "message", "author_name")
    raw_id_fields = ("repository",)


@admin.register(Tag)
class TagAdmin(TenantScopedAdmin):
    list_display = ("name", "repository", "annotated", "tagged_at", "release_published_at", "client")
    list_filter = ("annotated", "client")
    search_fields = ("name", "sha")
    raw_id_fields = ("repository",)


@admin.register(EtlRun)
class EtlRunAdmin(TenantScopedAdmin):
    list_display = (
        "id",
        "kind",
        "integration",
        "status",
        "fetched",
        "created",
        "updated",
        "vectorized",
        "vector_failed",
        "started_at",
        "duration_ms",
    )
    list_filter = ("kind", "status", "client")
    search_fields = ("integration__integration_name",)

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SyncState)
class SyncStateAdmin(TenantScopedAdmin):
    list_display = ("integration", "last_success_at", "client")
    list_filter = ("client",)
