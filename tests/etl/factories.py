import hashlib
from datetime import UTC, datetime, timedelta

from etl.models import Commit, Repository


def make_repository(client, full_name: str = "apache/groovy") -> Repository:
    return Repository.objects.get_or_create(client=client, full_name=full_name, defaults={"source": "git"})[0]


def make_commits(client, messages: list[str], repository: Repository | None = None) -> list[Commit]:
    repository = repository or make_repository(client)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return [
        Commit.objects.create(
            client=client,
            repository=repository,
            sha=hashlib.sha1(f"{client.pk}/{i}/{m}".encode()).hexdigest(),  # noqa: S324 - git's id format
            message=m,
            author_name="dev",
            committed_at=start + timedelta(hours=i),
        )
        for i, m in enumerate(messages)
    ]
