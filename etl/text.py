"""The text each business record is embedded as (the design notes' extractors), bounded by tokens."""

from ai.providers.tokenizer import truncate
from etl.markup import clean
from etl.models import Commit, PullRequest, WorkItem

MAX_TOKENS = 512  # past the local model's window already; keeps remote calls cheap
RECENT_COMMENTS = 3
MAX_FILES = 10


def _join(parts: list[str]) -> str:
    return truncate("", "\n".join(part for part in parts if part), MAX_TOKENS)


def work_item_text(item: WorkItem) -> str:
    comments = sorted(item.comments.all(), key=lambda c: (c.created is None, c.created))[-RECENT_COMMENTS:]
    return _join(
        [
            f"{item.key}: {item.summary}",
            clean(item.description),
            f"Type: {item.item_type}" if item.item_type else "",
            f"Priority: {item.priority}" if item.priority else "",
            f"Labels: {', '.join(item.labels)}" if item.labels else "",
            f"Components: {', '.join(item.components)}" if item.components else "",
            *(f"Comment: {clean(c.body)}" for c in comments if c.body),
        ]
    )


def pull_request_text(pr: PullRequest) -> str:
    comments = sorted(pr.comments.all(), key=lambda c: (c.created is None, c.created))[-RECENT_COMMENTS:]
    reviews = [r for r in pr.reviews.all() if r.body][-RECENT_COMMENTS:]
    return _join(
        [
            pr.title,
            clean(pr.body),
            f"Labels: {', '.join(pr.labels)}" if pr.labels else "",
            *(f"Review: {clean(r.body)}" for r in reviews),
            *(f"Review comment: {clean(c.body)}" for c in comments if c.body),
        ]
    )


def commit_text(commit: Commit) -> str:
    paths = [f["path"] for f in (commit.files or [])[:MAX_FILES] if f.get("path")]
    return _join([commit.message.strip(), f"Files: {', '.join(paths)}" if paths else ""])


def work_item_fields(item: WorkItem) -> dict:
    return {
        "key": item.key,
        "title": item.summary,
        "status": item.status,
        "item_type": item.item_type,
        "project": item.project.key if item.project_id else "",
        "author": item.reporter,
        "labels": list(item.labels or []),
    }


def pull_request_fields(pr: PullRequest) -> dict:
    return {
        "number": pr.number,
        "title": pr.title,
        "status": pr.state,
        "repository": pr.repository.full_name,
        "author": pr.author,
        "labels": list(pr.labels or []),
    }


def commit_fields(commit: Commit) -> dict:
    return {
        "sha": commit.sha,
        "title": commit.message.split("\n", 1)[0],
        "repository": commit.repository.full_name,
        "author": commit.author_name,
        "committed_at": commit.committed_at.isoformat() if commit.committed_at else None,
    }
