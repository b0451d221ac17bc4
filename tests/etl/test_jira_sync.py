"""Jira sync at the HTTP layer with recorded payload shapes: pages, incremental runs, rate limits,
bad credentials and malformed pages."""

import copy
import json
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from ai.models import VectorBridge
from etl.models import EtlRun, Project, WorkItem, WorkItemChange, WorkItemComment
from etl.services.sync import sync_integration
from pulse.core.models import Integration
from tests.ai.factories import local_embedding

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "jira"
SITE = "https://acme.atlassian.net"


def _load(name):
    return json.loads((FIXTURES / name).read_text())


def _issue(n: int, summary: str | None = None, updated: str = "2026-01-0{n}T10:00:00.000+0100") -> dict:
    issue = copy.deepcopy(_load("recorded_airbyte_search_issues.json")["issues"][0])
    issue["id"], issue["key"], issue["projectKey"] = str(20000 + n), f"PULSE-{n}", "PULSE"
    issue["fields"]["project"]["key"] = "PULSE"
    issue["fields"]["summary"] = summary or f"Issue number {n}: the login page times out"
    issue["fields"]["updated"] = updated.format(n=n)
    return issue


@pytest.fixture
def jira(tenant_a):
    local_embedding(tenant_a)
    return Integration.objects.create(
        client=tenant_a,
        integration_type="jira",
        integration_subtype="data_source",
        integration_name="Jira",
        base_url=SITE,
        credentials={"email": "bot@acme.example", "api_token": "jira-token-0123456789"},
        configuration={"project_keys": ["PULSE"]},
    )


def _mock_details(respx_mock):
    def comments(request):
        # Each issue gets its own comment ids, as on a real site.
        key = request.url.path.split("/")[-2]
        body = _load("recorded_airbyte_issue_comments.json")
        for comment in body["comments"]:
            comment["id"] = f"{key}-{comment['id']}"
        return httpx.Response(200, json=body)

    respx_mock.get(url__regex=rf"{SITE}/rest/api/3/issue/[A-Z]+-\d+/comment").mock(side_effect=comments)

    def changelog(request):
        key = request.url.path.split("/")[-2]
        body = _load("official_issue_changelog_GET_200.json")
        body.update(isLast=True, total=len(body["values"]))
        for history in body["values"]:
            history["id"] = f"{key}-{history['id']}"
        return httpx.Response(200, json=body)

    respx_mock.get(url__regex=rf"{SITE}/rest/api/3/issue/[A-Z]+-\d+/changelog").mock(side_effect=changelog)


def test_two_pages_store_items_comments_changelog_and_vectors(jira, tenant_a, respx_mock):
    _mock_details(respx_mock)
    search = respx_mock.get(f"{SITE}/rest/api/3/search/jql")
    search.side_effect = [
        httpx.Response(200, json={"issues": [_issue(1), _issue(2)], "nextPageToken": "page-2", "isLast": False}),
        httpx.Response(200, json={"issues": [_issue(3)], "isLast": True}),
    ]

    run = sync_integration(integration=jira)

    assert (run.status, run.fetched, run.created, run.vectorized) == ("succeeded", 3, 3, 3), run.errors
    first, second = (parse_qs(urlparse(str(c.request.url)).query) for c in search.calls)
    assert first["jql"] == ['(project in (PULSE)) AND created >= "1970-01-01" ORDER BY created ASC']
    assert "summary" in first["fields"][0] and "description" in first["fields"][0]
    assert second["nextPageToken"] == ["page-2"]
    item = WorkItem.objects.get(key="PULSE-1")
    assert item.description == "Test issue"  # ADF cleaned to text
    assert (item.status, item.status_category, item.item_type) == ("To Do", "new", "Epic")
    assert item.project == Project.objects.get(client=tenant_a, key="PULSE")
    assert WorkItemComment.objects.filter(work_item=item).count() == len(
        _load("recorded_airbyte_issue_comments.json")["comments"]
    )
    assert WorkItemChange.objects.filter(work_item=item).exists()
    assert VectorBridge.objects.filter(client=tenant_a, table_name="work_items").count() == 3
    assert search.calls[0].request.headers["authorization"].startswith("Basic ")


def test_second_run_is_incremental_and_changes_only_what_changed(jira, tenant_a, respx_mock):
    _mock_details(respx_mock)
    search = respx_mock.get(f"{SITE}/rest/api/3/search/jql")
    search.side_effect = [
        httpx.Response(200, json={"issues": [_issue(1), _issue(2)], "isLast": True}),
        httpx.Response(
            200, json={"issues": [_issue(2, summary="Login page times out behind the proxy")], "isLast": True}
        ),
    ]
    sync_integration(integration=jira)
    before = {r.record_id: r.content_hash for r in VectorBridge.objects.all()}

    second = sync_integration(integration=jira)

    jql = parse_qs(urlparse(str(search.calls[1].request.url)).query)["jql"][0]
    assert jql.startswith('(project in (PULSE)) AND updated >= "') and jql.endswith("ORDER BY created ASC")
    assert (second.fetched, second.created, second.updated) == (1, 0, 1)
    after = {r.record_id: r.content_hash for r in VectorBridge.objects.all()}
    changed = [rid for rid in after if after[rid] != before[rid]]
    assert changed == [WorkItem.objects.get(key="PULSE-2").pk]


def test_same_sync_twice_changes_nothing(jira, respx_mock):
    _mock_details(respx_mock)
    respx_mock.get(f"{SITE}/rest/api/3/search/jql").respond(200, json={"issues": [_issue(1)], "isLast": True})
    sync_integration(integration=jira)
    snapshot = list(WorkItem.objects.values_list("id", "summary", "updated"))

    run = sync_integration(integration=jira)

    assert (run.created, run.updated, run.unchanged, run.vectorized) == (0, 0, 1, 1)
    assert list(WorkItem.objects.values_list("id", "summary", "updated")) == snapshot


def test_429_with_retry_after_is_waited_out(jira, respx_mock):
    _mock_details(respx_mock)
    search = respx_mock.get(f"{SITE}/rest/api/3/search/jql")
    search.side_effect = [
        httpx.Response(429, headers={"Retry-After": "1"}),
        httpx.Response(200, json={"issues": [_issue(1)], "isLast": True}),
    ]

    run = sync_integration(integration=jira)

    assert run.status == "succeeded" and search.call_count == 2


def test_bad_credentials_fail_the_run_with_a_clear_error(jira, respx_mock):
    search = respx_mock.get(f"{SITE}/rest/api/3/search/jql").respond(401, json={"errorMessages": ["unauthorized"]})

    run = sync_integration(integration=jira)

    assert run.status == "failed" and search.call_count == 1
    assert "credentials were refused" in run.errors[0]
    assert "jira-token" not in json.dumps(run.errors)


def test_a_malformed_page_keeps_earlier_pages_and_writes_nothing_of_its_own(jira, respx_mock):
    _mock_details(respx_mock)
    broken = _issue(4)
    del broken["key"]
    respx_mock.get(f"{SITE}/rest/api/3/search/jql").mock(
        side_effect=[
            httpx.Response(200, json={"issues": [_issue(1), _issue(2)], "nextPageToken": "p2"}),
            httpx.Response(200, json={"issues": [_issue(3), broken]}),
        ]
    )

    run = sync_integration(integration=jira)

    assert run.status == "failed" and "without id or key" in run.errors[0]
    assert sorted(WorkItem.objects.values_list("key", flat=True)) == ["PULSE-1", "PULSE-2"]
    assert EtlRun.objects.get(pk=run.pk).fetched == 2
    assert jira.sync_state.cursor == {}  # the cursor did not move: the next run starts over


def test_a_page_missing_its_issues_list_fails_cleanly(jira, respx_mock):
    respx_mock.get(f"{SITE}/rest/api/3/search/jql").respond(200, json={"values": []})

    run = sync_integration(integration=jira)

    assert run.status == "failed" and "no 'issues' list" in run.errors[0]
