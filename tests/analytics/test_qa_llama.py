"""Ask Pulse through a real OpenAI-compatible server (llama.cpp with SmolLM2-135M, toy quality),
configured as the keyless "local server" provider: the wire protocol with JSON output, the
ledger row, and an answer that is either grounded in the sources or says it is not found."""

import json
from pathlib import Path

import pytest

from ai.models import AIUsageTracking
from analytics.qa.services import qa_ask
from etl.services.imports import commits_import_file
from tests.ai.factories import ai_integration, local_embedding

pytestmark = pytest.mark.django_db
FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "commits" / "apache-groovy-30.jsonl"


def test_a_local_llama_cpp_server_answers_from_the_sources(tenant_a, llama_server, settings):
    settings.AI_REQUEST_MAX_SECONDS = 120  # two shared cores; the point is the protocol, not speed
    local_embedding(tenant_a)
    commits_import_file(client=tenant_a, path=FIXTURE)
    ai_integration(
        tenant_a,
        "Local llama.cpp",
        provider="local_openai",
        model="smollm2",
        subtype="llm",
        api_key="",
        dimensions=None,
        base_url=llama_server,
        max_tokens=2048,  # the server's context (--n_ctx): the sources are trimmed to fit it
    )

    answer = qa_ask(client=tenant_a, user=None, question="What did GROOVY-12283 change?")

    assert not answer["notes"], answer["notes"]
    ledger = AIUsageTracking.objects.get(client=tenant_a, request_metadata__purpose="qa", success=True)
    assert answer["mode"] == "generative" and ledger.success and ledger.cost == 0  # self-hosted: free
    assert ledger.input_tokens > 0 and answer["usage"]["tokens"] == ledger.total_tokens
    if answer["found"]:
        assert {c["n"] for c in answer["citations"]} <= set(range(1, 9)) and "[" in answer["answer"]
    else:
        assert answer["answer"] == "Not found in your data." and answer["citations"]
    json.dumps(answer)  # the response is plain JSON
