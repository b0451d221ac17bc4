"""Delivery metrics for a window, a repository (or the whole tenant) and a granularity, read from
the materialised deployments and pull request flow: a few indexed queries and arithmetic, never a
walk of the commit graph. Every read is scoped with `for_client`."""

import calendar
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Min
from django.db.models.functions import TruncMonth, TruncWeek
from django.http import Http404

from analytics.metrics import buckets as b
from analytics.models import DeliveryComputation, DeliverySettings, Deployment, PullRequestFlow
from etl.models import Commit, PullRequest, Repository, Tag, WorkItem
from pulse.core.models import Client

WINDOW = re.compile(r"^(\d{1,3})([dwm])$")
MAX_WINDOW_DAYS = 366 * 30


@dataclass(frozen=True)
class Window:
    label: str
    start: datetime | None  # None: from the first data in scope ("all")
    end: datetime


def window_parse(*, value: str, end: datetime) -> Window:
    """`all`, or N days / weeks / months ending at `end` (`90d`, `12w`, `24m`). ValueError says why not."""
    if value == "all":
        return Window(value, None, end)
    matched = WINDOW.match(value or "")
    if matched is None:
        raise ValueError("Use all, or a number followed by d, w or m (e.g. 90d, 12w, 24m).")
    count, unit = int(matched.group(1)), matched.group(2)
    if count < 1:
        raise ValueError("The window must be at least 1 day, week or month.")
    if unit == "m":
        month = end.month - 1 - count
        year, month = end.year + month // 12, month % 12 + 1
        start = end.replace(year=year, month=month, day=min(end.day, calendar.monthrange(year, month)[1]))
    else:
        start = end - timedelta(days=count * (7 if unit == "w" else 1))
    if (end - start).days > MAX_WINDOW_DAYS:
        raise ValueError("The window may span at most 30 years; use all for everything.")
    return Window(value, start, end)


def repository_list(*, client: Client) -> list[Repository]:
    return list(Repository.objects.for_client(client).order_by("full_name"))


def repository_get(*, client: Client, repository_id) -> Repository:
    try:
        return Repository.objects.for_client(client).get(pk=repository_id)
    except (Repository.DoesNotExist, ValueError, TypeError):
        raise Http404("No such repository.") from None


def delivery_settings_get(*, client: Client, repository: Repository) -> DeliverySettings:
    """The repository's delivery settings, or the defaults (unsaved) when none were chosen."""
    stored = DeliverySettings.objects.for_client(client).filter(repository=repository).first()
    return stored or DeliverySettings(client=client, repository=repository)


def _scoped(queryset, repository: Repository | None):
    return queryset if repository is None else queryset.filter(repository=repository)


def _start(client: Client, repository: Repository | None, window: Window) -> datetime:
    if window.start is not None:
        return window.start
    firsts = [
        _scoped(Deployment.objects.for_client(client), repository).aggregate(m=Min("deployed_at"))["m"],
        _scoped(PullRequestFlow.objects.for_client(client), repository).aggregate(m=Min("merged_at"))["m"],
    ]
    known = [moment for moment in firsts if moment is not None]
    return min(known) if known else window.end


def _deployment_summary(deployments: list[tuple], start: datetime, end: datetime, *, ever: bool) -> dict:
    """`ever`: the scope has deployed at all; without any deployment there is no level to give."""
    lead_times = [t for d in deployments for t in d[1]]
    failed = [d for d in deployments if d[3]]
    restores = [(d[4] - d[0]).total_seconds() for d in failed if d[4] is not None]
    days = {b.utc_day(d[0]) for d in deployments}
    per_week = b.days_per_bucket(days, start, end, "week")
    per_month = b.days_per_bucket(days, start, end, "month")
    weeks = (end - start).total_seconds() / (7 * b.DAY)
    rate = len(failed) / len(deployments) if deployments else None
    lead_median, restore_median = b.median(lead_times), b.median(restores)
    days_week, days_month = b.median(per_week), b.median(per_month)
    return {
        "deployments": {
            "count": len(deployments),
            "per_week": len(deployments) / weeks if weeks else None,
            "median_days_per_week": days_week,
            "median_days_per_month": days_month,
            "level": b.frequency_level(days_week, days_month) if ever else None,
        },
        "lead_time": {
            "changes": len(lead_times),
            "median_seconds": lead_median,
            "p75_seconds": b.percentile(lead_times, 75),
            "counted_as_zero": sum(d[2] for d in deployments),
            "over_a_week": sum(1 for t in lead_times if t > 7 * b.DAY),
            "level": b.lead_time_level(lead_median),
        },
        "change_failure_rate": {
            "failed": len(failed),
            "deployments": len(deployments),
            "rate": rate,
            "level": b.failure_rate_level(rate),
        },
        "time_to_restore": {
            "restored": len(restores),
            "median_seconds": restore_median,
            "level": b.restore_level(restore_median),
        },
    }


def _flow_summary(flows: list[tuple], start: datetime, end: datetime) -> dict:
    """`flows`: (merged_at, lead seconds, review wait seconds) per merged pull request."""
    lead = [f[1] for f in flows if f[1] is not None]
    waits = [f[2] for f in flows if f[2] is not None]
    weeks = (end - start).total_seconds() / (7 * b.DAY)
    return {
        "merged": len(flows),
        "per_week": len(flows) / weeks if weeks else None,
        "lead_time_median_seconds": b.median(lead),
        "lead_time_p75_seconds": b.percentile(lead, 75),
        "with_lead_time": len(lead),
        "review_wait_median_seconds": b.median(waits),
        "reviewed": len(waits),
    }


def _issues(client: Client, start: datetime, end: datetime, granularity: str) -> dict:
    trunc = TruncWeek if granularity == "week" else TruncMonth
    rows = (
        WorkItem.objects.for_client(client)
        .filter(resolved__gte=start, resolved__lt=end)
        .annotate(bucket=trunc("resolved"))
        .values("bucket")
        .annotate(n=Count("id"))
        .values_list("bucket", "n")
    )
    return {b.bucket_start(bucket, granularity): n for bucket, n in rows}


def _series(deployments, flows, issues, start, end, granularity) -> list[dict]:
    by_bucket: dict = {key: ([], []) for key in b.buckets_between(start, end, granularity)}
    for d in deployments:
        by_bucket.setdefault(b.bucket_start(d[0], granularity), ([], []))[0].append(d)
    for f in flows:
        by_bucket.setdefault(b.bucket_start(f[0], granularity), ([], []))[1].append(f)
    series = []
    for key, (bucket_deployments, bucket_flows) in sorted(by_bucket.items()):
        lead = [t for d in bucket_deployments for t in d[1]]
        failed = sum(1 for d in bucket_deployments if d[3])
        restores = [(d[4] - d[0]).total_seconds() for d in bucket_deployments if d[3] and d[4] is not None]
        pr_lead = [f[1] for f in bucket_flows if f[1] is not None]
        series.append(
            {
                "start": key,
                "deployments": len(bucket_deployments),
                "deployment_days": len({b.utc_day(d[0]) for d in bucket_deployments}),
                "lead_time_median_seconds": b.median(lead),
                "lead_time_p75_seconds": b.percentile(lead, 75),
                "failed": failed,
                "change_failure_rate": failed / len(bucket_deployments) if bucket_deployments else None,
                "time_to_restore_median_seconds": b.median(restores),
                "prs_merged": len(bucket_flows),
                "pr_lead_time_median_seconds": b.median(pr_lead),
                "issues_resolved": issues.get(key, 0) if issues is not None else None,
            }
        )
    return series


def _missing(client: Client, repository: Repository | None) -> list[str]:
    """What data the metrics still lack, as codes the dashboard explains."""
    if repository is None and not Repository.objects.for_client(client).exists():
        return ["repositories"]
    missing = []
    if not _scoped(Commit.objects.for_client(client), repository).exists():
        missing.append("commits")
    if not _scoped(Tag.objects.for_client(client), repository).exists():
        missing.append("tags")
    if not DeliveryComputation.objects.for_client(client).filter(computed_at__isnull=False).exists():
        missing.append("computation")
    return missing


def delivery_metrics(
    *, client: Client, window: Window, repository: Repository | None = None, granularity: str = "week"
) -> dict:
    """Summary and series (UTC buckets) of the DORA and flow metrics; issues are tenant-wide, so
    they are None for a single repository."""
    start, end = _start(client, repository, window), window.end
    deployments = list(
        _scoped(Deployment.objects.for_client(client), repository)
        .filter(deployed_at__gte=start, deployed_at__lt=end)
        .values_list("deployed_at", "lead_times", "negative_lead_times", "failed", "restored_at")
    )
    flows = list(
        _scoped(PullRequestFlow.objects.for_client(client), repository)
        .filter(merged_at__gte=start, merged_at__lt=end)
        .values_list("merged_at", "lead_seconds", "review_wait_seconds")
    )
    issues = _issues(client, start, end, granularity) if repository is None else None
    weeks = (end - start).total_seconds() / (7 * b.DAY)
    computation = DeliveryComputation.objects.for_client(client).first()
    return {
        "window": {"label": window.label, "start": start, "end": end},
        "granularity": granularity,
        "repository": repository,
        "computed_at": computation.computed_at if computation else None,
        "missing": _missing(client, repository),
        **_deployment_summary(
            deployments,
            start,
            end,
            ever=bool(deployments) or _scoped(Deployment.objects.for_client(client), repository).exists(),
        ),
        "pull_requests": _flow_summary(flows, start, end),
        "issues": None
        if issues is None
        else {"resolved": sum(issues.values()), "per_week": sum(issues.values()) / weeks if weeks else None},
        "work_in_progress": {
            "open_pull_requests": _scoped(PullRequest.objects.for_client(client), repository)
            .filter(state="open")
            .count(),
            "issues_in_progress": None
            if repository is not None
            else WorkItem.objects.for_client(client).filter(status_category="indeterminate").count(),
        },
        "series": _series(deployments, flows, issues, start, end, granularity),
    }
