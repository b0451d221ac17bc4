"""Beat schedules and tasks: thin, idempotent, per tenant."""

import pytest
from django.conf import settings

from analytics.metrics.services import delivery_compute
from analytics.models import Insight
from analytics.tasks import (
    delivery_compute_task,
    delivery_refresh_task,
    insights_daily_task,
    insights_tenant_task,
)
from pulse.celery import app
from tests.analytics.test_insights import DROP, NOW, seed_merges, settings_for
from tests.etl.factories import make_repository

pytestmark = pytest.mark.django_db


def test_beat_refreshes_metrics_after_syncs_and_insights_daily():
    schedule = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}

    assert schedule["analytics.delivery_refresh_task"] == 600.0
    daily = schedule["analytics.insights_daily_task"]
    assert (daily.hour, daily.minute) == ({6}, {0})
    for name in ("analytics.delivery_refresh_task", "analytics.insights_daily_task", "analytics.insights_tenant_task"):
        assert name in app.tasks


def test_refresh_enqueues_only_tenants_whose_data_changed(tenant_a, tenant_b, django_capture_on_commit_callbacks):
    make_repository(tenant_a)
    make_repository(tenant_b)
    delivery_compute(client=tenant_b)

    with django_capture_on_commit_callbacks() as callbacks:
        stale = delivery_refresh_task()

    assert stale == [tenant_a.pk] and len(callbacks) == 1
    assert delivery_compute_task(tenant_a.pk)["counts"] == {"deployments": 0, "failed": 0, "pull_requests": 0}
    with django_capture_on_commit_callbacks() as callbacks:
        assert delivery_refresh_task() == []
    assert callbacks == []


def test_the_daily_run_is_one_task_per_tenant_and_idempotent(
    tenant_a, tenant_b, django_capture_on_commit_callbacks, monkeypatch
):
    seed_merges(tenant_a, DROP)
    monkeypatch.setattr("analytics.insights.services.timezone.now", lambda: NOW)
    with django_capture_on_commit_callbacks() as callbacks:
        assert insights_daily_task() == [tenant_a.pk, tenant_b.pk]
    assert len(callbacks) == 2

    first = insights_tenant_task(tenant_a.pk)
    second = insights_tenant_task(tenant_a.pk)

    assert first == second and len(first["insights"]) == 1
    assert Insight.objects.for_client(tenant_a).count() == 1 and not Insight.objects.for_client(tenant_b).exists()
    settings_for(tenant_a, proactive_insights=False)
    assert insights_tenant_task(tenant_a.pk) is None  # proactive insights off: metrics only
