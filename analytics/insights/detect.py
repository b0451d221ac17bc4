"""Insights from weekly metric series, in plain data (the design notes' DashboardAIAgent and
InsightResult, with numbers from statistics instead of fixed thresholds and constant confidences).

- Anomaly: the latest complete week against the weeks before it (up to 11). Counts with a low
  baseline (under 10 a week) use the Poisson tail (p < 0.01); everything else the modified
  z-score (|M| > 3.5). Fewer than 6 weekly points: "not enough data", never a made-up insight.
  A rise in failed deployments is an alert.
- Trend: Mann-Kendall over the same weeks, reported only when p < 0.05, with the Theil-Sen slope.
- Recommendation: a sign test that the median lead time exceeds a week, or a binomial test that
  the change failure rate exceeds 15 %, over the window; reported at 90 % confidence or more.
Confidence is always 1 - the test's p-value.
"""

from dataclasses import dataclass, field
from datetime import date

import numpy as np

from analytics.insights import stats
from analytics.insights.text import describe, format_value

MIN_POINTS = 6
LOW_COUNT = 10
POISSON_ALPHA = 0.01
TREND_ALPHA = 0.05
RECOMMEND_CONFIDENCE = 0.9
WEEK_SECONDS = 7 * 86400


@dataclass(frozen=True)
class MetricSpec:
    key: str
    label: str
    kind: str  # count | duration
    step: float  # the smallest change that matters (the floor of a flat series' MAD)
    worse: str  # the direction that is bad news
    basic: bool  # part of the basic analysis depth


SPECS = (
    MetricSpec("deployments", "Deployments per week", "count", 1, "down", True),
    MetricSpec("lead_time_median_seconds", "Median lead time for changes", "duration", 3600, "up", True),
    MetricSpec("failed", "Failed deployments per week", "count", 1, "up", True),
    MetricSpec("prs_merged", "Pull requests merged per week", "count", 1, "down", False),
    MetricSpec("pr_lead_time_median_seconds", "Median pull request lead time", "duration", 3600, "up", False),
)


@dataclass
class InsightResult:
    insight_type: str  # anomaly | trend | recommendation | alert
    title: str
    description: str
    confidence: float
    data_points: list[dict]
    suggested_actions: list[str]
    priority: str  # low | medium | high | critical
    metric: str
    direction: str
    statistic: dict
    facts: dict = field(default_factory=dict)  # the numbers a narrative may use, already formatted


@dataclass(frozen=True)
class NotEnoughData:
    metric: str
    points: int
    needed: int = MIN_POINTS


def _points(series: list[dict], key: str) -> list[tuple[date, float]]:
    return [(row["start"], float(row[key])) for row in series if row.get(key) is not None]


def _priority(direction: str, spec: MetricSpec, confidence: float, *, alert: bool = False) -> str:
    if direction != spec.worse:
        return "low"
    if alert:
        return "critical" if confidence >= 0.999 else "high"
    return "high" if confidence >= 0.999 else "medium"


def _anomaly(spec: MetricSpec, points: list[tuple[date, float]]) -> InsightResult | None:
    baseline = [value for _, value in points[:-1]]
    (week, value) = points[-1]
    rate = float(np.mean(baseline))
    if spec.kind == "count" and rate < LOW_COUNT:
        # Half an event over the baseline: a never-seen count is rare, not impossible.
        rate = max(rate, 0.5 / len(baseline))
        direction = "down" if value < rate else "up"
        p_value = stats.poisson_tail(rate, int(value), lower=direction == "down")
        statistic = {"test": "poisson_tail", "rate": rate, "value": value, "p_value": p_value, "alpha": POISSON_ALPHA}
        if p_value >= POISSON_ALPHA:
            return None
        expected = rate
    else:
        outlier = stats.modified_z(baseline, value, step=spec.step)
        if not outlier.is_outlier:
            return None
        direction, p_value, expected = ("down" if outlier.m < 0 else "up"), outlier.p_value, outlier.median
        statistic = {"test": "modified_z", "m": outlier.m, "threshold": stats.OUTLIER_M, "median": outlier.median}
        statistic |= {"mad": outlier.mad, "p_value": p_value}
    alert = spec.key == "failed" and direction == "up"
    confidence = 1 - p_value
    facts = {
        "metric": spec.label,
        "week": week.isoformat(),
        "value": format_value(value, spec.kind),
        "expected": format_value(expected, spec.kind),
        "weeks": str(len(baseline)),
    }
    title, description, actions = describe("alert" if alert else "anomaly", spec.key, direction, facts)
    return InsightResult(
        insight_type="alert" if alert else "anomaly",
        title=title,
        description=description,
        confidence=confidence,
        data_points=[{"week": w.isoformat(), "value": v} for w, v in points],
        suggested_actions=actions,
        priority=_priority(direction, spec, confidence, alert=alert),
        metric=spec.key,
        direction=direction,
        statistic=statistic,
        facts=facts,
    )


def _trend(spec: MetricSpec, points: list[tuple[date, float]]) -> InsightResult | None:
    values = [value for _, value in points]
    trend = stats.mann_kendall(values)
    if trend.p_value >= TREND_ALPHA or trend.slope == 0:
        return None
    direction = "up" if trend.slope > 0 else "down"
    confidence = 1 - trend.p_value
    facts = {
        "metric": spec.label,
        "slope": format_value(abs(trend.slope), spec.kind),
        "weeks": str(len(values)),
        "first": format_value(values[0], spec.kind),
        "last": format_value(values[-1], spec.kind),
    }
    title, description, actions = describe("trend", spec.key, direction, facts)
    return InsightResult(
        insight_type="trend",
        title=title,
        description=description,
        confidence=confidence,
        data_points=[{"week": w.isoformat(), "value": v} for w, v in points],
        suggested_actions=actions,
        priority="medium" if direction == spec.worse else "low",
        metric=spec.key,
        direction=direction,
        statistic={"test": "mann_kendall", "s": trend.s, "z": trend.z, "p_value": trend.p_value, "slope": trend.slope},
        facts=facts,
    )


def _recommendations(summary: dict) -> list[InsightResult]:
    out = []
    lead = summary["lead_time"]
    n, over = lead["changes"], lead["over_a_week"]
    if n >= MIN_POINTS and lead["median_seconds"] is not None and lead["median_seconds"] > WEEK_SECONDS:
        p_value = stats.binomial_upper_tail(n, over, 0.5)
        if 1 - p_value >= RECOMMEND_CONFIDENCE:
            facts = {"changes": str(n), "over": str(over), "median": format_value(lead["median_seconds"], "duration")}
            out.append(_recommendation("lead_time_median_seconds", facts, p_value, {"test": "sign_test", "n": n}))
    cfr = summary["change_failure_rate"]
    if cfr["deployments"] >= MIN_POINTS and cfr["rate"] is not None and cfr["rate"] > 0.15:
        p_value = stats.binomial_upper_tail(cfr["deployments"], cfr["failed"], 0.15)
        if 1 - p_value >= RECOMMEND_CONFIDENCE:
            facts = {"failed": str(cfr["failed"]), "deployments": str(cfr["deployments"])}
            facts["rate"] = f"{100 * cfr['rate']:.0f} %"
            statistic = {"test": "binomial", "n": cfr["deployments"], "failed": cfr["failed"], "p0": 0.15}
            out.append(_recommendation("change_failure_rate", facts, p_value, statistic))
    return out


def _recommendation(metric: str, facts: dict, p_value: float, statistic: dict) -> InsightResult:
    title, description, actions = describe("recommendation", metric, "up", facts)
    return InsightResult(
        insight_type="recommendation",
        title=title,
        description=description,
        confidence=1 - p_value,
        data_points=[{"metric": metric, **facts}],
        suggested_actions=actions,
        priority="medium",
        metric=metric,
        direction="up",
        statistic={**statistic, "p_value": p_value},
        facts=facts,
    )


def detect(
    series: list[dict], summary: dict, *, depth: str, anomalies: bool, trends: bool = True
) -> tuple[list[InsightResult], list[NotEnoughData]]:
    """Insights from complete weekly buckets (oldest first) and the window's summary. `depth`:
    basic = DORA series only; advanced and expert add pull request flow, trends and recommendations.
    `trends` (the tenant's predictive analytics switch): where a series is heading."""
    # Weeks before the first deployment or merge are no history, only silence: a team three weeks
    # in has three points, not twelve.
    active = [i for i, row in enumerate(series) if row.get("deployments") or row.get("prs_merged")]
    series = series[active[0] :] if active else []
    found, short = [], []
    for spec in SPECS:
        if depth == "basic" and not spec.basic:
            continue
        points = _points(series, spec.key)
        if len(points) < MIN_POINTS:
            short.append(NotEnoughData(spec.key, len(points)))
            continue
        if anomalies and (result := _anomaly(spec, points)):
            found.append(result)
        if trends and depth != "basic" and (result := _trend(spec, points)):
            found.append(result)
    if depth != "basic":
        found.extend(_recommendations(summary))
    return found, short
