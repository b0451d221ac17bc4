"""Sync one integration: fetch pages → upsert each page in one transaction → vectorize what the
page created or changed → record the run. The integration's cursor moves only when the whole run
succeeded, so a failed run is simply repeated (upserts are idempotent)."""

import logging
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from etl.clients.git import GitSourceError, branch_name, head_sha, iter_commits, iter_tags
from etl.clients.http import SourceError
from etl.models import EtlRun, Repository, SyncState
from etl.services.commits import InvalidCommitError, commits_upsert, normalize_commit
from etl.services.pull_derivation import pull_requests_derive
from etl.services.runs import run_claim, run_count, run_error, run_finish, vectorize_records
from etl.services.sources import git_path_allowed
from etl.services.tags import InvalidTagError, normalize_tag, tags_upsert
from pulse.core.models import Integration

logger = logging.getLogger(__name__)
SOURCE_TYPES = (Integration.Type.JIRA, Integration.Type.GITHUB, Integration.Type.GIT)
PAGE_ERRORS = (SourceError, GitSourceError, InvalidCommitError, InvalidTagError, KeyError, TypeError, ValueError)


class UnsupportedIntegrationError(ValueError):
    pass


def sync_integration(*, integration: Integration, run_id: int | None = None) -> EtlRun | None:
    """Run a sync: the queued run `run_id` (None when another worker has taken it) or a new one."""
    if integration.integration_type not in SOURCE_TYPES:
        raise UnsupportedIntegrationError(f"{integration.integration_name} is not a data source")
    state, _ = SyncState.objects.get_or_create(client=integration.client, integration=integration)
    run = run_claim(integration=integration, run_id=run_id)
    if run is None:
        return None
    try:
        if integration.integration_type == Integration.Type.GIT:
            cursor = _sync_git(integration, state, run)
        elif integration.integration_type == Integration.Type.JIRA:
            from etl.services.jira_sync import sync_jira

            cursor = sync_jira(integration, state, run)
        else:
            from etl.services.github_sync import sync_github

            cursor = sync_github(integration, state, run)
    except PAGE_ERRORS as exc:
        # Pages already committed stay; this page wrote nothing; the cursor does not move.
        message = (
            str(exc)
            if isinstance(exc, SourceError | GitSourceError | InvalidCommitError | InvalidTagError)
            else (f"unreadable payload: {type(exc).__name__}: {exc}")
        )
        run_error(run, message)
        logger.warning("sync of integration %s failed: %s", integration.pk, message)
        return run_finish(run, failed=True)
    SyncState.objects.filter(pk=state.pk).update(cursor=cursor, last_success_at=timezone.now())
    return run_finish(run)


def _sync_git(integration: Integration, state: SyncState, run: EtlRun) -> dict:
    config = integration.configuration
    if not git_path_allowed(config.get("path", "")):
        raise GitSourceError("this folder is outside the folders Pulse may read (PULSE_GIT_ROOTS)")
    path = Path(config.get("path", ""))
    branch = config.get("branch") or "HEAD"
    name = config.get("repository") or path.name
    repository, _ = Repository.objects.get_or_create(
        client=integration.client,
        full_name=name,
        defaults={"source": "git", "url": str(path), "default_branch": branch_name(path, branch)},
    )
    last = state.cursor.get("last_sha")
    head = head_sha(path, branch)
    batch: list[dict] = []
    for commit in iter_commits(path, ref=branch, since_sha=last, tags=True):
        batch.append(normalize_commit(commit))
        if len(batch) == 500:
            _git_page(integration, repository, run, batch)
            batch = []
    if batch:
        _git_page(integration, repository, run, batch)
    tags = [normalize_tag(tag) for tag in iter_tags(path)]
    tags_upsert(client=integration.client, repository=repository, rows=tags, complete=True)
    pulls = pull_requests_derive(client=integration.client, repository=repository, head_sha=head)
    vectorize_records(client=integration.client, run=run, table_name="pull_requests", record_ids=pulls)
    return {**state.cursor, "last_sha": head}


def _git_page(integration, repository, run, rows) -> None:
    with transaction.atomic():
        created, updated, unchanged = commits_upsert(client=integration.client, repository=repository, rows=rows)
    run_count(run, fetched=len(rows), created=len(created), updated=len(updated), unchanged=unchanged)
    vectorize_records(client=integration.client, run=run, table_name="commits", record_ids=[*created, *updated])
