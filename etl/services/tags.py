"""Tags in: one upsert for the local git source, GitHub and the JSON Lines tags file.

A source that lists every tag (all three do) passes `complete=True`, so a tag deleted at the source
stops counting as a release here too.
"""

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.dateparse import parse_datetime

from etl.models import EtlRun, Repository, Tag
from etl.services.runs import run_count, run_error, run_finish, run_start
from pulse.core.models import Client

FIELDS = (
    "sha",
    "object_sha",
    "annotated",
    "tagged_at",
    "commit_committed_at",
    "base_shas",
    "release_published_at",
    "release_prerelease",
)


class InvalidTagError(ValueError):
    """A tag record without a name or a commit, or with an unreadable date."""


def _when(value: Any) -> datetime | None:
    if value in (None, ""):
        return None
    parsed = parse_datetime(str(value))
    if parsed is None:
        raise InvalidTagError(f"unreadable date {value!r}")
    return parsed


def normalize_tag(data: dict) -> dict:
    """A tag in Pulse's shape, from `etl.clients.git.iter_tags`, GitHub or a tags file line
    (name, sha, annotated, tagger_date, commit_committed_date, default_branch_merge_bases)."""
    name, sha = data.get("name"), data.get("sha")
    if not isinstance(name, str) or not name or not isinstance(sha, str) or not sha:
        raise InvalidTagError("a tag needs a name and a commit sha")
    bases = data.get("base_shas", data.get("default_branch_merge_bases")) or []
    if not isinstance(bases, list) or not all(isinstance(b, str) for b in bases):
        raise InvalidTagError(f"tag {name}: merge bases must be a list of shas")
    return {
        "name": name[:255],
        "sha": sha,
        "object_sha": data.get("object_sha") or "",
        "annotated": bool(data.get("annotated")),
        "tagged_at": _when(data.get("tagger_date")),
        "commit_committed_at": _when(data.get("commit_committed_date")),
        "base_shas": bases,
        "release_published_at": _when(data.get("release_published_at")),
        "release_prerelease": bool(data.get("release_prerelease")),
    }


@transaction.atomic
def tags_upsert(*, client: Client, repository: Repository, rows: list[dict], complete: bool) -> tuple[int, int, int]:
    """Insert new tags, update changed ones, leave equal ones alone, from `normalize_tag` rows; with
    `complete`, delete the repository's tags missing from `rows`. Returns (created, updated, unchanged)."""
    rows_by_name = {row["name"]: row for row in rows}
    existing = {tag.name: tag for tag in Tag.objects.for_client(client).filter(repository=repository)}
    new, changed = [], []
    for name, row in rows_by_name.items():
        current = existing.get(name)
        if current is None:
            new.append(Tag(client=client, repository=repository, **row))
        elif any(getattr(current, field) != row[field] for field in FIELDS):
            for field in FIELDS:
                setattr(current, field, row[field])
            changed.append(current)
    Tag.objects.bulk_create(new, batch_size=500)
    Tag.objects.bulk_update(changed, FIELDS, batch_size=500)
    if complete:
        gone = [tag.pk for name, tag in existing.items() if name not in rows_by_name]
        Tag.objects.for_client(client).filter(pk__in=gone).delete()
    return len(new), len(changed), len(rows_by_name) - len(new) - len(changed)


def tags_import_file(*, client: Client, path: Path, repository_name: str) -> EtlRun:
    """Import a JSON Lines tags file (the format of ../shared/data/delivery/*.tags.jsonl) as the
    repository's complete list of tags. All or nothing: a malformed line fails the run with its
    line number and writes no tag."""
    run = run_start(client=client, kind="tags_file")
    try:
        rows = []
        with open(path, encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    data = json.loads(line)
                    if not isinstance(data, dict):
                        raise InvalidTagError("not a JSON object")
                    rows.append(normalize_tag(data))
                except (json.JSONDecodeError, InvalidTagError) as exc:
                    raise InvalidTagError(f"line {number}: {exc}") from None
        repository, _ = Repository.objects.get_or_create(
            client=client, full_name=repository_name, defaults={"source": "git"}
        )
        created, updated, unchanged = tags_upsert(client=client, repository=repository, rows=rows, complete=True)
        run_count(run, fetched=len(rows), created=created, updated=updated, unchanged=unchanged)
    except (InvalidTagError, OSError, UnicodeDecodeError) as exc:
        run_error(run, str(exc))
        return run_finish(run, failed=True)
    return run_finish(run)
