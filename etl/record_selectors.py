"""Reads of the imported records for the API: lists with filters, details with related records.

Every query starts from the caller's tenant. The filters: `repository` (an id: another tenant's is
a 404, like a missing one), `project` (a Jira project key), `author`, `state`, and a date range
(`since`, `until`) on each kind's own date: work items and pull requests when created, reviews when
submitted, commits when committed, releases when published or tagged.
"""

from datetime import datetime
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Q, QuerySet
from django.db.models.functions import Coalesce
from django.http import Http404

from etl.models import Commit, JiraKeyLink, PullRequest, PullRequestReview, Repository, Tag, WorkItem
from pulse.core.models import Client

RECORD_DATES = {
    "work_items": "created",
    "pull_requests": "created",
    "reviews": "submitted_at",
    "commits": "committed_at",
    "releases": "released_at",
}


def repository_get(*, client: Client, repository_id: int) -> Repository:
    repository = Repository.objects.for_client(client).filter(pk=repository_id).first()
    if repository is None:
        raise Http404("No such repository.")
    return repository


def _records(client: Client, kind: str) -> QuerySet:
    if kind == "work_items":
        return WorkItem.objects.for_client(client).select_related("project")
    if kind == "pull_requests":
        return PullRequest.objects.for_client(client).select_related("repository")
    if kind == "reviews":
        return PullRequestReview.objects.for_client(client).select_related("pull_request__repository")
    if kind == "commits":
        return Commit.objects.for_client(client).select_related("repository")
    if kind == "releases":
        return (
            Tag.objects.for_client(client)
            .select_related("repository")
            .annotate(released_at=Coalesce("release_published_at", "tagged_at", "commit_committed_at"))
        )
    raise ValueError(f"unknown record kind {kind!r}")


_REPOSITORY = {"pull_requests": "repository", "reviews": "pull_request__repository", "commits": "repository"}
_AUTHOR = {
    "work_items": ("reporter", "assignee"),
    "pull_requests": ("author",),
    "reviews": ("author",),
    "commits": ("author_name", "committer_name"),
}


def _state(kind: str, state: str) -> Q:
    if kind == "work_items":  # a status name ("In Review") or its category (new, indeterminate, done)
        return Q(status__iexact=state) | Q(status_category__iexact=state)
    if kind == "releases":  # release (published), prerelease, or tag (no release)
        return {
            "release": Q(release_published_at__isnull=False, release_prerelease=False),
            "prerelease": Q(release_prerelease=True),
        }.get(state.lower(), Q(release_published_at__isnull=True))
    return Q(state__iexact=state)


def record_list(
    *,
    client: Client,
    kind: str,
    repository: int | None = None,
    project: str | None = None,
    author: str | None = None,
    state: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet:
    """The tenant's records of `kind`, filtered, newest id first (the cursor's order)."""
    records = _records(client, kind)
    if repository is not None:
        repository_get(client=client, repository_id=repository)
        records = records.filter(**{_REPOSITORY.get(kind, "repository"): repository})
    if project:
        records = records.filter(project__key__iexact=project)
    if author:
        match = Q()
        for field in _AUTHOR[kind]:
            match |= Q(**{f"{field}__iexact": author})
        records = records.filter(match)
    if state:
        records = records.filter(_state(kind, state))
    date = RECORD_DATES[kind]
    if since is not None:
        records = records.filter(**{f"{date}__gte": since})
    if until is not None:
        records = records.filter(**{f"{date}__lt": until})
    return records.order_by("-id")


def record_get(*, client: Client, kind: str, record_id) -> Any:
    try:
        return _records(client, kind).get(pk=record_id)
    except (ObjectDoesNotExist, ValueError, TypeError):
        raise Http404("No such record.") from None


def work_item_related(*, item: WorkItem) -> dict:
    links = JiraKeyLink.objects.for_client(item.client).filter(jira_key=item.key)
    return {
        "comments": list(item.comments.order_by("created", "id")),
        "changes": list(item.changes.order_by("created", "id")),
        "commits": list(
            Commit.objects.for_client(item.client)
            .filter(pk__in=links.values("commit_id"))
            .select_related("repository")
            .order_by("-committed_at")[:50]
        ),
        "pull_requests": list(
            PullRequest.objects.for_client(item.client)
            .filter(pk__in=links.values("pull_request_id"))
            .select_related("repository")
            .order_by("-created")[:50]
        ),
    }


def pull_request_related(*, pr: PullRequest) -> dict:
    shas = list(pr.commit_links.values_list("sha", flat=True))
    return {
        "reviews": list(pr.reviews.order_by("submitted_at", "id")),
        "comments": list(pr.comments.order_by("created", "id")),
        "commits": list(
            Commit.objects.for_client(pr.client)
            .filter(repository=pr.repository_id, sha__in=shas)
            .select_related("repository")
            .order_by("committed_at")
        ),
        "jira_keys": sorted(set(pr.jira_links.values_list("jira_key", flat=True))),
    }


def commit_related(*, commit: Commit) -> dict:
    prs = PullRequest.objects.for_client(commit.client).filter(
        repository=commit.repository_id, commit_links__sha=commit.sha
    )
    return {
        "pull_requests": list(prs.select_related("repository").distinct().order_by("-created")),
        "releases": list(
            Tag.objects.for_client(commit.client)
            .filter(repository=commit.repository_id, sha=commit.sha)
            .order_by("name")
        ),
        "jira_keys": sorted(set(commit.jira_links.values_list("jira_key", flat=True))),
    }


def release_related(*, tag: Tag) -> dict:
    commit = Commit.objects.for_client(tag.client).filter(repository=tag.repository_id, sha=tag.sha).first()
    return {"commit": commit}
