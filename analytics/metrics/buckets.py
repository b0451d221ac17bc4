"""UTC buckets (ISO weeks starting Monday, calendar months), percentiles and DORA levels.

Levels are DevLake's, from the 2023 State of DevOps report:
- deployment frequency: elite when the median number of days with a deployment per ISO week is
  ≥ 7, high when it is ≥ 1, medium when the median days with a deployment per month is ≥ 1, else low;
- lead time for changes (median): elite < 1 day, high < 1 week, medium < 1 month (30 days), else low;
- change failure rate: elite ≤ 5 %, high ≤ 10 %, medium ≤ 15 %, else low;
- time to restore (median): elite < 1 hour, high < 1 day, medium < 1 week, else low.
"""

from datetime import UTC, date, datetime, timedelta

GRANULARITIES = ("week", "month")
HOUR, DAY = 3600, 86400


def bucket_start(moment: datetime, granularity: str) -> date:
    """The first day (UTC) of the week or month holding `moment`."""
    return day_bucket(moment.astimezone(UTC).date(), granularity)


def utc_day(moment: datetime) -> date:
    return moment.astimezone(UTC).date()


def day_bucket(day: date, granularity: str) -> date:
    if granularity == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def days_per_bucket(days: set[date], start: datetime, end: datetime, granularity: str) -> list[int]:
    """How many of `days` fall in each bucket overlapping [start, end), empty buckets included."""
    counts: dict[date, int] = {}
    for day in days:
        key = day_bucket(day, granularity)
        counts[key] = counts.get(key, 0) + 1
    return [counts.get(key, 0) for key in buckets_between(start, end, granularity)]


def next_bucket(start: date, granularity: str) -> date:
    if granularity == "week":
        return start + timedelta(days=7)
    return date(start.year + start.month // 12, start.month % 12 + 1, 1)


def buckets_between(start: datetime, end: datetime, granularity: str) -> list[date]:
    """Every bucket that overlaps [start, end), oldest first."""
    out, current = [], bucket_start(start, granularity)
    last = bucket_start(end - timedelta(microseconds=1), granularity) if end > start else current
    while current <= last:
        out.append(current)
        current = next_bucket(current, granularity)
    return out


def percentile(values: list[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (numpy's default, PostgreSQL's percentile_cont).
    Plain Python: most buckets hold a handful of values, where numpy's call costs more than the sort."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return float(ordered[low] + (ordered[high] - ordered[low]) * (position - low))


def median(values: list[float]) -> float | None:
    return percentile(values, 50)


def frequency_level(median_days_per_week: float | None, median_days_per_month: float | None) -> str | None:
    if median_days_per_week is None or median_days_per_month is None:
        return None
    if median_days_per_week >= 7:
        return "elite"
    if median_days_per_week >= 1:
        return "high"
    return "medium" if median_days_per_month >= 1 else "low"


def lead_time_level(median_seconds: float | None) -> str | None:
    if median_seconds is None:
        return None
    for level, limit in (("elite", DAY), ("high", 7 * DAY), ("medium", 30 * DAY)):
        if median_seconds < limit:
            return level
    return "low"


def failure_rate_level(rate: float | None) -> str | None:
    if rate is None:
        return None
    for level, limit in (("elite", 0.05), ("high", 0.10), ("medium", 0.15)):
        if rate <= limit:
            return level
    return "low"


def restore_level(median_seconds: float | None) -> str | None:
    if median_seconds is None:
        return None
    for level, limit in (("elite", HOUR), ("high", DAY), ("medium", 7 * DAY)):
        if median_seconds < limit:
            return level
    return "low"
