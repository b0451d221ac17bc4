"""GitHub tags and releases (and merge commits) at the HTTP layer, with GitHub's example payloads
(tests/fixtures/github) given this repository's names, shas and dates."""

import copy
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from etl.models import Commit, Repository, Tag
from etl.services.sync import sync_integration
from pulse.core.models import Integration

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "github"
API = "https://api.github.com/repos/octo/pulse"
C1, C2, C3, T1 = "1" * 40, "2" * 40, "3" * 40, "a" * 40


def _load(name):
    return json.loads((FIXTURES / name).read_text())


def _ref(name: str, kind: str, sha: str) -> dict:
    ref = copy.deepcopy(_load("git-ref-items.json")[0])
    ref.update(ref=f"refs/tags/{name}", url=f"{API}/git/refs/tags/{name}")
    ref["object"].update(type=kind, sha=sha)
    return ref


def _release(tag: str, published: str | None, *, prerelease=False, draft=False) -> dict:
    release = copy.deepcopy(_load("release-items.json")[0])
    release.update(tag_name=tag, name=tag, published_at=published, prerelease=prerelease, draft=draft)
    return release


@pytest.fixture
def github(tenant_a):
    return Integration.objects.create(
        client=tenant_a,
        integration_type="github",
        integration_name="GitHub",
        credentials={"token": "ghp_test_token_0123456789"},
        configuration={"repositories": ["octo/pulse"]},
    )


@pytest.fixture
def api(respx_mock):
    """No pull requests; one normal commit and one merge; three tags, three releases."""
    merge = copy.deepcopy(_load("commit-items.json")[0])
    merge["sha"] = C3
    merge["parents"] = [{"sha": C1}, {"sha": C2}]
    merge["commit"]["message"] = "Merge pull request #7 from octo/fix\n\nFix the build"
    normal = copy.deepcopy(_load("commit-items.json")[0])
    detail = _load("commit.json")
    respx_mock.get(f"{API}/pulls").respond(200, json=[])
    respx_mock.get(f"{API}/commits").respond(200, json=[merge, normal])
    single = respx_mock.get(f"{API}/commits/{detail['sha']}").respond(200, json=detail)
    repository = respx_mock.get(API).respond(200, json=_load("full-repository-default-response.json"))
    tag_object = copy.deepcopy(_load("git-tag.json"))
    tag_object.update(tag="v1.0.0", sha=T1)
    tag_object["tagger"]["date"] = "2026-01-05T10:00:00Z"
    tag_object["object"].update(type="commit", sha=C1)
    return {
        "refs": respx_mock.get(f"{API}/git/matching-refs/tags").respond(
            200, json=[_ref("v1.0.0", "tag", T1), _ref("v1.1.0", "commit", C2), _ref("v1.2.0-beta", "commit", C3)]
        ),
        "tag": respx_mock.get(f"{API}/git/tags/{T1}").respond(200, json=tag_object),
        "releases": respx_mock.get(f"{API}/releases").respond(
            200,
            json=[
                _release("v2.0.0", None, draft=True),
                _release("v1.2.0-beta", "2026-01-20T09:00:00Z", prerelease=True),
                _release("v1.1.0", "2026-01-12T09:00:00Z"),
            ],
        ),
        "repository": repository,
        "single_commit": single,
    }


def test_tags_come_peeled_with_tagger_dates_and_their_releases(github, tenant_a, api):
    run = sync_integration(integration=github)

    assert run.status in ("succeeded", "partial"), run.errors
    tags = {tag.name: tag for tag in Tag.objects.for_client(tenant_a)}
    assert set(tags) == {"v1.0.0", "v1.1.0", "v1.2.0-beta"}
    annotated = tags["v1.0.0"]
    assert (annotated.sha, annotated.object_sha, annotated.annotated) == (C1, T1, True)
    assert annotated.tagged_at == datetime(2026, 1, 5, 10, tzinfo=UTC) and annotated.release_published_at is None
    released = tags["v1.1.0"]
    assert (released.sha, released.annotated, released.tagged_at) == (C2, False, None)
    assert released.release_published_at == datetime(2026, 1, 12, 9, tzinfo=UTC) and not released.release_prerelease
    assert tags["v1.2.0-beta"].release_prerelease
    assert Repository.objects.for_client(tenant_a).get().default_branch == "master"


def test_merge_commits_are_stored_from_the_listing_with_their_parents(github, tenant_a, api):
    sync_integration(integration=github)

    merge = Commit.objects.for_client(tenant_a).get(sha=C3)
    assert merge.parents == [C1, C2] and merge.files == []
    assert api["single_commit"].call_count == 1  # only the normal commit is fetched for its files


def test_a_second_sync_fetches_only_new_tag_objects_and_new_releases(github, tenant_a, api, respx_mock):
    sync_integration(integration=github)
    api["releases"].respond(
        200,
        json=[
            _release("v1.3.0", "2026-02-01T09:00:00Z"),
            _release("v1.2.0-beta", "2026-01-20T09:00:00Z", prerelease=True),
            _release("v1.1.0", "2026-01-12T09:00:00Z"),
        ],
    )
    api["refs"].respond(200, json=[_ref("v1.0.0", "tag", T1), _ref("v1.3.0", "commit", C3)])

    second = sync_integration(integration=github)

    assert second.status in ("succeeded", "partial"), second.errors
    tags = {tag.name: tag for tag in Tag.objects.for_client(tenant_a)}
    assert set(tags) == {"v1.0.0", "v1.3.0"}  # v1.1.0 and the beta were deleted at the source
    assert tags["v1.0.0"].tagged_at == datetime(2026, 1, 5, 10, tzinfo=UTC)  # kept, not fetched again
    assert tags["v1.3.0"].release_published_at == datetime(2026, 2, 1, 9, tzinfo=UTC)
    assert api["tag"].call_count == 1 and api["repository"].call_count == 1
