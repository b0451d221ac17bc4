"""Two tenants' records for the SQL agent's tests, and a SQLite copy of them (the local default
database) built with Django's own SQLite schema editor."""

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.db.backends.sqlite3.base import DatabaseWrapper

from analytics.sql.layer import VIEWS
from etl.models import PullRequest, PullRequestReview, Tag, WorkItem
from pulse.core.models import Client
from tests.etl.factories import make_commits, make_repository

MARK = "TENANT-B-MARK"


def records(client: Client, *, mark: str, commits: int, repository: str) -> None:
    """`commits` commits (with files), a pull request per two commits with a review, a work item, a tag."""
    repo = make_repository(client, repository)
    made = make_commits(client, [f"{mark} change {i}" for i in range(commits)], repository=repo)
    for i, commit in enumerate(made):
        commit.author_name = f"{mark} author {i % 2}"
        commit.files = [{"path": f"src/{mark}/{i}.py", "additions": i + 1, "deletions": 1}]
        commit.save(update_fields=["author_name", "files"])
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for n in range(commits // 2):
        pr = PullRequest.objects.create(
            client=client, repository=repo, number=n + 1, title=f"{mark} pull {n}", author=f"{mark}-login",
            state="closed", created=start + timedelta(days=n), merged_at=start + timedelta(days=n, hours=5),
        )  # fmt: skip
        PullRequestReview.objects.create(
            client=client, pull_request=pr, external_id=f"{client.pk}-{n}", state="APPROVED"
        )
    WorkItem.objects.create(client=client, external_id=f"{client.pk}-1", key=f"K{client.pk}-1", summary=mark)
    Tag.objects.create(client=client, repository=repo, name=f"{mark}-1.0", sha=made[0].sha)


def sqlite_copy(path: Path) -> Path:
    """Every table the views read, with every row, copied into a new SQLite file."""
    wrapper = DatabaseWrapper(
        {
            "NAME": str(path), "ENGINE": "django.db.backends.sqlite3", "OPTIONS": {}, "TIME_ZONE": None,
            "CONN_MAX_AGE": 0, "CONN_HEALTH_CHECKS": False, "AUTOCOMMIT": True, "ATOMIC_REQUESTS": False,
            "USER": "", "PASSWORD": "", "HOST": "", "PORT": "", "TEST": {},
        },
        alias="sqlite-copy",
    )  # fmt: skip
    models = list(dict.fromkeys(view.model for view in VIEWS if view.model is not None))
    with wrapper.schema_editor(atomic=False) as editor:
        for model in models:
            editor.create_model(model)
    db = sqlite3.connect(path)
    for model in models:
        fields = model._meta.concrete_fields
        columns = ", ".join(f'"{f.column}"' for f in fields)
        marks = ", ".join("?" for _ in fields)
        rows = [[f.get_db_prep_save(getattr(obj, f.attname), wrapper) for f in fields] for obj in model.objects.all()]
        db.executemany(f'INSERT INTO "{model._meta.db_table}" ({columns}) VALUES ({marks})', rows)
    db.commit()
    db.close()
    wrapper.close()
    return path
