"""Questions about how the team delivers, answered from the computed delivery metrics: every
number comes from code, and the answer names the metric and the window it came from."""

from datetime import UTC, datetime

from django.urls import reverse

from analytics.metrics.selectors import delivery_metrics, window_parse
from pulse.core.models import Client

DAY = 86400


def _days(seconds: float | None) -> str:
    return "n/a" if seconds is None else f"{seconds / DAY:.1f} days"


def _lines(m: dict) -> dict[str, str]:
    d, lead, cfr, restore, prs = (
        m["deployments"],
        m["lead_time"],
        m["change_failure_rate"],
        m["time_to_restore"],
        m["pull_requests"],
    )
    rate = "n/a" if cfr["rate"] is None else f"{cfr['rate']:.0%}"
    return {
        "deploy": f"{d['count']} deployments ({(d['per_week'] or 0):.1f} per week; level {d['level'] or 'n/a'})",
        "lead": f"lead time for changes: median {_days(lead['median_seconds'])}, p75 {_days(lead['p75_seconds'])}",
        "fail": f"change failure rate {rate} ({cfr['failed']} of {cfr['deployments']} deployments)",
        "restore": f"time to restore: median {_days(restore['median_seconds'])} ({restore['restored']} restored)",
        "flow": f"{prs['merged']} pull requests merged, PR lead time median {_days(prs['lead_time_median_seconds'])}",
    }


def _order(question: str) -> list[str]:
    lowered = question.lower()
    first = [
        key
        for key, words in (
            ("lead", ("lead time", "cycle time")),
            ("fail", ("fail", "cfr")),
            ("restore", ("restore", "recover", "mttr")),
            ("flow", ("pull request", " pr", "merge")),
            ("deploy", ("deploy", "release")),
        )
        if any(w in lowered for w in words)
    ]
    return first + [k for k in ("deploy", "lead", "fail", "restore", "flow") if k not in first]


def metrics_answer(*, client: Client, question: str, window: str) -> dict:
    """The response's answer, evidence and confidence for a delivery question."""
    metrics = delivery_metrics(client=client, window=window_parse(value=window, end=datetime.now(UTC)))
    url = reverse("hub:dashboard") + f"?window={window}"
    if metrics["missing"]:
        needs = ", ".join(metrics["missing"])
        return {
            "answer": f"Not found in your data: the delivery metrics need {needs} (see the Dashboard).",
            "found": False,
            "confidence": 0.0,
            "citations": [],
            "data_sources": [f"delivery metrics ({window})"],
            "metric_url": url,
        }
    lines = _lines(metrics)
    start, end = metrics["window"]["start"].date(), metrics["window"]["end"].date()
    body = "; ".join(lines[key] for key in _order(question))
    citation = {
        "n": 1,
        "table": "delivery_metrics",
        "record_id": None,
        "title": f"Delivery metrics, {window} ({start} to {end})",
        "url": url,
        "snippet": body[:280],
        "score": 1.0,
    }
    return {
        "answer": f"From {start} to {end} (window {window}, UTC): {body} [1].",
        "found": True,
        "confidence": 1.0,
        "citations": [citation],
        "data_sources": [f"delivery metrics ({window})"],
        "metric_url": url,
    }
