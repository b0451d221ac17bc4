"""Delivery metrics on pallets/flask's real history, through the API.

    .venv/bin/python bench/delivery_flask.py

Imports ../shared/data/delivery's commits (5,531, merges included) and tags (69) through
`import_commits` and `import_tags`' code paths, checks the PRs derived from the merges against the
PR list exported with the data, computes the metrics once, then asks
`GET /api/v1/metrics/delivery/` for the full history and for the last 24 months of it (up to the
snapshot, 2026-04-09) and for the 24 months up to today, and prints deployments, lead time
median/p75, change failure rate, time to restore and pull request counts and lead time.
Without ../shared/data it runs on a generated history instead (bench/delivery_api.py's).

Uses PostgreSQL (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/pulse_flask_bench).
"""

import json
import os
import statistics
import time

from common import SHARED_DATA, setup_django
from delivery_api import generated

DATA = SHARED_DATA / "delivery"
DAY = 86400
WINDOWS = {
    "full history": {"window": "all", "end": "2026-04-09"},
    "last 24 months of its history": {"window": "24m", "end": "2026-04-09"},
    "24 months to today": {"window": "24m"},
}


def _days(seconds) -> str:
    return "-" if seconds is None else f"{seconds / DAY:.1f} d"


def _check_pulls(client, repository_name: str) -> str:
    """How many exported PR merges the derivation reproduced exactly (number, merge, commits)."""
    from etl.models import PullRequest, PullRequestCommit

    pulls = [json.loads(line) for line in (DATA / "pallets-flask.pulls.jsonl").open()]
    derived = {
        pr.number: pr for pr in PullRequest.objects.for_client(client).filter(repository__full_name=repository_name)
    }
    links: dict[int, set[str]] = {}
    for pull_id, sha in PullRequestCommit.objects.for_client(client).values_list("pull_request_id", "sha"):
        links.setdefault(pull_id, set()).add(sha)
    by_number: dict[int, set[str]] = {}
    for pull in pulls:
        by_number.setdefault(pull["number"], set()).update(pull["commit_shas"])
    exact = sum(1 for n, shas in by_number.items() if n in derived and links.get(derived[n].pk, set()) == shas)
    return f"{exact} of {len(by_number)} PR numbers derived with exactly the exported commits ({len(pulls)} merges)"


def _from_files() -> str:
    """The baseline of the same run, from the exported files alone (not Pulse's code): release tags,
    releases followed by a patch of their line within 14 days, and PR lead time from the PR list."""
    from datetime import datetime, timedelta

    tags = [json.loads(line) for line in (DATA / "pallets-flask.tags.jsonl").open()]
    releases = [t for t in tags if t["is_release"] and not t["prerelease"]]

    def when(tag):
        return datetime.fromisoformat(tag["tagger_date"] or tag["commit_committed_date"])

    def version(tag):
        return tuple(int(part) for part in tag["name"].lstrip("v").split("."))

    releases.sort(key=lambda t: (when(t), version(t)))
    patched = []
    for i, tag in enumerate(releases):
        later = [
            u
            for u in releases[i + 1 :]
            if when(u) - when(tag) <= timedelta(days=14) and (*version(u), 0, 0)[:2] == (*version(tag), 0, 0)[:2]
        ]
        later = [u for u in later if version(u) > version(tag)]
        if later:
            patched.append((when(later[0]) - when(tag)).total_seconds())
    first: dict[int, dict] = {}
    for pull in (json.loads(line) for line in (DATA / "pallets-flask.pulls.jsonl").open()):
        first.setdefault(pull["number"], pull)
    lead = [
        (datetime.fromisoformat(p["merged_at"]) - datetime.fromisoformat(p["first_commit_authored_at"])).total_seconds()
        for p in first.values()
        if p["first_commit_authored_at"]
    ]
    return (
        f"from the files alone: {len(releases)} releases, {len(patched)} patched within 14 days "
        f"(restore median {_days(statistics.median(patched))}), {len(first)} PRs, "
        f"PR lead time median {_days(statistics.median(lead))}"
    )


def _load(client) -> str:
    from etl.models import Commit
    from etl.services.imports import commits_import_file
    from etl.services.tags import tags_import_file

    commits_path = DATA / "pallets-flask.commits.jsonl.gz"
    tags_path = DATA / "pallets-flask.tags.jsonl"
    name = "pallets/flask"
    if not commits_path.exists():
        commits_path, tags_path = generated(5_000, 100)
        name = "bench/generated"
    if not Commit.objects.for_client(client).exists():
        started = time.perf_counter()
        run = commits_import_file(client=client, path=commits_path, vectorize=False)
        print(f"imported {run.created} commits of {name} (with PR derivation) in {time.perf_counter() - started:.1f} s")
        tags_import_file(client=client, path=tags_path, repository_name=name)
    return name


def _print(label: str, body: dict) -> None:
    d, lead, cfr, ttr, prs = (
        body[k] for k in ("deployments", "lead_time", "change_failure_rate", "time_to_restore", "pull_requests")
    )
    rate = "-" if cfr["rate"] is None else f"{100 * cfr['rate']:.1f} %"
    print(f"\n{label}: {body['window']['start'][:10]} .. {body['window']['end'][:10]}")
    print(
        f"  deployments {d['count']} ({d['per_week']:.2f}/week; median days with a deployment "
        f"{d['median_days_per_week']}/week, {d['median_days_per_month']}/month; level {d['level']})"
    )
    print(
        f"  lead time for changes: median {_days(lead['median_seconds'])}, p75 {_days(lead['p75_seconds'])} "
        f"over {lead['changes']} commits ({lead['counted_as_zero']} authored after their release; "
        f"level {lead['level']})"
    )
    print(f"  change failure rate {rate} ({cfr['failed']} of {cfr['deployments']}; level {cfr['level']})")
    print(f"  time to restore: median {_days(ttr['median_seconds'])} over {ttr['restored']} (level {ttr['level']})")
    print(
        f"  pull requests merged {prs['merged']}; lead time median {_days(prs['lead_time_median_seconds'])}, "
        f"p75 {_days(prs['lead_time_p75_seconds'])} over {prs['with_lead_time']}"
    )


def main() -> None:
    setup_django(
        database_url=os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/pulse_flask_bench")
    )
    from django.conf import settings
    from django.test import Client as HttpClient

    from analytics.metrics.services import delivery_compute
    from analytics.models import Deployment
    from pulse.core.models import Client, User

    settings.ALLOWED_HOSTS = ["*"]
    client, _ = Client.objects.get_or_create(slug="flask-bench", defaults={"name": "Flask bench"})
    name = _load(client)
    if name == "pallets/flask":
        print(_check_pulls(client, name))
        print(_from_files())
    started = time.perf_counter()
    computation = delivery_compute(client=client, force=True)
    print(f"metrics computed once in {time.perf_counter() - started:.2f} s: {computation.counts}")
    failed = Deployment.objects.for_client(client).filter(failed=True).order_by("deployed_at")
    print("failed releases:", ", ".join(f"{d.name} (fixed by {d.restored_by})" for d in failed) or "none")
    user, _ = User.objects.get_or_create(username="flask-bench", defaults={"client": client, "role": "member"})
    http = HttpClient()
    http.force_login(user)
    for label, params in WINDOWS.items():
        response = http.get("/api/v1/metrics/delivery/", params)
        assert response.status_code == 200, response.content[:300]
        _print(label, response.json())


if __name__ == "__main__":
    main()
