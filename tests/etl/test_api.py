"""`/api/v1/etl/`: sources (CRUD, test, sync now, schedules), runs, and records with filters, cursor
pagination, related records and tenant isolation; all of it in the OpenAPI schema."""

from datetime import UTC, datetime, timedelta

import pytest
from django_celery_beat.models import PeriodicTask

from etl.models import EtlRun, JiraKeyLink, Project, PullRequest, PullRequestCommit, PullRequestReview, Tag, WorkItem
from etl.tasks import sync_integration_task
from tests.ai.factories import local_embedding
from tests.etl.factories import make_commits, make_repository
from tests.etl.test_git_source import _git

pytestmark = pytest.mark.django_db
API = "/api/v1/etl"


@pytest.fixture
def repo(tmp_path):
    """A clone with three commits on `main`."""
    path = tmp_path / "clone"
    path.mkdir()
    _git(path, "init", "-q", "-b", "main")
    for i in range(3):
        (path / "notes.txt").write_text(f"{i}\n")
        _git(path, "add", ".")
        _git(path, "commit", "-q", "-m", f"Change {i}")
    return path


@pytest.fixture
def api(admin_a, api_as):
    return api_as(admin_a)


def _git_source(api, path, name="Clone") -> dict:
    response = api.post(f"{API}/sources/", {"type": "git", "name": name, "path": str(path)})
    assert response.status_code == 201, response.content
    return response.json()


def test_a_source_is_created_listed_edited_tested_and_deleted(api, repo):
    source = _git_source(api, repo)
    assert source["type"] == "git" and source["configuration"]["path"] == str(repo)
    assert source["schedule"]["kind"] == "none" and source["last_run"] is None

    duplicate = api.post(f"{API}/sources/", {"type": "git", "name": "Clone", "path": str(repo)})
    assert duplicate.status_code == 400 and "already exists" in duplicate.json()["name"][0]
    assert api.post(f"{API}/sources/", {"type": "git", "name": "Rel", "path": "relative"}).json()["path"]

    edited = api.patch(f"{API}/sources/{source['id']}/", {"branch": "main"})
    assert edited.status_code == 200 and edited.json()["configuration"]["branch"] == "main"
    assert edited.json()["configuration"]["path"] == str(repo)  # a PATCH keeps what it does not name
    tested = api.post(f"{API}/sources/{source['id']}/test/").json()
    assert tested["ok"] and "main is at" in tested["detail"] and "git" in tested["checked"]
    assert [s["name"] for s in api.get(f"{API}/sources/").json()] == ["Clone"]

    assert api.delete(f"{API}/sources/{source['id']}/").status_code == 204
    assert api.get(f"{API}/sources/{source['id']}/").status_code == 404


def test_github_and_jira_secrets_are_write_only_and_required(api):
    github = api.post(
        f"{API}/sources/",
        {"type": "github", "name": "GH", "repositories": ["apache/groovy"], "token": "ghp_" + "a" * 36},
    )
    assert github.status_code == 201 and github.json()["credentials"]["token"].startswith("••••")
    missing = api.post(f"{API}/sources/", {"type": "jira", "name": "J", "base_url": "https://x.atlassian.net"})
    assert missing.status_code == 400 and {"email", "api_token"} & set(missing.json())


def test_sync_now_answers_the_queued_run_and_the_worker_runs_it(
    api, repo, tenant_a, django_capture_on_commit_callbacks
):
    local_embedding(tenant_a)
    source = _git_source(api, repo)
    with django_capture_on_commit_callbacks(execute=False) as sent:
        queued = api.post(f"{API}/sources/{source['id']}/sync/")
    assert queued.status_code == 202 and len(sent) == 1
    run = queued.json()
    assert (run["status"], run["active"], run["source"]) == ("queued", True, source["id"])

    sync_integration_task(source["id"], run["id"])  # what the worker runs
    done = api.get(f"{API}/runs/{run['id']}/").json()
    assert (done["status"], done["active"], done["fetched"], done["created"]) == ("succeeded", False, 3, 3)
    assert done["duration_ms"] is not None and done["errors"] == []
    # A redelivered message finds the run taken and runs nothing twice.
    assert sync_integration_task(source["id"], run["id"]) is None
    listed = api.get(f"{API}/runs/", {"source": source["id"]}).json()
    assert [r["id"] for r in listed["results"]] == [run["id"]]
    assert api.get(f"{API}/sources/{source['id']}/").json()["last_run"]["status"] == "succeeded"


def test_schedules_are_interval_or_cron_and_refuse_bad_input(api, repo):
    source = _git_source(api, repo)
    url = f"{API}/sources/{source['id']}/schedule/"
    every = api.put(url, {"kind": "interval", "every_minutes": 30})
    assert every.status_code == 200 and every.json()["label"] == "every 30 minutes"
    cron = api.put(url, {"kind": "cron", "cron": "15 */6 * * 1-5"}).json()
    assert cron["kind"] == "cron" and cron["cron"] == "15 */6 * * 1-5"
    task = PeriodicTask.objects.get(task="etl.sync_integration_task")
    assert task.crontab.hour == "*/6" and task.interval is None and task.args == f"[{source['id']}]"

    assert api.put(url, {"kind": "interval", "every_minutes": 1}).json()["every_minutes"]
    assert "cron" in api.put(url, {"kind": "cron", "cron": "* * * * *"}).json()
    assert "cron" in api.put(url, {"kind": "cron", "cron": "61 * * * *"}).json()
    assert "cron" in api.put(url, {"kind": "cron", "cron": "every day"}).json()
    assert api.delete(url).status_code == 204
    assert api.get(url).json()["kind"] == "none" and not PeriodicTask.objects.exists()


def _records(tenant):
    repository = make_repository(tenant, "pallets/flask")
    other = make_repository(tenant, "pallets/click")
    commits = make_commits(tenant, [f"FLASK-1 change {i}" for i in range(5)], repository)
    make_commits(tenant, ["click change"], other)
    project = Project.objects.create(client=tenant, key="FLASK")
    item = WorkItem.objects.create(
        client=tenant, project=project, external_id="1", key="FLASK-1", summary="Fix the router", reporter="Ada",
        status="In Review", status_category="indeterminate", created=datetime(2026, 1, 3, tzinfo=UTC),
    )  # fmt: skip
    pr = PullRequest.objects.create(
        client=tenant, repository=repository, number=7, title="Router fix", state="merged", author="ada",
        created=datetime(2026, 1, 2, tzinfo=UTC),
    )  # fmt: skip
    PullRequestCommit.objects.create(client=tenant, pull_request=pr, sha=commits[0].sha)
    PullRequestReview.objects.create(client=tenant, pull_request=pr, external_id="r1", author="bob", state="APPROVED")
    JiraKeyLink.objects.create(client=tenant, jira_key="FLASK-1", commit=commits[0])
    JiraKeyLink.objects.create(client=tenant, jira_key="FLASK-1", pull_request=pr)
    Tag.objects.create(
        client=tenant, repository=repository, name="3.0.0", sha=commits[0].sha,
        release_published_at=datetime(2026, 1, 5, tzinfo=UTC),
    )  # fmt: skip
    return repository, commits, item, pr


def test_record_lists_filter_and_page_with_cursors(api, tenant_a):
    repository, commits, _, _ = _records(tenant_a)
    first = api.get(f"{API}/commits/", {"repository": repository.pk, "limit": 2}).json()
    assert [c["id"] for c in first["results"]] == [commits[4].pk, commits[3].pk]
    second = api.get(first["next"]).json()
    third = api.get(second["next"]).json()
    assert [c["id"] for c in second["results"] + third["results"]] == [commits[2].pk, commits[1].pk, commits[0].pk]
    assert third["next"] is None

    start = commits[0].committed_at
    ranged = api.get(
        f"{API}/commits/",
        {"since": (start + timedelta(hours=1)).isoformat(), "until": (start + timedelta(hours=3)).isoformat()},
    )
    assert [c["title"] for c in ranged.json()["results"]] == ["FLASK-1 change 2", "FLASK-1 change 1"]
    assert api.get(f"{API}/commits/", {"author": "DEV"}).json()["results"]
    assert (
        api.get(f"{API}/work-items/", {"project": "flask", "state": "indeterminate"}).json()["results"][0]["key"]
        == "FLASK-1"
    )
    assert api.get(f"{API}/work-items/", {"state": "done"}).json()["results"] == []
    assert api.get(f"{API}/pull-requests/", {"state": "merged", "author": "ada"}).json()["results"][0]["number"] == 7
    assert api.get(f"{API}/reviews/", {"repository": repository.pk}).json()["results"][0]["state"] == "APPROVED"
    assert api.get(f"{API}/releases/", {"state": "release"}).json()["results"][0]["name"] == "3.0.0"

    bad = api.get(f"{API}/commits/", {"cursor": "not-a-cursor"})
    assert bad.status_code == 400 and "cursor" in bad.json()
    assert "until" in api.get(f"{API}/commits/", {"since": "2026-02-01", "until": "2026-01-01"}).json()
    assert "since" in api.get(f"{API}/commits/", {"since": "yesterday"}).json()


def test_record_details_carry_their_related_records(api, tenant_a):
    _, commits, item, pr = _records(tenant_a)
    detail = api.get(f"{API}/work-items/{item.pk}/").json()
    assert [c["sha"] for c in detail["commits"]] == [commits[0].sha]
    assert [p["number"] for p in detail["pull_requests"]] == [7]
    pr_detail = api.get(f"{API}/pull-requests/{pr.pk}/").json()
    assert pr_detail["jira_keys"] == ["FLASK-1"] and pr_detail["reviews"][0]["author"] == "bob"
    assert [c["sha"] for c in pr_detail["commits"]] == [commits[0].sha]
    commit = api.get(f"{API}/commits/{commits[0].pk}/").json()
    assert [r["name"] for r in commit["releases"]] == ["3.0.0"] and commit["pull_requests"][0]["number"] == 7
    release = api.get(f"{API}/releases/{Tag.objects.get().pk}/").json()
    assert release["commit"]["sha"] == commits[0].sha
    review = api.get(f"{API}/reviews/{PullRequestReview.objects.get().pk}/").json()
    assert review["pull_request"]["number"] == 7


def test_another_tenants_sources_runs_and_records_are_404(api, tenant_b):
    repository, commits, item, pr = _records(tenant_b)
    run = EtlRun.objects.create(client=tenant_b, kind="git")
    for url in (
        f"{API}/runs/{run.pk}/",
        f"{API}/work-items/{item.pk}/",
        f"{API}/pull-requests/{pr.pk}/",
        f"{API}/commits/{commits[0].pk}/",
    ):
        assert api.get(url).status_code == 404, url
    assert api.get(f"{API}/commits/", {"repository": repository.pk}).status_code == 404
    assert api.get(f"{API}/commits/").json()["results"] == []
    assert api.get(f"{API}/runs/").json()["results"] == []


def test_members_read_but_do_not_change_sources(member_a, api_as, api, repo):
    source = _git_source(api, repo)
    member = api_as(member_a)
    assert member.get(f"{API}/sources/").status_code == 200
    assert member.post(f"{API}/sources/{source['id']}/sync/").status_code == 403
    assert member.put(f"{API}/sources/{source['id']}/schedule/", {"kind": "none"}).status_code == 403


def test_the_openapi_schema_documents_the_etl_api(client):
    paths = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()["paths"]
    for path in (
        "/api/v1/etl/sources/",
        "/api/v1/etl/sources/{source_id}/schedule/",
        "/api/v1/etl/sources/{source_id}/sync/",
        "/api/v1/etl/runs/",
        "/api/v1/etl/runs/{run_id}/",
        "/api/v1/etl/work-items/",
        "/api/v1/etl/releases/{release_id}/",
    ):
        assert path in paths, path
    commits = paths["/api/v1/etl/commits/"]["get"]
    assert {"repository", "author", "since", "until", "cursor", "limit"} <= {p["name"] for p in commits["parameters"]}
    assert {"400", "404"} <= set(commits["responses"])
    assert "202" in paths["/api/v1/etl/sources/{source_id}/sync/"]["post"]["responses"]
