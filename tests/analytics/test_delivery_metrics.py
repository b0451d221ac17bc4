"""Delivery metrics on a git repository the test builds (tests/analytics/gitrepo.py has the
picture): the local git source reads it, metrics are computed once, the API reads them. Every
expected number below is worked out by hand from the fixed dates."""

from datetime import UTC, datetime

import pytest

from analytics.metrics.services import delivery_compute, delivery_stale_clients
from analytics.models import DeliverySettings, Deployment
from etl.models import Commit, PullRequest, PullRequestCommit, Tag
from etl.services.sync import sync_integration
from pulse.core.models import Integration
from tests.analytics.gitrepo import build_release_repo

pytestmark = pytest.mark.django_db
HOUR, DAY = 3600, 86400
END = "2026-03-02"  # a Monday: the window ends at its start


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def repo(tmp_path):
    return build_release_repo(tmp_path / "app")


@pytest.fixture
def source(repo, tenant_a):
    return Integration.objects.create(
        client=tenant_a,
        integration_type="git",
        integration_name="app",
        configuration={"path": str(repo.path), "branch": "main", "repository": "acme/app"},
    )


@pytest.fixture
def synced(repo, source, tenant_a):
    run = sync_integration(integration=source)
    assert run.status in ("succeeded", "partial"), run.errors  # partial: no embedding model configured
    delivery_compute(client=tenant_a)
    return repo


def test_the_git_source_reads_tags_with_their_commits_and_dates(synced, tenant_a):
    tags = {tag.name: tag for tag in Tag.objects.for_client(tenant_a)}

    assert set(tags) == {"v1.0.0", "1.1.0", "1.2.0", "1.2.1", "1.3.0", "1.2.2", "1.2.x", "2.0.0rc1", "v2.0.0"}
    annotated = tags["v1.0.0"]
    assert (annotated.sha, annotated.annotated, annotated.tagged_at) == (
        synced.shas["c2"],
        True,
        at("2026-01-07 12:00"),
    )
    assert annotated.object_sha not in ("", synced.shas["c2"])
    lightweight = tags["1.1.0"]
    assert (lightweight.sha, lightweight.annotated, lightweight.tagged_at) == (synced.shas["c3"], False, None)
    assert lightweight.commit_committed_at == at("2026-01-14 09:00")
    # h2 is on no branch any more: only its tags reach it, and it was imported all the same.
    assert Commit.objects.for_client(tenant_a).filter(sha=synced.shas["h2"]).exists()
    assert Commit.objects.for_client(tenant_a).get(sha=synced.shas["m3"]).parents == [
        synced.shas["c5"],
        synced.shas["h1"],
    ]


def test_pull_requests_are_derived_from_both_merge_styles(synced, tenant_a):
    pulls = {pr.number: pr for pr in PullRequest.objects.for_client(tenant_a)}

    assert set(pulls) == {1, 2}  # "Merge branch 'release-1.2.x'" is no pull request
    first, second = pulls[1], pulls[2]
    assert (first.title, first.state, first.head_ref, first.base_ref) == (
        "Add the exporter",
        "merged",
        "feature-a",
        "main",
    )
    assert first.merged_at == at("2026-01-12 10:00") and first.raw["merge_style"] == "merge_pull_request"
    assert first.raw["head_owner"] == "ada" and first.raw["first_commit_authored_at"] == "2026-01-08T10:00:00+00:00"
    assert (second.title, second.merged_at, second.raw["merge_style"]) == (
        "Add metrics endpoint",
        at("2026-01-19 11:00"),
        "pr_title",
    )
    links = PullRequestCommit.objects.for_client(tenant_a)
    assert set(links.filter(pull_request=first).values_list("sha", flat=True)) == {synced.shas["a1"], synced.shas["a2"]}
    assert set(links.filter(pull_request=second).values_list("sha", flat=True)) == {synced.shas["b1"]}


def test_each_commit_ships_once_in_the_first_release_that_holds_it(synced, tenant_a):
    deployments = list(Deployment.objects.for_client(tenant_a).order_by("deployed_at"))

    assert [(d.name, d.deployed_at, d.commit_count, d.failed) for d in deployments] == [
        ("v1.0.0", at("2026-01-07 12:00"), 2, False),  # tagger date
        ("1.1.0", at("2026-01-14 09:00"), 3, True),  # lightweight: the commit's committed date; a1 a2 c3
        ("1.2.0", at("2026-01-20 12:00"), 2, True),  # c4 b1 (merges are not changes)
        ("1.2.1", at("2026-01-22 10:00"), 1, False),  # h1; 1.2.2 came 18 days later
        ("1.3.0", at("2026-02-02 12:00"), 1, False),  # c5 only: h1 shipped in 1.2.1 already
        ("1.2.2", at("2026-02-09 10:00"), 1, False),  # h2, on the parallel 1.2 line
        ("v2.0.0", at("2026-02-16 12:00"), 2, False),  # c6 c7; 2.0.0rc1 and 1.2.x are not releases
    ]
    by_name = {d.name: d for d in deployments}
    assert by_name["1.1.0"].failure_causes == [
        {"kind": "revert", "commit": synced.shas["c3"], "revert": synced.shas["c4"], "fixed_by": "1.2.0"}
    ]
    assert by_name["1.2.0"].failure_causes == [{"kind": "patch_release", "release": "1.2.1", "fixed_by": "1.2.1"}]
    assert (by_name["1.1.0"].restored_by, by_name["1.2.0"].restored_by) == ("1.2.0", "1.2.1")
    assert by_name["1.1.0"].lead_times == [1 * DAY, 4 * DAY + 23 * HOUR, 5 * DAY + 23 * HOUR]
    assert (by_name["v2.0.0"].lead_times, by_name["v2.0.0"].negative_lead_times) == ([0, 6 * DAY + 3 * HOUR], 1)


def test_every_metric_over_the_whole_history_through_the_api(synced, admin_a, api_as):
    response = api_as(admin_a).get("/api/v1/metrics/delivery/", {"window": "all", "end": END})

    assert response.status_code == 200, response.content
    body = response.json()
    start, end = at("2026-01-07 12:00"), at("2026-03-02 00:00")  # "all" starts at the first deployment
    assert (body["window"]["start"], body["window"]["end"]) == ("2026-01-07T12:00:00Z", "2026-03-02T00:00:00Z")
    weeks = (end - start).total_seconds() / (7 * DAY)
    # Days with a deployment per ISO week, Jan 5 .. Feb 23: 1 1 2 0 1 1 1 0 -> median 1 (high);
    # per month overlapping the window: January 4, February 3, March (its first day) 0 -> median 3.
    assert body["deployments"] == {
        "count": 7,
        "per_week": pytest.approx(7 / weeks),
        "median_days_per_week": 1.0,
        "median_days_per_month": 3.0,
        "level": "high",
    }
    # 12 changes: 0 (c7, authored after v2.0.0) 1d 1d2h 1d3h 2d3h 4d2h 4d2h 4d23h 5d2h 5d23h 6d3h 10d3h.
    assert body["lead_time"] == {
        "changes": 12,
        "median_seconds": 4 * DAY + 2 * HOUR,
        "p75_seconds": 5 * DAY + 2 * HOUR + 0.25 * (21 * HOUR),  # between 5d2h and 5d23h
        "counted_as_zero": 1,
        "over_a_week": 1,
        "level": "high",
    }
    assert body["change_failure_rate"] == {"failed": 2, "deployments": 7, "rate": pytest.approx(2 / 7), "level": "low"}
    # 1.1.0 -> 1.2.0 (the release holding the revert): 6d3h; 1.2.0 -> 1.2.1 (the patch): 1d22h.
    assert body["time_to_restore"] == {
        "restored": 2,
        "median_seconds": (6 * DAY + 3 * HOUR + 1 * DAY + 22 * HOUR) / 2,
        "level": "medium",
    }
    # PR #1: merged Jan 12 10:00, first commit Jan 8 10:00 (4d); PR #2: Jan 19 11:00 - Jan 16 10:00 (3d1h).
    assert body["pull_requests"] == {
        "merged": 2,
        "per_week": pytest.approx(2 / weeks),
        "lead_time_median_seconds": (4 * DAY + 3 * DAY + 1 * HOUR) / 2,
        "lead_time_p75_seconds": 3 * DAY + 1 * HOUR + 0.75 * (23 * HOUR),
        "with_lead_time": 2,
        "review_wait_median_seconds": None,
        "reviewed": 0,
    }
    assert body["missing"] == [] and body["repository"] is None
    assert body["issues"] == {"resolved": 0, "per_week": 0.0}


def test_weekly_and_monthly_buckets_are_utc_calendar_buckets(synced, admin_a, api_as):
    api = api_as(admin_a)

    weekly = api.get("/api/v1/metrics/delivery/", {"window": "all", "end": END}).json()["series"]
    monthly = api.get("/api/v1/metrics/delivery/", {"window": "all", "end": END, "granularity": "month"}).json()

    assert [w["start"] for w in weekly] == [f"2026-{d}" for d in ("01-05", "01-12", "01-19", "01-26")] + [
        f"2026-{d}" for d in ("02-02", "02-09", "02-16", "02-23")
    ]
    week = weekly[2]  # Jan 19: 1.2.0 (failed) and 1.2.1, PR #2 merged
    assert (week["deployments"], week["deployment_days"], week["failed"], week["change_failure_rate"]) == (2, 2, 1, 0.5)
    assert week["lead_time_median_seconds"] == 4 * DAY + 2 * HOUR  # of 1d2h, 4d2h, 5d2h
    assert (week["prs_merged"], week["pr_lead_time_median_seconds"]) == (1, 3 * DAY + 1 * HOUR)
    assert [w["deployments"] for w in weekly] == [1, 1, 2, 0, 1, 1, 1, 0]
    assert [(m["start"], m["deployments"], m["failed"]) for m in monthly["series"]] == [
        ("2026-01-01", 4, 2),
        ("2026-02-01", 3, 0),
        ("2026-03-01", 0, 0),
    ]


def test_a_window_counts_only_its_deployments(synced, admin_a, api_as):
    body = api_as(admin_a).get("/api/v1/metrics/delivery/", {"window": "3w", "end": "2026-02-16"}).json()

    # Jan 26 .. Feb 16: 1.3.0 and 1.2.2; neither failed.
    assert body["deployments"]["count"] == 2
    assert body["lead_time"]["median_seconds"] == (10 * DAY + 3 * HOUR + 4 * DAY + 2 * HOUR) / 2
    assert body["change_failure_rate"]["rate"] == 0.0 and body["time_to_restore"]["median_seconds"] is None
    assert body["deployments"]["median_days_per_week"] == 1.0  # weeks of Jan 26, Feb 2, Feb 9: 0 1 1


def test_a_repository_may_count_merged_pull_requests_instead(synced, tenant_a, admin_a, api_as):
    repository = PullRequest.objects.for_client(tenant_a).first().repository
    DeliverySettings.objects.create(client=tenant_a, repository=repository, deployment_source="pull_requests")

    delivery_compute(client=tenant_a)
    body = (
        api_as(admin_a)
        .get("/api/v1/metrics/delivery/", {"window": "all", "end": END, "repository": repository.pk})
        .json()
    )

    assert list(Deployment.objects.for_client(tenant_a).order_by("deployed_at").values_list("name", flat=True)) == [
        "#1",
        "#2",
    ]
    assert body["deployments"]["count"] == 2 and body["change_failure_rate"]["failed"] == 0
    # #1 ships a1 (4d) and a2 (3d); #2 ships b1 (3d1h).
    assert body["lead_time"]["median_seconds"] == 3 * DAY + 1 * HOUR
    assert body["repository"] == {"id": repository.pk, "full_name": "acme/app"}
    assert body["issues"] is None


def test_metrics_follow_a_new_sync_and_a_rerun_changes_nothing(synced, source, tenant_a):
    first = delivery_compute(client=tenant_a)
    assert delivery_stale_clients() == []
    again = delivery_compute(client=tenant_a)
    assert (again.computed_at, again.fingerprint) == (first.computed_at, first.fingerprint)

    synced.commit("c8", "Add the exporter docs", at="2026-02-20 09:00")
    synced.git("tag", "2.0.1", at="2026-02-20 09:00")
    sync_integration(integration=source)

    assert delivery_stale_clients() == [tenant_a.pk]
    computation = delivery_compute(client=tenant_a)
    assert computation.counts == {"deployments": 8, "failed": 3, "pull_requests": 2}  # v2.0.0 patched in 4 days
    assert Deployment.objects.for_client(tenant_a).get(name="2.0.1").commit_count == 1
    assert delivery_stale_clients() == []


def test_review_wait_work_in_progress_and_issues_come_from_synced_rows(synced, tenant_a, admin_a, api_as):
    from etl.models import PullRequestReview, WorkItem

    repository = PullRequest.objects.for_client(tenant_a).first().repository
    reviewed = PullRequest.objects.create(  # as the GitHub sync writes one
        client=tenant_a,
        repository=repository,
        number=3,
        external_id="9003",
        state="merged",
        created=at("2026-02-03 09:00"),
        merged_at=at("2026-02-05 09:00"),
    )
    PullRequestReview.objects.create(
        client=tenant_a, pull_request=reviewed, external_id="r1", submitted_at=at("2026-02-03 15:00")
    )
    PullRequestReview.objects.create(
        client=tenant_a, pull_request=reviewed, external_id="r2", submitted_at=at("2026-02-04 15:00")
    )
    PullRequest.objects.create(client=tenant_a, repository=repository, number=4, external_id="9004", state="open")
    WorkItem.objects.create(client=tenant_a, external_id="1", key="APP-1", status_category="indeterminate")
    WorkItem.objects.create(
        client=tenant_a, external_id="2", key="APP-2", status_category="done", resolved=at("2026-02-10 12:00")
    )

    delivery_compute(client=tenant_a)
    body = api_as(admin_a).get("/api/v1/metrics/delivery/", {"window": "all", "end": END}).json()

    flow = body["pull_requests"]
    assert (flow["merged"], flow["reviewed"], flow["review_wait_median_seconds"]) == (3, 1, 6 * HOUR)  # first review
    # PR #3 holds none of Pulse's commits: its lead time runs from its opening (2 days).
    assert flow["lead_time_median_seconds"] == 3 * DAY + 1 * HOUR  # of 2d, 3d1h and 4d
    assert body["work_in_progress"] == {"open_pull_requests": 1, "issues_in_progress": 1}
    assert body["issues"]["resolved"] == 1
    assert [w["issues_resolved"] for w in body["series"]] == [0, 0, 0, 0, 0, 1, 0, 0]  # week of Feb 9
