"""The local git source against a real repository the test builds with git."""

import shutil
import subprocess
from pathlib import Path

import pytest

from etl.clients.git import GitSourceError, head_sha, iter_commits

GIT = shutil.which("git")


def _git(repo: Path, *args: str) -> str:
    env = {
        "GIT_AUTHOR_NAME": "Ada",
        "GIT_AUTHOR_EMAIL": "ada@example.org",
        "GIT_COMMITTER_NAME": "Bob",
        "GIT_COMMITTER_EMAIL": "bob@example.org",
        "HOME": str(repo),
        "PATH": "/usr/bin:/bin",
    }
    return subprocess.run([GIT, "-C", str(repo), *args], check=True, capture_output=True, text=True, env=env).stdout


@pytest.fixture
def repo(tmp_path) -> Path:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    (repo / "src").mkdir()
    (repo / "src" / "Parser.groovy").write_text("class Parser {\n  def parse() {}\n}\n")
    (repo / "README.md").write_text("# demo\n")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "PULSE-1: Add the parser\n\nA longer body\nover two lines.")
    (repo / "src" / "Parser.groovy").write_text("class Parser {\n  def parse(String s) { s }\n}\n")
    (repo / "logo.png").write_bytes(bytes(range(256)) * 4)
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "Parse strings; add a binary logo")
    _git(repo, "mv", "src/Parser.groovy", "src/JsonParser.groovy")
    _git(repo, "commit", "-q", "-m", "PULSE-2: Rename the parser")
    return repo


def test_commits_come_with_files_counts_renames_and_binaries(repo):
    commits = list(iter_commits(repo))

    assert [c["message"].splitlines()[0] for c in commits] == [
        "PULSE-2: Rename the parser",
        "Parse strings; add a binary logo",
        "PULSE-1: Add the parser",
    ]
    renamed, binary, first = commits
    assert renamed["files"] == [
        {"path": "src/JsonParser.groovy", "previous_path": "src/Parser.groovy", "additions": 0, "deletions": 0}
    ]
    logo = next(f for f in binary["files"] if f["path"] == "logo.png")
    assert logo == {"path": "logo.png", "additions": None, "deletions": None}
    assert binary["stats"] == {"files": 2, "additions": 1, "deletions": 1}
    assert first["message"] == "PULSE-1: Add the parser\n\nA longer body\nover two lines."
    assert first["author_name"] == "Ada" and first["committer_name"] == "Bob" and first["parents"] == []
    assert renamed["parents"] == [binary["sha"]]


def test_incremental_from_the_last_seen_sha(repo):
    last = head_sha(repo)
    assert list(iter_commits(repo, since_sha=last)) == []

    (repo / "NEW.md").write_text("new\n")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "Add NEW")

    assert [c["message"] for c in iter_commits(repo, since_sha=last)] == ["Add NEW"]


def test_not_a_repository_and_unknown_ref_are_clear_errors(tmp_path, repo):
    with pytest.raises(GitSourceError):
        list(iter_commits(tmp_path / "missing"))
    with pytest.raises(GitSourceError, match="rev-parse failed"):
        list(iter_commits(repo, ref="no-such-branch"))


@pytest.mark.django_db(transaction=True)  # the command syncs on its own thread and connection
def test_a_git_integration_syncs_incrementally_and_schedules(repo, tenant_a):
    import io

    from django.core.management import call_command
    from django_celery_beat.models import PeriodicTask

    from ai.models import VectorBridge
    from etl.models import Commit
    from pulse.core.models import Integration
    from tests.ai.factories import local_embedding

    local_embedding(tenant_a)
    git = Integration.objects.create(
        client=tenant_a,
        integration_type="git",
        integration_name="repo",
        configuration={"path": str(repo), "branch": "main", "repository": "demo/repo"},
    )
    out = io.StringIO()

    call_command("sync_integration", str(git.pk), "--every", "60", stdout=out)
    (repo / "NEW.md").write_text("new\n")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "Add NEW")
    call_command("sync_integration", str(git.pk), stdout=out)

    assert "3 created" in out.getvalue() and "1 created" in out.getvalue()
    assert Commit.objects.filter(client=tenant_a).count() == 4
    assert VectorBridge.objects.filter(client=tenant_a, table_name="commits").count() == 4
    task = PeriodicTask.objects.get(task="etl.sync_integration_task")
    assert task.interval.every == 60 and task.args == f"[{git.pk}]"


@pytest.mark.django_db(transaction=True)
def test_import_git_repo_command_and_a_sync_with_the_embedding_provider_down(repo, tenant_a, respx_mock):
    import io

    from django.core.management import call_command

    from ai.models import ClientAIConfiguration, VectorBridge
    from ai.vectors.backfill import backfill_run, backfill_start
    from etl.models import Commit, EtlRun
    from tests.ai.factories import ai_integration, fake_embeddings

    remote = ai_integration(
        tenant_a, "Remote", base_url="https://emb.example/v1", dimensions=384, performance={"max_retries": 0}
    )
    ClientAIConfiguration.objects.create(
        client=tenant_a, config_category="models", configuration={"embedding": remote.pk}
    )
    route = respx_mock.post("https://emb.example/v1/embeddings").respond(503, json={"error": {"message": "down"}})
    out = io.StringIO()

    call_command("import_git_repo", str(repo), "--client", tenant_a.slug, "--branch", "main", stdout=out)

    run = EtlRun.objects.get(client=tenant_a)
    assert (run.status, run.created, run.vectorized, run.vector_failed) == ("partial", 3, 0, 3)
    assert "3 queued for the backfill" in out.getvalue()
    assert Commit.objects.filter(client=tenant_a).count() == 3 and VectorBridge.objects.count() == 0

    route.side_effect = lambda request: fake_embeddings(request, fail=False)
    job, _ = backfill_start(client=tenant_a)
    assert backfill_run(job_id=job.pk).succeeded == 3
    assert VectorBridge.objects.filter(client=tenant_a).count() == 3
