"""The Ask page's stream: server-sent events with the model's text as it arrives, then the id of
the checked answer. The vendor streams in OpenAI's server-sent-events shape, faked at the HTTP layer."""

import json
from pathlib import Path

import httpx
import pytest
from django.urls import reverse

from analytics.qa.models import QAInteraction
from etl.services.imports import commits_import_file
from tests.ai.factories import ai_integration, local_embedding

pytestmark = pytest.mark.django_db(transaction=True)  # the answer is written on its own thread
FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "commits" / "apache-groovy-30.jsonl"
PIECES = ['{"answer": "Import rules now', " cover casts [1]", '.", "citations": [1]}']


def openai_stream(request: httpx.Request) -> httpx.Response:
    """Chat completion chunks as OpenAI streams them, the usage in the last chunk."""
    assert json.loads(request.content)["stream"] is True
    base = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 0, "model": "gpt-4o-mini-2024-07-18"}
    chunks = [
        {**base, "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]} for piece in PIECES
    ]
    chunks.append({**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
    chunks.append(
        {**base, "choices": [], "usage": {"prompt_tokens": 420, "completion_tokens": 17, "total_tokens": 437}}
    )
    body = "".join(f"data: {json.dumps(chunk)}\n\n" for chunk in chunks) + "data: [DONE]\n\n"
    return httpx.Response(200, text=body, headers={"content-type": "text/event-stream"})


def _events(response) -> list[tuple[str, object]]:
    text = b"".join(response.streaming_content).decode()
    out = []
    for block in filter(None, text.split("\n\n")):
        kind = block.split("\n")[0].removeprefix("event: ")
        out.append((kind, json.loads(block.split("\n")[1].removeprefix("data: "))))
    return out


def test_the_answer_streams_then_the_checked_answer_is_kept(client, admin_a, tenant_a, respx_mock):
    local_embedding(tenant_a)
    commits_import_file(client=tenant_a, path=FIXTURE)
    ai_integration(tenant_a, "GPT", model="gpt-4o-mini", subtype="llm", dimensions=None)
    respx_mock.post("https://api.openai.com/v1/chat/completions").mock(side_effect=openai_stream)
    client.force_login(admin_a)

    response = client.post(reverse("hub:ask-stream"), {"question": "What did GROOVY-12283 change?"})
    events = _events(response)

    assert response["Content-Type"] == "text/event-stream"
    assert [e for e in events if e[0] == "delta"] == [("delta", piece) for piece in PIECES]
    kind, data = events[-1]
    answer = QAInteraction.objects.get(pk=data["id"]).response
    assert kind == "done" and answer["answer"] == "Import rules now cover casts [1]." and answer["found"]
    assert answer["usage"]["tokens"] == 437 and answer["mode"] == "generative"


def test_without_a_model_the_stream_only_says_where_the_answer_is(client, member_a, tenant_a):
    local_embedding(tenant_a)
    commits_import_file(client=tenant_a, path=FIXTURE)
    client.force_login(member_a)

    events = _events(client.post(reverse("hub:ask-stream"), {"question": "What did GROOVY-12283 change?"}))
    empty = client.post(reverse("hub:ask-stream"), {"question": " "})

    assert [kind for kind, _ in events] == ["done"]
    assert QAInteraction.objects.get(pk=events[0][1]["id"]).mode == "extractive"
    assert empty.status_code == 400 and "question" in empty.json()
