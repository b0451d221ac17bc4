"""Materialise a tenant's delivery data once per sync (or on demand): deployments with their
lead times, failures and restores, and each pull request's flow times.

The commit graph of each repository is read in one bulk query and walked in memory; the results
replace the tenant's rows in one transaction. A computation whose data fingerprint matches the
last successful one is skipped, so beat, the API and a re-run never redo or duplicate work.
"""

import time
from collections import defaultdict

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Max, Min
from django.utils import timezone

from analytics.metrics.deployments import (
    History,
    TagData,
    compute_deployments,
    pull_request_candidates,
    reverted_shas,
    tag_candidates,
)
from analytics.metrics.selectors import delivery_settings_get
from analytics.models import DeliveryComputation, DeliverySettings, Deployment, PullRequestFlow
from etl.commit_graph import build_graph
from etl.models import Commit, EtlRun, PullRequest, PullRequestCommit, PullRequestReview, Repository, Tag
from pulse.core.models import Client

BATCH = 1000


def delivery_fingerprint(*, client: Client) -> str:
    """Changes whenever anything the metrics read changes: a finished ETL run, commits, tags, pull
    requests, reviews or delivery settings."""
    parts = [EtlRun.objects.for_client(client).exclude(status=EtlRun.Status.RUNNING).aggregate(m=Max("id"))["m"]]
    for model in (Commit, Tag, PullRequest, PullRequestReview):
        stats = model.objects.for_client(client).aggregate(n=Count("id"), m=Max("id"))
        parts.extend([stats["n"], stats["m"]])
    settings = DeliverySettings.objects.for_client(client).aggregate(n=Count("id"), m=Max("updated_at"))
    parts.extend([settings["n"], settings["m"].isoformat() if settings["m"] else None])
    return "|".join(str(part) for part in parts)


def _history(client: Client, repository: Repository) -> History:
    rows = list(
        Commit.objects.for_client(client)
        .filter(repository=repository)
        .values_list("sha", "parents", "authored_at", "committed_at")
        .iterator(chunk_size=5000)
    )
    graph = build_graph((sha, parents) for sha, parents, _, _ in rows)
    reverts = {
        graph.index[sha]: shas
        for sha, message in Commit.objects.for_client(client)
        .filter(repository=repository, message__contains="This reverts commit")
        .values_list("sha", "message")
        if (shas := reverted_shas(message))
    }
    return History(
        graph=graph,
        authored=[row[2] for row in rows],
        committed=[row[3] for row in rows],
        merges=frozenset(node for node, row in enumerate(rows) if len(row[1] or []) >= 2),
        reverts=reverts,
    )


def _pull_request_commits(client: Client, pull_ids: list[int]) -> dict[int, list[str]]:
    shas: dict[int, list[str]] = defaultdict(list)
    for start in range(0, len(pull_ids), BATCH):
        for pull_id, sha in (
            PullRequestCommit.objects.for_client(client)
            .filter(pull_request_id__in=pull_ids[start : start + BATCH])
            .values_list("pull_request_id", "sha")
        ):
            shas[pull_id].append(sha)
    return shas


def _into_default_branch(repository: Repository, base_ref: str, raw: dict) -> bool:
    """GitHub says where a PR was merged; a PR derived from git was merged into the default
    branch when its merge is on the branch head's first-parent chain."""
    if (raw or {}).get("derived_from") == "git":
        return bool(raw.get("on_first_parent_chain"))
    return bool(repository.default_branch) and base_ref == repository.default_branch


def _deployment_rows(client, repository, history, pulls, commits_of, settings) -> list[Deployment]:
    if settings.deployment_source == DeliverySettings.Source.PULL_REQUESTS:
        merged = [
            (p["number"], p["merged_at"], commits_of.get(p["id"], []))
            for p in pulls
            if p["merged_at"] and _into_default_branch(repository, p["base_ref"], p["raw"])
        ]
        candidates = pull_request_candidates(merged, history)
    else:
        tags = [
            TagData(
                name=t.name,
                sha=t.sha,
                tagged_at=t.tagged_at,
                release_published_at=t.release_published_at,
                commit_committed_at=t.commit_committed_at,
                release_prerelease=t.release_prerelease,
                base_shas=tuple(t.base_shas or ()),
            )
            for t in Tag.objects.for_client(client).filter(repository=repository)
        ]
        candidates = tag_candidates(tags, history)
    results = compute_deployments(candidates, history, patch_days=settings.patch_failure_days)
    return [Deployment(client=client, repository=repository, **vars(result)) for result in results]


def _flow_rows(client, repository, history, pulls, commits_of) -> list[PullRequestFlow]:
    """First commit: the earliest authored time among the PR's commits Pulse holds; lead time runs
    from it, or from the opening when Pulse holds none of the PR's commits (e.g. squashed)."""
    first_reviews = dict(
        PullRequestReview.objects.for_client(client)
        .filter(pull_request__repository=repository, submitted_at__isnull=False)
        .values("pull_request_id")
        .annotate(first=Min("submitted_at"))
        .values_list("pull_request_id", "first")
    )
    rows = []
    for pull in pulls:
        nodes = [history.graph.node(sha) for sha in commits_of.get(pull["id"], [])]
        times = [history.authored[n] for n in nodes if n is not None and history.authored[n] is not None]
        first_commit, opened = (min(times) if times else None), pull["created"]
        review, merged = first_reviews.get(pull["id"]), pull["merged_at"]
        start = first_commit or opened
        rows.append(
            PullRequestFlow(
                client=client,
                repository=repository,
                pull_request_id=pull["id"],
                opened_at=opened,
                first_commit_at=first_commit,
                first_review_at=review,
                merged_at=merged,
                closed_at=pull["closed_at"],
                lead_seconds=int((merged - start).total_seconds()) if merged and start else None,
                review_wait_seconds=int((review - opened).total_seconds()) if review and opened else None,
            )
        )
    return rows


def _repository_rows(client: Client, repository: Repository) -> tuple[list[Deployment], list[PullRequestFlow]]:
    settings = delivery_settings_get(client=client, repository=repository)
    history = _history(client, repository)
    pulls = list(
        PullRequest.objects.for_client(client)
        .filter(repository=repository)
        .values("id", "number", "created", "merged_at", "closed_at", "base_ref", "raw")
    )
    commits_of = _pull_request_commits(client, [p["id"] for p in pulls])
    deployments = _deployment_rows(client, repository, history, pulls, commits_of, settings)
    return deployments, _flow_rows(client, repository, history, pulls, commits_of)


def delivery_compute(*, client: Client, force: bool = False) -> DeliveryComputation:
    """Recompute the tenant's deployments and pull request flow unless the data is unchanged since
    the last computation. One computation per tenant at a time: the second waits on the first's
    row lock, then finds the data current and returns."""
    started = time.perf_counter()
    DeliveryComputation.objects.get_or_create(client=client)
    with transaction.atomic():
        computation = DeliveryComputation.objects.for_client(client).select_for_update().get()
        fingerprint = delivery_fingerprint(client=client)
        if computation.computed_at and not force and computation.fingerprint == fingerprint:
            return computation
        deployments, flows = [], []
        for repository in Repository.objects.for_client(client).order_by("id"):
            repo_deployments, repo_flows = _repository_rows(client, repository)
            deployments.extend(repo_deployments)
            flows.extend(repo_flows)
        Deployment.objects.for_client(client).delete()
        PullRequestFlow.objects.for_client(client).delete()
        Deployment.objects.bulk_create(deployments, batch_size=BATCH)
        PullRequestFlow.objects.bulk_create(flows, batch_size=BATCH)
        computation.fingerprint = fingerprint
        computation.computed_at = timezone.now()
        computation.duration_ms = int((time.perf_counter() - started) * 1000)
        computation.counts = {
            "deployments": len(deployments),
            "failed": sum(d.failed for d in deployments),
            "pull_requests": len(flows),
        }
        computation.save()
    return computation


def delivery_stale_clients() -> list[int]:
    """Active tenants with repositories whose data changed since their last computation (or that
    were never computed): beat recomputes them, so metrics follow each sync."""
    stale = []
    for client in Client.objects.filter(active=True).order_by("id"):
        if not Repository.objects.for_client(client).exists():
            continue
        computation = DeliveryComputation.objects.for_client(client).first()
        if computation is None or computation.fingerprint != delivery_fingerprint(client=client):
            stale.append(client.pk)
    return stale


def delivery_settings_set(
    *, client: Client, repository: Repository, deployment_source: str, patch_failure_days: int
) -> DeliverySettings:
    """Choose how a repository's deployments are found; the next refresh recomputes its metrics."""
    errors = {}
    if deployment_source not in DeliverySettings.Source.values:
        errors["deployment_source"] = f"Must be one of: {', '.join(DeliverySettings.Source.values)}."
    if not isinstance(patch_failure_days, int) or not 0 <= patch_failure_days <= 365:
        errors["patch_failure_days"] = "Must be a whole number of days from 0 to 365."
    if repository.client_id != client.pk:
        errors["repository"] = "No such repository."
    if errors:
        raise ValidationError(errors)
    settings, _ = DeliverySettings.objects.update_or_create(
        client=client,
        repository=repository,
        defaults={"deployment_source": deployment_source, "patch_failure_days": patch_failure_days},
    )
    return settings
