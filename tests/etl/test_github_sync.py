"""GitHub sync at the HTTP layer with GitHub's official example payloads."""

import copy
import json
import time
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import pytest

from ai.models import VectorBridge
from etl.models import Commit, JiraKeyLink, PullRequest, PullRequestComment, PullRequestCommit, PullRequestReview
from etl.services.sync import sync_integration
from pulse.core.models import Integration
from tests.ai.factories import local_embedding

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "github"
API = "https://api.github.com/repos/octo/pulse"


def _load(name):
    return json.loads((FIXTURES / name).read_text())


def _pr(number: int, title: str, updated: str) -> dict:
    pr = copy.deepcopy(_load("pull-request.json"))
    pr.update(number=number, id=1000 + number, title=title, updated_at=updated)
    return pr


@pytest.fixture
def github(tenant_a):
    local_embedding(tenant_a)
    return Integration.objects.create(
        client=tenant_a,
        integration_type="github",
        integration_subtype="data_source",
        integration_name="GitHub",
        credentials={"token": "ghp_test_token_0123456789"},
        configuration={"repositories": ["octo/pulse"]},
    )


def _mock(respx_mock, prs: list[dict], pages: int = 1):
    summaries = [
        {
            **copy.deepcopy(_load("pull-request-simple-items.json")[0]),
            "number": p["number"],
            "updated_at": p["updated_at"],
        }
        for p in prs
    ]
    half = (len(summaries) + 1) // 2 if pages == 2 else len(summaries)
    page_two = f"{API}/pulls?state=all&sort=updated&direction=desc&per_page=100&page=2"
    lists = respx_mock.get(f"{API}/pulls").mock(
        side_effect=lambda request: (
            httpx.Response(200, json=summaries[half:])
            if request.url.params.get("page") == "2"
            else httpx.Response(
                200, json=summaries[:half], headers={"link": f'<{page_two}>; rel="next"'} if pages == 2 else {}
            )
        )
    )
    for pr in prs:
        respx_mock.get(f"{API}/pulls/{pr['number']}").respond(200, json=pr)
        respx_mock.get(f"{API}/pulls/{pr['number']}/reviews").respond(
            200, json=[{**r, "id": r["id"] + pr["number"]} for r in _load("pull-request-review-items.json")]
        )
        respx_mock.get(f"{API}/pulls/{pr['number']}/comments").respond(
            200, json=[{**c, "id": c["id"] + pr["number"]} for c in _load("pull-request-review-comment-items.json")]
        )
        respx_mock.get(f"{API}/pulls/{pr['number']}/commits").respond(200, json=_load("commit-items.json"))
    commits = respx_mock.get(f"{API}/commits").respond(200, json=_load("commit-items.json"))
    respx_mock.get(f"{API}/commits/{_load('commit.json')['sha']}").respond(200, json=_load("commit.json"))
    # Tags and releases have their own tests (test_github_tags.py); this repository has none.
    respx_mock.get(API).respond(200, json=_load("full-repository-default-response.json"))
    respx_mock.get(f"{API}/releases").respond(200, json=[])
    respx_mock.get(f"{API}/git/matching-refs/tags").respond(200, json=[])
    return lists, commits


def test_pull_requests_with_reviews_comments_commits_and_vectors(github, tenant_a, respx_mock):
    lists, _ = _mock(
        respx_mock,
        [_pr(1, "PULSE-7: Speed up login", "2026-01-02T00:00:00Z"), _pr(2, "Fix flaky test", "2026-01-01T00:00:00Z")],
        pages=2,
    )

    run = sync_integration(integration=github)

    assert run.status == "succeeded", run.errors
    assert (
        lists.call_count == 2 and lists.calls[0].request.headers["authorization"] == "Bearer ghp_test_token_0123456789"
    )
    pr = PullRequest.objects.get(number=1)
    assert (pr.state, pr.additions, pr.author, pr.base_ref) == ("merged", 100, "octocat", "master")
    assert PullRequestReview.objects.filter(pull_request=pr).count() == 1
    assert PullRequestComment.objects.filter(pull_request=pr).count() == 1
    assert PullRequestCommit.objects.filter(pull_request=pr).count() == 1
    assert JiraKeyLink.objects.filter(pull_request=pr, jira_key="PULSE-7").exists()
    commit = Commit.objects.get(client=tenant_a)
    assert commit.files[0]["path"] == "file1.txt" and commit.additions == 104
    assert VectorBridge.objects.filter(table_name="pull_requests").count() == 2
    assert VectorBridge.objects.filter(table_name="commits").count() == 1


def test_second_run_asks_only_for_what_changed_since(github, respx_mock):
    _, commits = _mock(respx_mock, [_pr(1, "Speed up login", "2026-01-02T00:00:00Z")])
    sync_integration(integration=github)

    second = sync_integration(integration=github)

    since = parse_qs(urlparse(str(commits.calls[1].request.url)).query)["since"][0]
    assert since.endswith("Z") and since >= "2026"
    # The old PR is older than the cursor: the listing stops there and nothing is fetched in full.
    assert (second.fetched, second.created, second.updated) == (1, 0, 0)
    assert second.status == "succeeded"


def test_rate_limit_reset_is_waited_out(github, respx_mock):
    _mock(respx_mock, [])
    route = respx_mock.get(f"{API}/pulls")
    route.side_effect = [
        httpx.Response(403, headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(time.time()))}),
        httpx.Response(200, json=[]),
    ]

    run = sync_integration(integration=github)

    assert run.status == "succeeded" and route.call_count == 2


def test_a_bad_token_fails_the_run_clearly(github, respx_mock):
    respx_mock.get(f"{API}/pulls").respond(401, json={"message": "Bad credentials"})

    run = sync_integration(integration=github)

    assert run.status == "failed" and "credentials were refused" in run.errors[0]
    assert "ghp_test" not in json.dumps(run.errors)
