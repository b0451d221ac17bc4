"""Latency of `GET /api/v1/metrics/delivery/` for a tenant with 50,000 commits and 1,000 releases.

    .venv/bin/python bench/delivery_api.py [--commits 50000] [--releases 1000] [--requests 200]

Generates a history (PR branches merged both ways, reverts, release tags every ~50 commits, some
patch releases days after their release, so some releases fail) as the JSON Lines files the
import commands read, imports it through Pulse's import path (upsert, PR derivation), computes
the metrics once (timed), then requests the endpoint through Django's full request stack as a
signed-in user with a rotation of windows, granularities and repository filters, and prints
p50/p95 per query and overall, beside the baseline of the same run: `/healthz`.

Uses PostgreSQL (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/pulse_delivery_bench).
"""

import argparse
import hashlib
import json
import os
import random
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from common import percentiles, setup_django

REPOSITORY = "bench/generated"
START = datetime(2022, 1, 3, 9, 0, tzinfo=UTC)


def _sha(n: int) -> str:
    return hashlib.sha1(f"bench-{n}".encode()).hexdigest()  # noqa: S324 - git's id format, not security


class _History:
    """Commits oldest first; `head` is the main branch's tip."""

    def __init__(self, rng: random.Random):
        self.rng, self.rows, self.head, self.clock = rng, [], None, START

    def commit(self, message: str, parents: list[str]) -> str:
        self.clock += timedelta(minutes=self.rng.randint(10, 70))
        sha = _sha(len(self.rows))
        stamp = self.clock.isoformat()
        authored = (self.clock - timedelta(hours=self.rng.randint(0, 72))).isoformat()
        files = (
            []
            if len(parents) > 1
            else [{"path": f"src/m{self.rng.randint(0, 300)}.py", "additions": 3, "deletions": 1}]
        )
        self.rows.append(
            {
                "repo": REPOSITORY,
                "sha": sha,
                "parents": parents,
                "author_name": f"dev{self.rng.randint(1, 40)}",
                "authored_date": authored,
                "committer_name": "bench",
                "committed_date": stamp,
                "subject": message.splitlines()[0],
                "message": message,
                "files": files,
                "stats": {"files": len(files), "additions": 3 * len(files), "deletions": len(files)},
            }
        )
        return sha

    def step(self, number: int) -> None:
        """One unit of work on main: a PR (two commits, then a merge of either style) or a commit."""
        roll = self.rng.random()
        if roll < 0.3:
            first = self.commit(f"Feature {number}: part 1", [self.head] if self.head else [])
            second = self.commit(f"Feature {number}: part 2", [first])
            style = f"Merge pull request #{number} from dev/feature-{number}\n\nFeature {number}"
            message = style if roll < 0.2 else f"Feature {number} (#{number})"
            self.head = self.commit(message, [self.head, second] if self.head else [second])
        elif roll < 0.31 and len(self.rows) > 10:
            reverted = self.rows[-self.rng.randint(2, 10)]["sha"]
            self.head = self.commit(f'Revert "an earlier change"\n\nThis reverts commit {reverted}.', [self.head])
        else:
            self.head = self.commit(f"Change {number}", [self.head] if self.head else [])


def generated(commits: int, releases: int, seed: int = 12) -> tuple[Path, Path]:
    """(commits file, tags file) for a generated repository, in the formats of ../shared/data/delivery."""
    rng = random.Random(seed)
    history, tags = _History(rng), []
    every = max(commits // releases, 1)
    version, number = [1, 0, 0], 0
    while len(history.rows) < commits:
        number += 1
        history.step(number)
        if len(tags) < releases and len(history.rows) >= every * (len(tags) + 1):
            patch = rng.random() < 0.15 and tags
            version = [version[0], version[1], version[2] + 1] if patch else [version[0], version[1] + 1, 0]
            annotated = len(tags) % 2 == 0
            tagged = history.clock + timedelta(hours=1)
            tags.append(
                {
                    "name": ".".join(map(str, version)),
                    "sha": history.head,
                    "annotated": annotated,
                    "tagger_date": tagged.isoformat() if annotated else None,
                    "commit_committed_date": history.clock.isoformat(),
                }
            )
    folder = Path(tempfile.mkdtemp(prefix="pulse-delivery-bench-"))
    commits_path, tags_path = folder / "generated.commits.jsonl", folder / "generated.tags.jsonl"
    commits_path.write_text("".join(json.dumps(row) + "\n" for row in reversed(history.rows)))  # newest first
    tags_path.write_text("".join(json.dumps(tag) + "\n" for tag in tags))
    return commits_path, tags_path


def load(client, commits: int, releases: int) -> None:
    from etl.models import Commit
    from etl.services.imports import commits_import_file
    from etl.services.tags import tags_import_file

    if Commit.objects.for_client(client).count() >= commits:
        return
    commits_path, tags_path = generated(commits, releases)
    started = time.perf_counter()
    run = commits_import_file(client=client, path=commits_path, vectorize=False)
    print(f"imported {run.created} commits (with PR derivation) in {time.perf_counter() - started:.1f} s")
    tags_import_file(client=client, path=tags_path, repository_name=REPOSITORY)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--commits", type=int, default=50_000)
    parser.add_argument("--releases", type=int, default=1_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    setup_django(
        database_url=os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/pulse_delivery_bench")
    )
    from django.conf import settings
    from django.test import Client as HttpClient

    from analytics.metrics.services import delivery_compute
    from etl.models import Commit, PullRequest, Repository, Tag
    from pulse.core.models import Client, User

    settings.ALLOWED_HOSTS = ["*"]
    client, _ = Client.objects.get_or_create(slug="delivery-bench", defaults={"name": "Delivery bench"})
    load(client, args.commits, args.releases)
    started = time.perf_counter()
    computation = delivery_compute(client=client, force=True)
    elapsed = time.perf_counter() - started
    print(
        f"{Commit.objects.for_client(client).count()} commits, {Tag.objects.for_client(client).count()} tags, "
        f"{PullRequest.objects.for_client(client).count()} PRs; computed once in {elapsed:.1f} s: {computation.counts}"
    )
    user, _ = User.objects.get_or_create(username="delivery-bench", defaults={"client": client, "role": "admin"})
    http = HttpClient()
    http.force_login(user)
    repository = Repository.objects.for_client(client).get(full_name=REPOSITORY).pk
    queries = {
        "baseline /healthz": "/healthz",
        "12w weekly": "/api/v1/metrics/delivery/?window=12w&end=2026-01-01",
        "52w weekly, repository": f"/api/v1/metrics/delivery/?window=52w&end=2026-01-01&repository={repository}",
        "24m monthly": "/api/v1/metrics/delivery/?window=24m&end=2026-01-01&granularity=month",
        "all weekly": "/api/v1/metrics/delivery/?window=all&end=2026-01-01",
        "all monthly, repository": f"/api/v1/metrics/delivery/?window=all&granularity=month&repository={repository}",
    }
    print(f"{'query':<26}{'p50 ms':>9}{'p95 ms':>9}{'x baseline':>12}")
    baseline, every = None, []
    for name, url in queries.items():
        http.get(url)  # warm: connection, templates of the error handler, imports
        times = []
        for _ in range(args.requests):
            began = time.perf_counter()
            response = http.get(url)
            times.append((time.perf_counter() - began) * 1000)
            assert response.status_code == 200, (name, response.status_code, response.content[:200])
        p50, p95 = percentiles(times)
        baseline = baseline or p50
        if name != "baseline /healthz":
            every.extend(times)
        print(f"{name:<26}{p50:>9.1f}{p95:>9.1f}{p50 / baseline:>12.1f}", flush=True)
    p50, p95 = percentiles(every)
    print(f"{'all metric queries':<26}{p50:>9.1f}{p95:>9.1f}{p50 / baseline:>12.1f}")


if __name__ == "__main__":
    main()
