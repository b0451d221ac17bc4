"""Data source integrations (Jira, GitHub, a local git clone): create, edit, test, sync now.

One flat input shape for every face (the hub's forms, commands):
    jira:   name, base_url, email, api_token, project_keys, jql, story_points_field
    github: name, base_url (optional, GitHub Enterprise), token, repositories
    git:    name, path, branch, repository
Secrets (api_token, token) go to the encrypted credentials; a blank secret on edit keeps the old one.
"""

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction

from etl.clients.git import GitSourceError, head_sha
from etl.clients.github import GitHubClient, GitHubConfig
from etl.clients.http import SourceError
from etl.clients.jira import JiraClient, JiraConfig
from etl.models import EtlRun
from etl.services.runs import run_queue
from etl.services.schedules import sync_schedule_delete
from pulse.core import services as core_services
from pulse.core.models import Client, Integration
from pulse.core.queue import enqueue_on_commit

logger = logging.getLogger(__name__)

# Each source type's fields in the flat input shape (besides name and active), and its secrets.
SOURCE_FIELDS = {
    Integration.Type.JIRA: ("base_url", "email", "api_token", "project_keys", "jql", "story_points_field"),
    Integration.Type.GITHUB: ("base_url", "token", "repositories"),
    Integration.Type.GIT: ("path", "branch", "repository"),
}
SOURCE_TYPES = tuple(SOURCE_FIELDS)
# Errors of the integrations table under the names this shape uses.
SOURCE_ERROR_FIELDS = {"integration_name": "name", "integration_type": "type"}
SECRETS = {Integration.Type.JIRA: ("api_token",), Integration.Type.GITHUB: ("token",), Integration.Type.GIT: ()}


def _list(value: Any) -> list[str]:
    items = value if isinstance(value, list) else str(value or "").replace(",", "\n").splitlines()
    return [item.strip() for item in items if item.strip()]


def git_path_allowed(path: str) -> bool:
    """A tenant admin may point Pulse at a folder on the server: only under PULSE_GIT_ROOTS when
    that is set (production should set it); anywhere in a local single-user setup."""
    roots = getattr(settings, "PULSE_GIT_ROOTS", [])
    if not roots:
        return not settings.PRODUCTION
    resolved = Path(path).resolve()
    return any(resolved.is_relative_to(Path(root).resolve()) for root in roots)


def git_path_problem(path: str) -> str | None:
    """Why a git source may not read `path`, or None."""
    if not path:
        return "The folder of a git clone on the Pulse server."
    if not Path(path).is_absolute():
        return "An absolute folder, e.g. /srv/git/project (a relative one depends on where Pulse runs)."
    if not git_path_allowed(path):
        return "This folder is outside the folders Pulse may read (PULSE_GIT_ROOTS)."
    return None


def validate_source_integration(integration: Integration) -> None:
    """Every save of a git source (the hub, the integrations API, the admin) checks its folder."""
    if integration.integration_type != Integration.Type.GIT:
        return
    if problem := git_path_problem(str((integration.configuration or {}).get("path", "")).strip()):
        raise ValidationError({"configuration": f"path: {problem}"})


def source_fields(integration: Integration) -> dict[str, Any]:
    """A source row in the flat input shape, secrets left out (they are write-only)."""
    config = integration.configuration
    return {
        "name": integration.integration_name,
        "base_url": integration.base_url,
        "email": integration.credentials.get("email", ""),  # an account name, shown to admins
        "project_keys": list(config.get("project_keys", [])),
        "jql": config.get("jql", ""),
        "story_points_field": config.get("story_points_field", ""),
        "repositories": list(config.get("repositories", [])),
        "path": config.get("path", ""),
        "branch": config.get("branch", ""),
        "repository": config.get("repository", ""),
        "active": integration.active,
    }


def _fields(kind: str, data: dict[str, Any], base: Integration | None) -> tuple[dict, dict]:
    configuration = dict(base.configuration) if base else {}
    errors: dict[str, str] = {}
    fields: dict[str, Any] = {"integration_subtype": Integration.Subtype.DATA_SOURCE}
    if "name" in data:
        fields["integration_name"] = (data["name"] or "").strip()
    if kind == Integration.Type.JIRA:
        fields["base_url"] = (data.get("base_url") or "").strip()
        if not fields["base_url"]:
            errors["base_url"] = "Your Jira site, e.g. https://example.atlassian.net."
        configuration["project_keys"] = [key.upper() for key in _list(data.get("project_keys"))]
        configuration["jql"] = (data.get("jql") or "").strip()
        configuration["story_points_field"] = (data.get("story_points_field") or "").strip()
        if not (data.get("email") or (base and base.credentials.get("email"))):
            errors["email"] = "The Atlassian account email the API token belongs to."
    elif kind == Integration.Type.GITHUB:
        fields["base_url"] = (data.get("base_url") or "").strip()
        repositories = _list(data.get("repositories"))
        bad = [r for r in repositories if r.count("/") != 1]
        if not repositories or bad:
            errors["repositories"] = "One owner/name per line, e.g. apache/groovy."
        configuration["repositories"] = repositories
    else:
        path = (data.get("path") or "").strip()
        if problem := git_path_problem(path):
            errors["path"] = problem
        configuration.update(
            path=path, branch=(data.get("branch") or "").strip(), repository=(data.get("repository") or "").strip()
        )
    if errors:
        raise ValidationError(errors)
    fields["configuration"] = {key: value for key, value in configuration.items() if value not in ("", [], None)}
    credentials = {}
    if kind == Integration.Type.JIRA and data.get("email"):
        credentials["email"] = data["email"].strip()
    for secret in SECRETS[kind]:
        if data.get(secret):  # blank keeps the stored secret
            credentials[secret] = data[secret].strip()
    missing = [s for s in SECRETS[kind] if not credentials.get(s) and not (base and base.credentials.get(s))]
    if missing:
        raise ValidationError({name: "Required (stored encrypted, never shown again)." for name in missing})
    return fields, credentials


@transaction.atomic
def source_create(*, client: Client, kind: str, data: dict[str, Any]) -> Integration:
    if kind not in SOURCE_TYPES:
        raise ValidationError({"integration_type": f"Must be one of: {', '.join(SOURCE_TYPES)}."})
    fields, credentials = _fields(kind, data, None)
    with core_services.errors_named(SOURCE_ERROR_FIELDS):
        return core_services.integration_create(
            client=client, integration_type=kind, credentials=credentials or None, **fields
        )


@transaction.atomic
def source_delete(*, integration: Integration) -> None:
    """Delete a source and its schedule; the records it imported stay."""
    sync_schedule_delete(integration=integration)
    core_services.integration_delete(integration=integration)


@transaction.atomic
def source_update(*, integration: Integration, data: dict[str, Any]) -> Integration:
    fields, credentials = _fields(integration.integration_type, data, integration)
    if "active" in data:
        fields["active"] = bool(data["active"])
    with core_services.errors_named(SOURCE_ERROR_FIELDS):
        return core_services.integration_update(integration=integration, credentials=credentials or None, **fields)


# What Test does for each type, said in the form and in every test result.
SOURCE_TEST_CHECKS = {
    Integration.Type.JIRA: "signs in to the site with the email and API token (Jira's /rest/api/3/myself)",
    Integration.Type.GITHUB: "reads each repository with the token (GitHub's /repos/{owner}/{name})",
    Integration.Type.GIT: "reads the branch's latest commit in the folder (git rev-parse)",
}


@dataclass(frozen=True)
class SourceTestResult:
    ok: bool
    latency_ms: float
    detail: str
    checked: str = ""


def source_test(*, integration: Integration) -> SourceTestResult:
    """Reach the source with the stored credentials: Jira's /myself, each GitHub repository, the git ref."""
    started = time.perf_counter()
    kind = integration.integration_type
    config = integration.configuration
    try:
        if kind == Integration.Type.JIRA:
            client = JiraClient(
                JiraConfig(
                    base_url=integration.base_url,
                    email=integration.credentials.get("email", ""),
                    api_token=integration.credentials.get("api_token", ""),
                    timeout=15.0,
                ),
                sleep=lambda _: None,
            )
            try:
                me = client.myself()
            finally:
                client.close()
            detail = f"signed in as {me.get('displayName') or me.get('emailAddress') or 'the token owner'}"
        elif kind == Integration.Type.GITHUB:
            client = GitHubClient(
                GitHubConfig(
                    token=integration.credentials.get("token", ""),
                    base_url=integration.base_url or "https://api.github.com",
                    timeout=15.0,
                ),
                sleep=lambda _: None,
            )
            try:
                for repository in config.get("repositories", []):
                    client.check(repository)
            finally:
                client.close()
            detail = f"{len(config.get('repositories', []))} repositories reachable"
        elif kind == Integration.Type.GIT:
            if not git_path_allowed(config.get("path", "")):
                raise GitSourceError("this folder is outside the folders Pulse may read (PULSE_GIT_ROOTS)")
            sha = head_sha(Path(config.get("path", "")), config.get("branch") or "HEAD")
            detail = f"{config.get('branch') or 'HEAD'} is at {sha[:10]}"
        else:
            raise ValidationError({"integration_type": "Not a data source."})
    except (SourceError, GitSourceError) as exc:
        return SourceTestResult(False, _ms(started), str(exc), SOURCE_TEST_CHECKS[kind])
    return SourceTestResult(True, _ms(started), detail, SOURCE_TEST_CHECKS[kind])


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 1)


def source_sync_enqueue(*, integration: Integration) -> EtlRun:
    """Sync now, on a worker, after the current transaction commits. Returns the queued run, which
    the hub and the API follow until it ends."""
    if not integration.active:
        raise ValidationError({"active": f"{integration.integration_name} is paused; activate it to sync."})
    run = run_queue(integration=integration)
    enqueue_on_commit("etl.sync_integration_task", integration.pk, run.pk)
    logger.info("sync of %s queued as run #%s", integration.integration_name, run.pk)
    return run
