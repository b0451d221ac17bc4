"""The cross-tenant matrix: every route that takes an id (API and hub, found by walking the URL
configuration, so a new one cannot be forgotten) is called by tenant A with tenant B's ids, with
every method, and must answer 403/404/405 without a trace of B; and a member of A is refused every
write on A's own objects."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from ai.models import BackfillJob
from analytics.models import Insight
from analytics.qa.models import QAInteraction
from analytics.sql.models import SQLPair
from etl.models import EtlRun, Project, PullRequest, PullRequestReview, Tag, WorkItem
from pulse.core.api_tokens import api_token_create
from pulse.core.models import Alert, Integration, TaskOwnership
from tests.ai.factories import ai_integration
from tests.etl.factories import make_commits
from tests.factories import make_user

pytestmark = pytest.mark.django_db
MARK = "TENANT-B-MARK"
METHODS = ("get", "post", "put", "patch", "delete")
# Routes whose parameter is not an object id (a type of thing to create).
NOT_IDS = {"source-create"}
# Writes every member may do: marking an insight seen or dismissed changes no setting.
MEMBER_WRITES = {
    "ai-insight", "dashboard-insight-state", "worker-ping-status", "ai-qa-feedback", "ask-feedback", "alert-resolve",
    "api-token-detail",
}  # fmt: skip


def _routes(resolver=None, prefix="") -> list[tuple[str, str, list[str]]]:
    """(route template, name, parameter names) for every route with parameters."""
    found = []
    for entry in (resolver or get_resolver()).url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            found += _routes(entry, route)
        elif isinstance(entry, URLPattern) and (params := [*entry.pattern.regex.groupindex]):
            found.append((route, entry.name or "", params))
    return [r for r in found if not r[0].startswith("admin/") and r[1] not in NOT_IDS]


def _objects(tenant) -> dict[str, str]:
    """One object of each kind a route can name, owned by `tenant`, as route values."""
    provider = ai_integration(tenant, f"{MARK} provider", dimensions=3)
    source = Integration.objects.create(
        client=tenant,
        integration_type="git",
        integration_subtype="data_source",
        integration_name=f"{MARK} source",
        configuration={"path": "/srv/git/b"},
    )
    commit = make_commits(tenant, [f"{MARK} commit"])[0]
    job = BackfillJob.objects.create(client=tenant, total=1, last_errors=[MARK])
    task = TaskOwnership.objects.create(client=tenant, task_id=f"task-{tenant.pk}", kind="worker_ping")
    insight = Insight.objects.create(
        client=tenant,
        kind="anomaly",
        title=f"{MARK} insight",
        description=MARK,
        metric="deployments",
        window_start=commit.committed_at.date(),
        window_end=commit.committed_at.date(),
        dedupe_key=f"{MARK}-{tenant.pk}",
        confidence=0.9,
    )
    answer = QAInteraction.objects.create(client=tenant, question=MARK, response={"answer": MARK}, mode="extractive")
    pair = SQLPair.objects.create(client=tenant, question=MARK, sql="SELECT 1 AS one", dialect="postgres")
    records = _records(tenant, commit)
    alert = Alert.objects.create(
        client=tenant, kind="sync_failing", key="sync:1", title=f"{MARK} alert", opened_at=job.created_at,
        last_seen_at=job.created_at,
    )  # fmt: skip
    return {
        **records,
        "interaction_id": str(answer.pk),
        "pair_id": str(pair.pk),
        "insight_id": str(insight.pk),
        "alert_id": str(alert.pk),
        "token_id": str(api_token_create(user=make_user(tenant, f"{MARK.lower()}-{tenant.pk}"), name=MARK)[0].pk),
        "repository_id": str(commit.repository_id),
        "provider_id": str(provider.pk),
        "source_id": str(source.pk),
        "pk": str(source.pk),
        "job_id": str(job.pk),
        "table": "commits",
        "record_id": str(commit.pk),
        "task_id": task.task_id,
    }


def _records(tenant, commit) -> dict[str, str]:
    """The ETL API's kinds of ids: a run, a work item, a pull request, its review, a release."""
    run = EtlRun.objects.create(client=tenant, kind="git", errors=[MARK])
    project = Project.objects.create(client=tenant, key=f"P{tenant.pk}", name=MARK)
    item = WorkItem.objects.create(client=tenant, project=project, external_id="1", key=f"P{tenant.pk}-1", summary=MARK)
    pr = PullRequest.objects.create(client=tenant, repository=commit.repository, number=1, title=MARK)
    review = PullRequestReview.objects.create(client=tenant, pull_request=pr, external_id="r1", body=MARK)
    tag = Tag.objects.create(client=tenant, repository=commit.repository, name=MARK, sha=commit.sha)
    return {
        "run_id": str(run.pk),
        "work_item_id": str(item.pk),
        "pull_request_id": str(pr.pk),
        "review_id": str(review.pk),
        "commit_id": str(commit.pk),
        "release_id": str(tag.pk),
    }


def _url(route: str, values: dict[str, str]) -> str:
    path = route.replace("^", "").replace("$", "")
    for name, value in values.items():
        path = re.sub(rf"<(\w+:)?{name}>|\(\?P<{name}>[^)]*\)", value, path)
    assert "<" not in path and "(?P" not in path, f"the matrix does not know a parameter of {route}"
    return "/" + path


@pytest.fixture
def b_objects(tenant_b):
    return _objects(tenant_b)


def test_every_id_route_is_covered_and_none_shows_tenant_b_to_tenant_a(client, admin_a, api_as, b_objects):
    client.force_login(admin_a)
    api = api_as(admin_a)
    routes = _routes()
    answers = {}
    for route, _name, _ in routes:
        url = _url(route, b_objects)
        caller = api if url.startswith("/api/") else client
        for method in METHODS:
            response = getattr(caller, method)(url)
            answers[(url, method)] = response.status_code
            assert response.status_code in (403, 404, 405), (url, method, response.status_code)
            assert MARK not in response.content.decode(), (url, method)
    assert len(routes) >= 16 and any(status == 404 for status in answers.values())


def test_a_member_is_refused_every_write_on_its_own_tenant(client, member_a, api_as, tenant_a):
    mine = _objects(tenant_a)
    client.force_login(member_a)
    api = api_as(member_a)
    refused = 0
    for route, name, _ in _routes():
        url = _url(route, mine)
        caller = api if url.startswith("/api/") else client
        for method in ("post", "put", "patch", "delete"):
            response = getattr(caller, method)(url)
            if name in MEMBER_WRITES or response.status_code == 405:
                assert response.status_code < 500, (url, method)
                continue
            assert response.status_code == 403, (url, method, response.status_code)
            refused += 1
    assert refused >= 12
    assert Integration.objects.filter(client=tenant_a).count() == 2
