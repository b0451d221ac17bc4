"""Commits in: one idempotent upsert used by the GitHub sync, the local git source and the JSON
Lines import, then the shared vectorize step."""

import re
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.dateparse import parse_datetime

from etl.models import Commit, JiraKeyLink, Repository
from pulse.core.models import Client

JIRA_KEY = re.compile(r"\b([A-Z][A-Z0-9_]{1,20}-\d{1,7})\b")
FIELDS = (
    "message",
    "author_name",
    "authored_at",
    "committer_name",
    "committed_at",
    "parents",
    "additions",
    "deletions",
    "files",
)


class InvalidCommitError(ValueError):
    """A commit record missing what Pulse needs (the sha) or with unreadable values."""


def _when(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    parsed = parse_datetime(str(value))
    if parsed is None:
        raise InvalidCommitError(f"unreadable date {value!r}")
    return parsed


def normalize_commit(data: dict) -> dict:
    """A commit in Pulse's plain shape, from the JSON Lines export, git or GitHub's API."""
    sha = data.get("sha")
    if not sha or not isinstance(sha, str):
        raise InvalidCommitError("a commit without a sha")
    stats = data.get("stats") or {}
    files = []
    for f in data.get("files") or []:
        entry = {"path": f.get("path"), "additions": f.get("additions"), "deletions": f.get("deletions")}
        if f.get("previous_path"):  # renames only
            entry["previous_path"] = f["previous_path"]
        files.append(entry)  # counts are null for binary files
    return {
        "sha": sha,
        "message": data.get("message") or data.get("subject") or "",
        "author_name": (data.get("author_name") or "")[:255],
        "authored_at": _when(data.get("authored_date")),
        "committer_name": (data.get("committer_name") or "")[:255],
        "committed_at": _when(data.get("committed_date")),
        "parents": list(data.get("parents") or []),
        "additions": stats.get("additions"),
        "deletions": stats.get("deletions"),
        "files": files,
    }


@transaction.atomic
def commits_upsert(*, client: Client, repository: Repository, rows: list[dict]) -> tuple[list[int], list[int], int]:
    """Insert new commits, update changed ones, leave equal ones alone, from `normalize_commit`
    rows. All or nothing. Returns (created ids, updated ids, unchanged count)."""
    existing = {
        c.sha: c
        for c in Commit.objects.for_client(client).filter(repository=repository, sha__in=[r["sha"] for r in rows])
    }
    new, changed = [], []
    for row in {r["sha"]: r for r in rows}.values():
        current = existing.get(row["sha"])
        if current is None:
            new.append(Commit(client=client, repository=repository, **row))
        elif any(getattr(current, f) != row[f] for f in FIELDS):
            for f in FIELDS:
                setattr(current, f, row[f])
            changed.append(current)
    Commit.objects.bulk_create(new, batch_size=500)
    if new and new[0].pk is None:  # SQLite returns no ids from bulk_create
        ids = dict(
            Commit.objects.for_client(client)
            .filter(repository=repository, sha__in=[c.sha for c in new])
            .values_list("sha", "pk")
        )
        for commit in new:
            commit.pk = ids[commit.sha]
    Commit.objects.bulk_update(changed, FIELDS, batch_size=500)
    JiraKeyLink.objects.bulk_create(
        [
            JiraKeyLink(client=client, jira_key=key, commit=c)
            for c in [*new, *changed]
            for key in sorted(set(JIRA_KEY.findall(c.message)))
        ],
        ignore_conflicts=True,
    )
    return [c.pk for c in new], [c.pk for c in changed], len(rows) - len(new) - len(changed)
