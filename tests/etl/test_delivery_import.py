"""Real history in: a slice of pallets/flask's commits and tags (tests/fixtures/delivery), imported
from JSON Lines; the pull requests derived from its merges are checked against the PR list
exported with the data."""

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils.dateparse import parse_datetime

from analytics.metrics.services import delivery_compute
from analytics.models import Deployment
from etl.models import EtlRun, PullRequest, PullRequestCommit, Tag
from etl.services.imports import commits_import_file
from etl.services.tags import tags_import_file

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "delivery"
COMMITS = FIXTURES / "pallets-flask-2.3.1..2.3.3.commits.jsonl"
TAGS = FIXTURES / "pallets-flask-2.3.1..2.3.3.tags.jsonl"
PULLS = FIXTURES / "pallets-flask-2.3.1..2.3.3.pulls.jsonl"


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture
def imported(tenant_a):
    run = commits_import_file(client=tenant_a, path=COMMITS, vectorize=False)
    assert (run.status, run.created) == ("succeeded", 70)
    return run


def test_pull_requests_derived_from_imported_commits_match_the_exported_list(imported, tenant_a):
    in_slice = {commit["sha"] for commit in _lines(COMMITS)}
    derived = {pr.number: pr for pr in PullRequest.objects.for_client(tenant_a)}
    expected = _lines(PULLS)

    assert sorted(derived) == sorted(pull["number"] for pull in expected)
    assert {pull["merge_style"] for pull in expected} == {"merge_pull_request", "pr_title"}
    for pull in expected:
        pr = derived[pull["number"]]
        links = set(
            PullRequestCommit.objects.for_client(tenant_a).filter(pull_request=pr).values_list("sha", flat=True)
        )
        assert links == {sha for sha in pull["commit_shas"] if sha in in_slice}, pull["number"]
        assert pr.merged_at == parse_datetime(pull["merged_at"])
        assert (pr.raw["merge_sha"], pr.raw["merge_style"]) == (pull["merge_sha"], pull["merge_style"])
        assert pr.title == (pull["title"] or pr.title) and pr.title
        if links == set(pull["commit_shas"]):
            assert parse_datetime(pr.raw["first_commit_authored_at"]) == parse_datetime(
                pull["first_commit_authored_at"]
            )
    # PR #5086 merges the 2.3.1 release commit, which is outside the slice.
    assert not PullRequestCommit.objects.for_client(tenant_a).filter(pull_request=derived[5086]).exists()


def test_derivation_never_overwrites_a_pull_request_synced_from_github(imported, tenant_a):
    number = _lines(PULLS)[0]["number"]
    PullRequest.objects.for_client(tenant_a).filter(number=number).update(
        external_id="123456", title="GitHub's own title", merged_at=None
    )

    commits_import_file(client=tenant_a, path=COMMITS, vectorize=False)  # derives again

    kept = PullRequest.objects.for_client(tenant_a).get(number=number)
    assert (kept.external_id, kept.title, kept.merged_at) == ("123456", "GitHub's own title", None)


def test_tags_import_and_deployments_count_each_commit_once_across_release_lines(imported, tenant_a):
    out = io.StringIO()

    call_command("import_tags", str(TAGS), "--client", tenant_a.slug, "--repository", "pallets/flask", stdout=out)
    delivery_compute(client=tenant_a)

    assert "4 tags read, 4 created" in out.getvalue()
    tags = {tag.name: tag for tag in Tag.objects.for_client(tenant_a)}
    assert tags["2.3.3"].tagged_at == parse_datetime("2023-08-21T10:57:53-07:00") and tags["2.3.3"].annotated
    deployments = list(Deployment.objects.for_client(tenant_a).order_by("deployed_at"))
    assert [d.name for d in deployments] == ["2.3.2", "2.2.5", "2.3.3"]  # 2.2.x is an archive tag
    non_merge = [commit for commit in _lines(COMMITS) if len(commit["parents"]) < 2]
    # Every non-merge commit of the slice ships exactly once, whichever release line holds it first.
    assert sum(d.commit_count for d in deployments) == len(non_merge) == 48
    assert all(d.commit_count > 0 for d in deployments) and not any(d.failed for d in deployments)


def test_a_malformed_tags_file_fails_whole_and_names_the_line(tmp_path, tenant_a):
    bad = tmp_path / "tags.jsonl"
    bad.write_text(TAGS.read_text().splitlines()[0] + '\n{"name": "2.3.4"}\n')

    run = tags_import_file(client=tenant_a, path=bad, repository_name="pallets/flask")

    assert run.status == EtlRun.Status.FAILED and run.errors == ["line 2: a tag needs a name and a commit sha"]
    assert not Tag.objects.for_client(tenant_a).exists()
    with pytest.raises(CommandError, match="line 2"):
        call_command("import_tags", str(bad), "--client", tenant_a.slug, "--repository", "pallets/flask")
