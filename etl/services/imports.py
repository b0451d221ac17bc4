"""Import commits from a JSON Lines file (the format of ../shared/data/commits) through the same
upsert and vectorize path as a live sync, then derive the pull requests its merges record."""

import gzip
import json
from collections.abc import Callable, Iterator
from pathlib import Path

from etl.models import EtlRun, Repository
from etl.services.commits import InvalidCommitError, commits_upsert, normalize_commit
from etl.services.pull_derivation import pull_requests_derive
from etl.services.runs import run_count, run_error, run_finish, run_start, vectorize_records
from pulse.core.models import Client

BATCH = 500


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        yield from enumerate(handle, start=1)


def commits_import_file(
    *,
    client: Client,
    path: Path,
    repository_name: str | None = None,
    vectorize: bool = True,
    progress: Callable[[EtlRun], None] | None = None,
    batch_size: int = BATCH,
) -> EtlRun:
    """Stream the file in batches. A malformed line fails the run with its line number; batches
    before it stay committed and the failing batch writes nothing. The file is in git log order
    (newest first), so each repository's first commit in it is taken as its branch head."""
    run = run_start(client=client, kind="commits_file")
    repositories: dict[str, Repository] = {}
    heads: dict[str, str] = {}
    batch: list[dict] = []
    batch_repo: str | None = None
    try:
        for number, line in _lines(path):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
                if not isinstance(data, dict):
                    raise InvalidCommitError("not a JSON object")
                row = normalize_commit(data)
            except (json.JSONDecodeError, InvalidCommitError) as exc:
                raise InvalidCommitError(f"line {number}: {exc}") from None
            name = repository_name or data.get("repo") or path.stem.split(".")[0]
            if batch and (name != batch_repo or len(batch) >= batch_size):
                _flush(client, run, repositories, batch_repo, batch, vectorize)
                batch = []
                if progress:
                    progress(run)
            batch_repo = name
            heads.setdefault(name, row["sha"])
            batch.append(row)
        if batch:
            _flush(client, run, repositories, batch_repo, batch, vectorize)
        for name, repository in repositories.items():
            pulls = pull_requests_derive(client=client, repository=repository, head_sha=heads[name])
            if vectorize:
                vectorize_records(client=client, run=run, table_name="pull_requests", record_ids=pulls)
    except (InvalidCommitError, OSError, UnicodeDecodeError) as exc:
        run_error(run, str(exc))
        return run_finish(run, failed=True)
    finally:
        if progress:
            run.refresh_from_db()
            progress(run)
    return run_finish(run)


def _flush(client, run, repositories, name, batch, vectorize) -> None:
    repository = repositories.get(name)
    if repository is None:
        repository, _ = Repository.objects.get_or_create(client=client, full_name=name, defaults={"source": "git"})
        repositories[name] = repository
    created, updated, unchanged = commits_upsert(client=client, repository=repository, rows=batch)
    run_count(run, fetched=len(batch), created=len(created), updated=len(updated), unchanged=unchanged)
    if vectorize:
        vectorize_records(client=client, run=run, table_name="commits", record_ids=[*created, *updated])
