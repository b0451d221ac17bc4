"""The insights agent on seeded weekly series: a drop is one anomaly with its direction and a
confidence from the statistic; a flat series is nothing; a short one says so; the tenant's agent
settings steer it; re-runs update instead of duplicating."""

import math
from datetime import UTC, datetime, timedelta

import pytest

from analytics.insights import stats
from analytics.insights.services import insight_state_set, insights_generate, insights_proactive
from analytics.models import Insight
from etl.models import PullRequest
from tests.etl.factories import make_repository

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)  # a Wednesday: the last complete week began Feb 23
FIRST_WEEK = datetime(2026, 3, 2, tzinfo=UTC) - timedelta(weeks=12)  # Monday Dec 8, 2025
DROP = [20, 22, 19, 21, 20, 23, 18, 21, 20, 22, 21, 4]


def seed_merges(client, per_week: list[int], *, weeks_before_end: int = 12) -> None:
    """`per_week[i]` pull requests merged in the i-th of the last `weeks_before_end` complete
    weeks, each opened exactly a day before it was merged."""
    repository = make_repository(client, "acme/app")
    number = 0
    for week, count in enumerate(per_week):
        monday = FIRST_WEEK + timedelta(weeks=12 - weeks_before_end + week)
        for i in range(count):
            number += 1
            merged = monday + timedelta(days=1, minutes=10 * i)
            PullRequest.objects.create(
                client=client,
                repository=repository,
                number=number,
                state="merged",
                created=merged - timedelta(days=1),
                merged_at=merged,
            )


def settings_for(client, **dashboard) -> None:
    from ai.setup.agents import AGENT_DEFAULTS, DASHBOARD_DEFAULTS, agent_preferences_set

    depth = dashboard.pop("analysis_depth", "advanced")
    proactive = dashboard.pop("proactive_insights", True)
    prompts = dashboard.pop("custom_prompts", [])
    agent = {**AGENT_DEFAULTS, "insight_generation": {**AGENT_DEFAULTS["insight_generation"]}}
    agent["insight_generation"].update(analysis_depth=depth, proactive_insights=proactive, custom_prompts=prompts)
    agent_preferences_set(client=client, agent_config=agent, dashboard_ai={**DASHBOARD_DEFAULTS, **dashboard})


def test_a_drop_is_one_anomaly_pointing_down_with_the_statistics_confidence(tenant_a):
    seed_merges(tenant_a, DROP)

    generated = insights_generate(client=tenant_a, now=NOW)

    assert [(i.kind, i.metric, i.direction) for i in generated.insights] == [("anomaly", "prs_merged", "down")]
    insight = generated.insights[0]
    # Baseline: the 11 weeks before; median 21, MAD 1, floored at a tenth of the median (2.1).
    m = 0.6745 * (4 - 21) / 2.1
    assert insight.statistic["test"] == "modified_z" and insight.statistic["m"] == pytest.approx(m)
    assert insight.confidence == pytest.approx(1 - math.erfc(abs(m) / math.sqrt(2)))
    assert insight.priority == "high" and insight.state == "new" and insight.text_source == "template"
    assert insight.title == "Pull requests merged per week dropped in the week of 2026-02-23"
    assert insight.description == (
        "Pull requests merged per week was 4 in the week of 2026-02-23, against a typical 21 over the 11 weeks before."
    )
    assert [p["value"] for p in insight.data_points] == DROP and insight.suggested_actions
    assert (insight.window_start.isoformat(), insight.window_end.isoformat()) == ("2025-12-08", "2026-03-02")


def test_a_flat_series_has_no_insight(tenant_a):
    seed_merges(tenant_a, [20] * 12)

    generated = insights_generate(client=tenant_a, now=NOW)

    assert generated.insights == [] and not Insight.objects.for_client(tenant_a).exists()
    assert {item["metric"] for item in generated.not_enough_data} == {"lead_time_median_seconds"}  # no releases


def test_too_little_data_says_so_instead_of_guessing(tenant_a):
    seed_merges(tenant_a, [20, 21, 3], weeks_before_end=3)

    generated = insights_generate(client=tenant_a, now=NOW)

    assert generated.insights == []
    short = {item["metric"]: item for item in generated.not_enough_data}
    assert short["prs_merged"] == {"metric": "prs_merged", "repository": None, "points": 3, "needed": 6}


def test_low_counts_use_the_poisson_tail(tenant_a):
    # About 6 merges a week (under 10: a low count), then none: P(X = 0 | rate 6) = e^-6 < 0.01.
    seed_merges(tenant_a, [6, 5, 7, 6, 6, 5, 7, 6, 6, 5, 7, 0])

    insight = insights_generate(client=tenant_a, now=NOW).insights[0]

    rate = 66 / 11
    assert (insight.metric, insight.direction, insight.statistic["test"]) == ("prs_merged", "down", "poisson_tail")
    assert insight.confidence == pytest.approx(1 - math.exp(-rate))


def test_a_steady_rise_is_a_trend_with_its_slope(tenant_a):
    seed_merges(tenant_a, [10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21])

    generated = insights_generate(client=tenant_a, now=NOW)

    trends = [i for i in generated.insights if i.kind == "trend"]
    assert [(t.metric, t.direction) for t in trends] == [("prs_merged", "up")]
    # Mann-Kendall on 12 strictly rising points: S = 66, Var = 12*11*29/18 = 212.67.
    z = 65 / math.sqrt(12 * 11 * 29 / 18)
    assert trends[0].statistic["slope"] == 1.0 and trends[0].confidence == pytest.approx(
        1 - math.erfc(z / math.sqrt(2))
    )
    assert trends[0].priority == "low"  # more merges is good news


def test_predictive_analytics_off_reports_no_trend(tenant_a):
    seed_merges(tenant_a, [10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21])
    settings_for(tenant_a, predictive_analytics=False)

    generated = insights_generate(client=tenant_a, now=NOW)

    assert [i for i in generated.insights if i.kind == "trend"] == []
    assert generated.settings["predictive_analytics"] is False


def test_agent_settings_turn_anomaly_detection_and_depth_off(tenant_a):
    seed_merges(tenant_a, DROP)

    settings_for(tenant_a, anomaly_detection=False)
    assert [i.kind for i in insights_generate(client=tenant_a, now=NOW).insights] == []
    settings_for(tenant_a, analysis_depth="basic")
    generated = insights_generate(client=tenant_a, now=NOW)

    assert generated.insights == []  # basic depth reads the DORA series only; merges are flow
    assert generated.settings["analysis_depth"] == "basic"
    settings_for(tenant_a, proactive_insights=False)
    assert insights_proactive(client=tenant_a, now=NOW) is None


def test_reruns_update_the_same_rows_and_keep_the_teams_state(tenant_a):
    seed_merges(tenant_a, DROP)
    first = insights_generate(client=tenant_a, now=NOW).insights[0]
    insight_state_set(insight=first, state="seen")

    again = insights_generate(client=tenant_a, now=NOW + timedelta(days=1)).insights[0]

    assert again.pk == first.pk and Insight.objects.for_client(tenant_a).count() == 1
    assert Insight.objects.get(pk=first.pk).state == "seen"


def test_the_statistics_match_their_textbook_values():
    assert stats.poisson_tail(2.0, 0, lower=True) == pytest.approx(math.exp(-2))
    assert stats.poisson_tail(2.0, 3, lower=False) == pytest.approx(1 - math.exp(-2) * (1 + 2 + 2))
    assert stats.theil_sen([1, 3, 5, 100, 9]) == 2.0  # one outlier does not move the slope
    flat = stats.modified_z([5] * 8, 5, step=1)
    assert (flat.m, flat.is_outlier) == (0.0, False)
    assert stats.modified_z([5] * 8, 6, step=1).is_outlier is False  # the floor: one step is no outlier
    tied = stats.mann_kendall([1, 1, 1, 1, 1, 1])
    assert (tied.s, tied.p_value) == (0, 1.0)
