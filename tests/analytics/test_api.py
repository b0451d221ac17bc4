"""The analytics API: validation answers 400 naming the field, another tenant's ids answer 404,
and tenant B never sees tenant A's metrics or insights."""

import json
from pathlib import Path

import pytest

from analytics.metrics.services import delivery_compute
from analytics.models import Insight
from etl.models import Repository
from etl.services.imports import commits_import_file
from etl.services.tags import tags_import_file
from tests.analytics.test_insights import DROP, NOW, seed_merges
from tests.factories import make_user

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "delivery"
METRICS = "/api/v1/metrics/delivery/"


@pytest.fixture
def flask_a(tenant_a):
    """Tenant A holds a slice of flask's history with its release tags, computed."""
    commits_import_file(client=tenant_a, path=FIXTURES / "pallets-flask-2.3.1..2.3.3.commits.jsonl", vectorize=False)
    tags_import_file(
        client=tenant_a, path=FIXTURES / "pallets-flask-2.3.1..2.3.3.tags.jsonl", repository_name="pallets/flask"
    )
    delivery_compute(client=tenant_a)
    return Repository.objects.for_client(tenant_a).get()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"window": "12x"}, "window"),
        ({"window": "0d"}, "window"),
        ({"window": "999m"}, "window"),
        ({"granularity": "day"}, "granularity"),
        ({"repository": "abc"}, "repository"),
        ({"end": "2026-13-01"}, "end"),
    ],
)
def test_bad_metric_parameters_are_400_naming_the_field(admin_a, api_as, params, field):
    response = api_as(admin_a).get(METRICS, params)

    assert response.status_code == 400 and list(response.json()) == [field]


def test_metrics_of_a_tenant_stay_in_that_tenant(flask_a, admin_a, admin_b, api_as):
    mine = api_as(admin_a).get(METRICS, {"window": "all", "end": "2026-01-01"}).json()
    theirs = api_as(admin_b).get(METRICS, {"window": "all", "end": "2026-01-01"}).json()

    assert mine["deployments"]["count"] == 3 and mine["lead_time"]["changes"] == 48
    assert mine["pull_requests"]["merged"] == 20 and mine["missing"] == []
    assert theirs["deployments"]["count"] == 0 and theirs["pull_requests"]["merged"] == 0
    assert theirs["missing"] == ["repositories"] and theirs["lead_time"]["median_seconds"] is None
    other = api_as(admin_b).get(METRICS, {"repository": flask_a.pk})
    assert other.status_code == 404  # another tenant's repository is a missing one


def test_a_member_reads_metrics_of_one_repository_by_month(flask_a, member_a, api_as):
    body = api_as(member_a).get(METRICS, {"window": "all", "end": "2026-01-01", "repository": flask_a.pk}).json()

    assert body["repository"] == {"id": flask_a.pk, "full_name": "pallets/flask"}
    assert body["granularity"] == "week" and body["series"][0]["start"] == "2023-04-24"  # the Monday before 2.3.2
    monthly = api_as(member_a).get(METRICS, {"window": "all", "end": "2026-01-01", "granularity": "month"}).json()
    assert [m["deployments"] for m in monthly["series"][:4]] == [0, 2, 0, 0]  # 2.3.2 and 2.2.5 in May 2023
    assert monthly["series"][0]["start"] == "2023-04-01"  # the first PR merged in April


def test_insights_are_generated_listed_marked_and_isolated(tenant_a, member_a, admin_b, api_as, monkeypatch):
    seed_merges(tenant_a, DROP)
    monkeypatch.setattr("analytics.insights.services.timezone.now", lambda: NOW)
    member = api_as(member_a)

    generated = member.post("/api/v1/ai/dashboard/insights")

    assert generated.status_code == 200, generated.content
    body = generated.json()
    assert [(i["type"], i["metric"], i["direction"]) for i in body["insights"]] == [("anomaly", "prs_merged", "down")]
    assert body["agent_config"]["analysis_depth"] == "advanced" and body["window"]["label"] == "12w"
    insight_id = body["insights"][0]["id"]
    assert [i["id"] for i in member.get("/api/v1/ai/insights/", {"state": "new"}).json()] == [insight_id]

    marked = member.patch(f"/api/v1/ai/insights/{insight_id}/", {"state": "dismissed"}, format="json")

    assert marked.status_code == 200 and marked.json()["state"] == "dismissed"
    assert member.get("/api/v1/ai/insights/", {"state": "new"}).json() == []
    assert [i["id"] for i in member.get("/api/v1/ai/insights/", {"state": ["seen", "dismissed"]}).json()] == [
        insight_id
    ]
    other = api_as(admin_b)
    assert other.get("/api/v1/ai/insights/").json() == []
    assert other.get(f"/api/v1/ai/insights/{insight_id}/").status_code == 404
    assert other.patch(f"/api/v1/ai/insights/{insight_id}/", {"state": "seen"}, format="json").status_code == 404
    assert Insight.objects.get(pk=insight_id).state == "dismissed"
    assert other.post("/api/v1/ai/dashboard/insights/").json()["insights"] == []


def test_insight_input_is_validated(tenant_a, admin_a, api_as):
    insight = Insight.objects.create(
        client=tenant_a,
        dedupe_key="k",
        kind="trend",
        metric="prs_merged",
        window_start="2026-01-01",
        window_end="2026-03-01",
        title="t",
        description="d",
        confidence=0.97,
    )
    api = api_as(admin_a)

    assert list(api.patch(f"/api/v1/ai/insights/{insight.pk}/", {"state": "gone"}, format="json").json()) == ["state"]
    assert list(api.get("/api/v1/ai/insights/", {"type": "rumour"}).json()) == ["type"]
    assert list(api.get("/api/v1/ai/insights/", {"limit": 0}).json()) == ["limit"]
    assert api.get("/api/v1/ai/insights/abc/").status_code == 404


def test_the_endpoints_are_in_the_openapi_schema_and_need_a_login(client, tenant_a):
    reader = make_user(tenant_a, "reader", role="member", password="pw-for-tests-9")
    assert client.get(METRICS).status_code in (401, 403)
    client.force_login(reader)

    schema = client.get("/api/v1/schema/", {"format": "json"}).json()

    for path in ("/api/v1/metrics/delivery/", "/api/v1/ai/insights/", "/api/v1/ai/insights/{insight_id}/"):
        assert path in schema["paths"], path
    assert any(p.startswith("/api/v1/ai/dashboard/insights") for p in schema["paths"])
    parameters = {p["name"] for p in schema["paths"][METRICS]["get"]["parameters"]}
    assert {"window", "repository", "granularity", "end"} <= parameters


def test_delivery_settings_per_repository(flask_a, tenant_a, admin_a, member_a, admin_b, api_as):
    url = f"/api/v1/metrics/delivery/settings/{flask_a.pk}/"
    admin = api_as(admin_a)
    assert admin.get(url).json() == {"repository": flask_a.pk, "deployment_source": "tags", "patch_failure_days": 14}

    refused = api_as(member_a).put(url, {"deployment_source": "pull_requests", "patch_failure_days": 7}, format="json")
    wrong = admin.put(url, {"deployment_source": "ci", "patch_failure_days": 7}, format="json")
    changed = admin.put(url, {"deployment_source": "pull_requests", "patch_failure_days": 7}, format="json")

    assert refused.status_code == 403 and list(wrong.json()) == ["deployment_source"]
    assert changed.status_code == 200 and changed.json()["deployment_source"] == "pull_requests"
    assert api_as(admin_b).get(url).status_code == 404
    computation = delivery_compute(client=tenant_a)
    # The PRs merged on the first-parent chain of the imported head (2.3.3, the file's first line)
    # now count as deployments.
    commits = [json.loads(line) for line in (FIXTURES / "pallets-flask-2.3.1..2.3.3.commits.jsonl").open()]
    parents = {c["sha"]: c["parents"] for c in commits}
    chain, sha = set(), commits[0]["sha"]
    while sha in parents:
        chain.add(sha)
        sha = parents[sha][0] if parents[sha] else None
    pulls = [json.loads(line) for line in (FIXTURES / "pallets-flask-2.3.1..2.3.3.pulls.jsonl").open()]
    on_chain = [p for p in pulls if p["merge_sha"] in chain]
    assert computation.counts["deployments"] == len(on_chain) > 0


def test_metrics_are_computed_on_demand_and_only_when_the_data_changed(tenant_a, member_a, api_as):
    commits_import_file(client=tenant_a, path=FIXTURES / "pallets-flask-2.3.1..2.3.3.commits.jsonl", vectorize=False)
    api = api_as(member_a)
    assert api.get(METRICS).json()["missing"] == ["tags", "computation"]

    first = api.post("/api/v1/metrics/delivery/compute/").json()
    again = api.post("/api/v1/metrics/delivery/compute/").json()

    assert first["counts"] == {"deployments": 0, "failed": 0, "pull_requests": 20}
    assert again["computed_at"] == first["computed_at"]  # nothing changed: not recomputed
    assert api.get(METRICS).json()["missing"] == ["tags"]
