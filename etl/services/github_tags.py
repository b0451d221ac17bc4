"""GitHub → a repository's tags (peeled commit, tagger date when annotated) and the releases
published on them, plus its default branch.

Incremental: an annotated tag's object is fetched only when the tag is new or moved, and releases
are read newest first until one that is already stored unchanged.
"""

from django.db import transaction
from django.utils.dateparse import parse_datetime

from etl.clients.github import GitHubClient
from etl.models import EtlRun, Repository, Tag
from etl.services.runs import run_count
from etl.services.tags import normalize_tag, tags_upsert
from pulse.core.models import Client


def _new_releases(client: GitHubClient, repository: Repository, known: dict[str, Tag]) -> dict[str, dict]:
    """Published releases by tag name, newest first, up to the first one already stored as is."""
    releases: dict[str, dict] = {}
    for release in client.releases(repository.full_name):
        if release.get("draft") or not release.get("tag_name"):
            continue  # a draft is not released; it may not even have a tag yet
        name, published = release["tag_name"], parse_datetime(release.get("published_at") or "")
        stored = known.get(name)
        if stored and (stored.release_published_at, stored.release_prerelease) == (
            published,
            bool(release.get("prerelease")),
        ):
            break
        releases.setdefault(name, release)
    return releases


def _tag_row(client: GitHubClient, repository: Repository, ref: dict, stored: Tag | None) -> dict | None:
    """One tag ref as a `normalize_tag` input; None for a tag that does not point at a commit."""
    name = ref.get("ref", "").removeprefix("refs/tags/")
    target = ref.get("object") or {}
    if target.get("type") == "commit":
        return {"name": name, "sha": target.get("sha"), "annotated": False}
    if target.get("type") != "tag":
        return None
    if stored and stored.object_sha == target.get("sha"):  # unchanged annotated tag: no call
        return {
            "name": name,
            "sha": stored.sha,
            "object_sha": stored.object_sha,
            "annotated": True,
            "tagger_date": stored.tagged_at,
        }
    tag = client.tag_object(repository.full_name, target["sha"])
    peeled = tag.get("object") or {}
    if peeled.get("type") != "commit":
        return None
    return {
        "name": name,
        "sha": peeled.get("sha"),
        "object_sha": target["sha"],
        "annotated": True,
        "tagger_date": (tag.get("tagger") or {}).get("date"),
    }


def sync_github_tags(*, tenant: Client, client: GitHubClient, repository: Repository, run: EtlRun) -> None:
    """Store the repository's complete list of tags with their releases (see the module)."""
    if not repository.default_branch:
        repository.default_branch = client.repository(repository.full_name).get("default_branch") or ""
        Repository.objects.for_client(tenant).filter(pk=repository.pk).update(default_branch=repository.default_branch)
    known = {tag.name: tag for tag in Tag.objects.for_client(tenant).filter(repository=repository)}
    releases = _new_releases(client, repository, known)
    rows = []
    for ref in client.tag_refs(repository.full_name):
        row = _tag_row(client, repository, ref, known.get(ref.get("ref", "").removeprefix("refs/tags/")))
        if row is None:
            continue
        release, stored = releases.get(row["name"]), known.get(row["name"])
        if release is not None:
            row["release_published_at"] = release.get("published_at")
            row["release_prerelease"] = bool(release.get("prerelease"))
        elif stored is not None:  # its release, if any, was read by an earlier sync
            row["release_published_at"] = stored.release_published_at
            row["release_prerelease"] = stored.release_prerelease
        rows.append(normalize_tag(row))
    with transaction.atomic():
        created, updated, unchanged = tags_upsert(client=tenant, repository=repository, rows=rows, complete=True)
    run_count(run, fetched=len(rows), created=created, updated=updated, unchanged=unchanged)
