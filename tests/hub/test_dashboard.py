"""The Dashboard page: the landing page after login, its empty state, tiles, charts and insight
actions, always within the signed-in tenant."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

from analytics.insights.services import insights_generate
from analytics.metrics.services import delivery_compute
from analytics.models import DeliverySettings, Insight
from etl.models import Repository
from etl.services.imports import commits_import_file
from etl.services.tags import tags_import_file
from tests.analytics.test_insights import DROP, NOW, seed_merges
from tests.factories import make_user

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "delivery"
PASSWORD = "pw-for-tests-9"


def signed_in(client, user):
    client.force_login(user)
    return client


def seed_flask(tenant) -> None:
    commits_import_file(client=tenant, path=FIXTURES / "pallets-flask-2.3.1..2.3.3.commits.jsonl", vectorize=False)
    tags_import_file(
        client=tenant, path=FIXTURES / "pallets-flask-2.3.1..2.3.3.tags.jsonl", repository_name="pallets/flask"
    )
    delivery_compute(client=tenant)


def test_login_lands_on_the_dashboard(client, tenant_a):
    make_user(tenant_a, "ada", role="member", password=PASSWORD)

    response = client.post(reverse("login"), {"username": "ada", "password": PASSWORD})

    assert response.status_code == 302 and response["Location"] == reverse("hub:dashboard")
    page = client.get(response["Location"]).content.decode()
    assert "<h1>Delivery" in page and 'href="/hub/dashboard/">Dashboard</a>' in page


def test_an_empty_tenant_is_told_what_is_missing_and_how_to_add_it(client, member_a):
    page = signed_in(client, member_a).get(reverse("hub:dashboard")).content.decode()

    assert 'data-missing="repositories"' in page and reverse("hub:sources") in page
    assert "manage.py import_commits" in page
    assert page.count('data-level="">no data') == 4  # four tiles, no level without data


def test_tags_missing_are_explained_once_commits_exist(client, tenant_a, member_a):
    commits_import_file(client=tenant_a, path=FIXTURES / "pallets-flask-2.3.1..2.3.3.commits.jsonl", vectorize=False)

    page = signed_in(client, member_a).get(reverse("hub:dashboard")).content.decode()

    assert 'data-missing="tags"' in page and "manage.py import_tags" in page
    assert 'data-missing="computation"' in page and "Compute now" in page
    assert 'data-missing="repositories"' not in page


def test_tiles_charts_and_the_window_picker_show_the_computed_metrics(client, tenant_a, member_a):
    seed_flask(tenant_a)

    page = signed_in(client, member_a).get(reverse("hub:dashboard"), {"window": "all"}).content.decode()

    assert "empty-state" not in page
    frequency = re.search(r'data-tile="frequency".*?</article>', page, re.S).group(0)
    # 2.3.2, 2.2.5 and 2.3.3 since April 2023: the median month has no deployment day, so "low".
    assert "3 deployments" in frequency and 'data-level="low"' in frequency
    for tile in ("lead_time", "failure_rate", "restore"):
        assert f'data-tile="{tile}"' in page
    assert re.search(r'data-tile="failure_rate".*?data-value>0 %<', page, re.S)
    assert page.count('<svg class="chart"') == 4 and 'class="spark"' in page
    assert '<option value="all" selected>All time</option>' in page
    assert "How these metrics are measured" in page and "This reverts commit" in page


def test_a_bad_window_or_another_tenants_repository_never_breaks_the_page(client, tenant_a, member_a, tenant_b):
    seed_flask(tenant_b)
    their_repository = Repository.objects.for_client(tenant_b).get()
    api = signed_in(client, member_a)

    assert api.get(reverse("hub:dashboard"), {"window": "nonsense"}).status_code == 200  # falls back to 12 weeks
    page = api.get(reverse("hub:dashboard"), {"repository": their_repository.pk}).content.decode()
    assert "pallets/flask" not in page  # not a choice for this tenant: the picker ignores it


def test_insights_are_generated_listed_and_marked_from_the_page(client, tenant_a, member_a, tenant_b, monkeypatch):
    seed_merges(tenant_a, DROP)
    monkeypatch.setattr("analytics.insights.services.timezone.now", lambda: NOW)
    page_client = signed_in(client, member_a)

    generated = page_client.post(reverse("hub:dashboard-insights"), {"next": "/hub/dashboard/?window=all"})

    assert generated.status_code == 302 and generated["Location"] == "/hub/dashboard/?window=all"
    insight = Insight.objects.for_client(tenant_a).get()
    page = page_client.get(reverse("hub:dashboard")).content.decode()
    assert f'data-insight="{insight.pk}"' in page and insight.title in page and "confidence 100 %" in page
    page_client.post(reverse("hub:dashboard-insight-state", args=[insight.pk]), {"state": "dismissed"})
    assert Insight.objects.get(pk=insight.pk).state == "dismissed"
    assert f'data-insight="{insight.pk}"' not in page_client.get(reverse("hub:dashboard")).content.decode()
    assert (
        f'data-insight="{insight.pk}"'
        in page_client.get(reverse("hub:dashboard"), {"insights": "all"}).content.decode()
    )

    seed_merges(tenant_b, DROP)
    theirs = insights_generate(client=tenant_b, now=NOW).insights[0]
    response = page_client.post(reverse("hub:dashboard-insight-state", args=[theirs.pk]), {"state": "seen"})
    assert response.status_code == 404 and Insight.objects.get(pk=theirs.pk).state == "new"


def test_the_next_address_must_stay_on_the_dashboard(client, member_a):
    response = signed_in(client, member_a).post(reverse("hub:dashboard-compute"), {"next": "https://evil.example/"})

    assert response["Location"] == reverse("hub:dashboard")


def test_the_auto_refresh_setting_makes_the_page_reload_itself(client, member_a, tenant_a):
    from tests.analytics.test_insights import settings_for

    page = signed_in(client, member_a)
    on = page.get("/hub/dashboard/").content.decode()
    settings_for(tenant_a, auto_refresh=False)
    off = page.get("/hub/dashboard/").content.decode()

    assert 'id="auto-refresh" data-seconds="300"' in on and 'id="auto-refresh"' not in off


def test_an_admin_chooses_how_a_repositorys_deployments_are_found(client, tenant_a, admin_a, member_a, tenant_b):
    seed_flask(tenant_a)
    repository = Repository.objects.for_client(tenant_a).get()
    url = reverse("hub:dashboard-settings", args=[repository.pk])
    page = signed_in(client, member_a).get(reverse("hub:dashboard"), {"repository": repository.pk}).content.decode()
    assert 'id="delivery-settings"' in page and 'value="tags" selected' in page
    assert "Only tenant admins can change this." in page

    assert client.post(url, {"deployment_source": "pull_requests", "patch_failure_days": 7}).status_code == 403
    assert not DeliverySettings.objects.filter(repository=repository).exists()

    admin = signed_in(client, admin_a)
    refused = admin.post(url, {"deployment_source": "pull_requests", "patch_failure_days": 400}, follow=True)
    assert "Patch release marks a failure within (days)" in refused.content.decode()
    assert not DeliverySettings.objects.filter(repository=repository).exists()

    saved = admin.post(url, {"deployment_source": "pull_requests", "patch_failure_days": 7}, follow=True)
    assert "Delivery settings saved for pallets/flask" in saved.content.decode()
    stored = DeliverySettings.objects.get(repository=repository)
    assert (stored.client_id, stored.deployment_source, stored.patch_failure_days) == (tenant_a.pk, "pull_requests", 7)
    page = admin.get(reverse("hub:dashboard"), {"repository": repository.pk}).content.decode()
    assert 'value="pull_requests" selected' in page

    seed_flask(tenant_b)  # another tenant's repository id reads as missing
    theirs = Repository.objects.for_client(tenant_b).get()
    theirs_url = reverse("hub:dashboard-settings", args=[theirs.pk])
    assert admin.post(theirs_url, {"deployment_source": "tags"}).status_code == 404
    assert not DeliverySettings.objects.filter(repository=theirs).exists()
