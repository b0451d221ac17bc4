"""GitHub → pull requests (with reviews, review comments and their commits) and commits with
files. Incremental per repository: pull requests by `updated_at`, commits by `since`."""

from collections import Counter

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from etl.clients.github import GitHubClient, GitHubConfig, commit_record
from etl.clients.http import SourceError
from etl.markup import clean
from etl.models import (
    EtlRun,
    JiraKeyLink,
    PullRequest,
    PullRequestComment,
    PullRequestCommit,
    PullRequestReview,
    Repository,
    SyncState,
)
from etl.services.commits import JIRA_KEY, commits_upsert, normalize_commit
from etl.services.github_tags import sync_github_tags
from etl.services.runs import run_count, vectorize_records
from etl.services.upsert import upsert_row, upsert_rows
from pulse.core.models import Integration

PR_FIELDS = (
    "title",
    "body",
    "state",
    "draft",
    "author",
    "created",
    "updated",
    "merged_at",
    "closed_at",
    "base_ref",
    "head_ref",
    "additions",
    "deletions",
    "changed_files",
    "labels",
)


def _when(value):
    return parse_datetime(value) if isinstance(value, str) and value else None


def pull_request_values(pr: dict) -> dict:
    if not isinstance(pr.get("number"), int):
        raise SourceError("GitHub pull request without a number", permanent=True)
    return {
        "number": pr["number"],
        "external_id": str(pr.get("id", "")),
        "title": pr.get("title") or "",
        "body": clean(pr.get("body")),
        "state": "merged" if pr.get("merged_at") else (pr.get("state") or ""),
        "draft": bool(pr.get("draft")),
        "author": (pr.get("user") or {}).get("login", ""),
        "created": _when(pr.get("created_at")),
        "updated": _when(pr.get("updated_at")),
        "merged_at": _when(pr.get("merged_at")),
        "closed_at": _when(pr.get("closed_at")),
        "base_ref": (pr.get("base") or {}).get("ref", ""),
        "head_ref": (pr.get("head") or {}).get("ref", ""),
        "additions": pr.get("additions"),
        "deletions": pr.get("deletions"),
        "changed_files": pr.get("changed_files"),
        "labels": [label.get("name", "") for label in pr.get("labels") or []],
    }


def sync_github(integration: Integration, state: SyncState, run: EtlRun) -> dict:
    repositories = integration.configuration.get("repositories") or []
    if not repositories:
        raise SourceError("no repositories configured (configuration.repositories)", permanent=True)
    client = GitHubClient(
        GitHubConfig(
            token=integration.credentials.get("token", ""), base_url=integration.base_url or "https://api.github.com"
        )
    )
    cursor = dict(state.cursor)
    try:
        for name in repositories:
            started = timezone.now().strftime("%Y-%m-%dT%H:%M:%SZ")
            since = cursor.get(name) or {}
            repository, _ = Repository.objects.get_or_create(
                client=integration.client,
                full_name=name,
                defaults={"source": "github", "url": f"https://github.com/{name}"},
            )
            _sync_pulls(integration, client, repository, since.get("pulls_updated_since"), run)
            _sync_commits(integration, client, repository, since.get("commits_since"), run)
            sync_github_tags(tenant=integration.client, client=client, repository=repository, run=run)
            cursor[name] = {"pulls_updated_since": started, "commits_since": started}
    finally:
        client.close()
    return cursor


def _sync_pulls(integration, client, repository, since, run) -> None:
    page: list[tuple] = []
    for summary in client.pulls_updated_since(repository.full_name, since):
        number = summary.get("number")
        full = client.pull(repository.full_name, number)
        page.append(
            (
                pull_request_values(full),
                client.reviews(repository.full_name, number),
                client.review_comments(repository.full_name, number),
                client.pull_commit_shas(repository.full_name, number),
            )
        )
        if len(page) == 50:
            _pulls_page(integration, repository, page, run)
            page = []
    if page:
        _pulls_page(integration, repository, page, run)


def _pulls_page(integration, repository, page, run) -> None:
    tenant = integration.client
    counts: Counter = Counter()
    touched = []
    review_rows: list[dict] = []
    comment_rows: list[dict] = []
    with transaction.atomic():
        for values, reviews, comments, shas in page:
            number = values.pop("number")
            pr = upsert_row(
                PullRequest,
                client=tenant,
                lookup={"repository": repository, "number": number},
                values=values,
                compare=PR_FIELDS,
                counts=counts,
            )
            review_rows += [
                {
                    "external_id": str(review["id"]),
                    "pull_request": pr,
                    "author": (review.get("user") or {}).get("login", ""),
                    "state": review.get("state", ""),
                    "body": clean(review.get("body")),
                    "submitted_at": _when(review.get("submitted_at")),
                }
                for review in reviews
            ]
            comment_rows += [
                {
                    "external_id": str(comment["id"]),
                    "pull_request": pr,
                    "author": (comment.get("user") or {}).get("login", ""),
                    "body": clean(comment.get("body")),
                    "path": comment.get("path") or "",
                    "created": _when(comment.get("created_at")),
                    "updated": _when(comment.get("updated_at")),
                }
                for comment in comments
            ]
            PullRequestCommit.objects.bulk_create(
                [PullRequestCommit(client=tenant, pull_request=pr, sha=sha) for sha in shas], ignore_conflicts=True
            )
            JiraKeyLink.objects.bulk_create(
                [
                    JiraKeyLink(client=tenant, jira_key=key, pull_request=pr)
                    for key in sorted(set(JIRA_KEY.findall(f"{pr.title} {pr.head_ref} {pr.body}")))
                ],
                ignore_conflicts=True,
            )
            touched.append(pr.pk)
        upsert_rows(PullRequestReview, client=tenant, rows=review_rows, unique=("external_id",))
        upsert_rows(PullRequestComment, client=tenant, rows=comment_rows, unique=("external_id",))
        run_count(run, fetched=len(page), **counts)
    vectorize_records(client=tenant, run=run, table_name="pull_requests", record_ids=touched)


def _sync_commits(integration, client, repository, since, run) -> None:
    rows = []
    for item in client.commits_since(repository.full_name, since):
        if len(item.get("parents") or []) > 1:
            # A merge has no change of its own (no files to fetch), but releases are found by
            # walking parents, so it is stored from the list item.
            rows.append(normalize_commit(commit_record(item)))
        else:
            rows.append(normalize_commit(commit_record(client.commit(repository.full_name, item["sha"]))))
        if len(rows) == 100:
            _commits_page(integration, repository, rows, run)
            rows = []
    if rows:
        _commits_page(integration, repository, rows, run)


def _commits_page(integration, repository, rows, run) -> None:
    with transaction.atomic():
        created, updated, unchanged = commits_upsert(client=integration.client, repository=repository, rows=rows)
    run_count(run, fetched=len(rows), created=len(created), updated=len(updated), unchanged=unchanged)
    vectorize_records(client=integration.client, run=run, table_name="commits", record_ids=[*created, *updated])
