"""Importing commits from JSON Lines: stored, vectorized, idempotent, failing cleanly."""

import io
import json
import re
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from ai.models import AIUsageTracking, ClientAIConfiguration, VectorBridge
from ai.vectors.backfill import backfill_run, backfill_start
from ai.vectors.search import vectors_search
from etl.models import Commit, EtlRun, JiraKeyLink
from etl.services.imports import commits_import_file
from tests.ai.factories import ai_integration, local_embedding

pytestmark = pytest.mark.django_db
SAMPLE = Path(__file__).resolve().parent.parent / "fixtures" / "commits" / "apache-groovy-30.jsonl"


@pytest.fixture
def local(tenant_a):
    return local_embedding(tenant_a)


def test_import_stores_and_vectorizes_every_commit_and_is_searchable(tenant_a, local):
    out = io.StringIO()
    call_command("import_commits", str(SAMPLE), "--client", tenant_a.slug, stdout=out)

    assert Commit.objects.filter(client=tenant_a).count() == 30
    assert VectorBridge.objects.filter(client=tenant_a, table_name="commits").count() == 30
    assert "30 vectorized" in out.getvalue() and "vectors/s" in out.getvalue()
    first = json.loads(SAMPLE.read_text().splitlines()[0])
    commit = Commit.objects.get(sha=first["sha"])
    assert commit.repository.full_name == "apache/groovy"
    assert [(f["path"], f["additions"], f["deletions"]) for f in commit.files] == [
        (f["path"], f["additions"], f["deletions"]) for f in first["files"]
    ]
    assert commit.additions == first["stats"]["additions"]
    hits = vectors_search(client=tenant_a, query_text=first["subject"], table_names=["commits"], limit=3)
    assert hits[0].fields["sha"] == first["sha"]
    keys = {
        k
        for m in (json.loads(line)["message"] for line in SAMPLE.read_text().splitlines())
        for k in re.findall(r"\b([A-Z][A-Z0-9_]{1,20}-\d{1,7})\b", m)
    }
    assert set(JiraKeyLink.objects.filter(client=tenant_a).values_list("jira_key", flat=True)) == keys


def test_importing_twice_changes_nothing(tenant_a, local):
    commits_import_file(client=tenant_a, path=SAMPLE)
    calls = AIUsageTracking.objects.count()
    vectors = list(VectorBridge.objects.order_by("id").values_list("id", "content_hash", "updated_at"))

    run = commits_import_file(client=tenant_a, path=SAMPLE)

    assert (run.status, run.created, run.updated, run.unchanged, run.vectorized) == ("succeeded", 0, 0, 30, 0)
    assert AIUsageTracking.objects.count() == calls
    assert list(VectorBridge.objects.order_by("id").values_list("id", "content_hash", "updated_at")) == vectors


def test_a_malformed_line_fails_the_run_cleanly_keeping_earlier_batches(tenant_a, local, tmp_path):
    lines = SAMPLE.read_text().splitlines()
    lines[24] = '{"sha": "abc", "committed_date": "yesterday-ish"}'
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(lines) + "\n")

    run = commits_import_file(client=tenant_a, path=bad, batch_size=10)

    assert run.status == "failed"
    assert run.errors[0] == "line 25: unreadable date 'yesterday-ish'"
    assert Commit.objects.filter(client=tenant_a).count() == 20  # two whole batches, nothing of the third
    assert VectorBridge.objects.filter(client=tenant_a).count() == 20
    with pytest.raises(CommandError, match="failed"):
        call_command("import_commits", str(bad), "--client", tenant_a.slug, stdout=io.StringIO())


def test_not_json_is_reported_with_its_line_number(tenant_a, local, tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(SAMPLE.read_text().splitlines()[0] + "\n{not json\n")

    run = commits_import_file(client=tenant_a, path=bad)

    assert run.status == "failed" and run.errors[0].startswith("line 2:")
    assert Commit.objects.count() == 0  # the one good line was in the same, unwritten batch


def test_embedding_provider_down_stores_everything_and_the_backfill_completes(tenant_a, respx_mock):
    remote = ai_integration(
        tenant_a, "Remote", base_url="https://emb.example/v1", dimensions=384, performance={"max_retries": 0}
    )
    ClientAIConfiguration.objects.create(
        client=tenant_a, config_category="models", configuration={"embedding": remote.pk}
    )
    route = respx_mock.post("https://emb.example/v1/embeddings").respond(503, json={"error": {"message": "down"}})

    run = commits_import_file(client=tenant_a, path=SAMPLE)

    assert (run.status, run.created, run.vectorized, run.vector_failed) == ("partial", 30, 0, 30)
    assert "queued for the backfill" in run.errors[0]
    assert Commit.objects.filter(client=tenant_a).count() == 30 and VectorBridge.objects.count() == 0

    from tests.ai.factories import fake_embeddings

    route.side_effect = lambda request: fake_embeddings(request, fail=False)
    job, _ = backfill_start(client=tenant_a)
    done = backfill_run(job_id=job.pk)

    assert (done.status, done.succeeded) == ("succeeded", 30)
    assert VectorBridge.objects.filter(client=tenant_a).count() == 30
    assert EtlRun.objects.get(pk=run.pk).status == "partial"
