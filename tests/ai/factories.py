import hashlib
import json
from decimal import Decimal
from pathlib import Path

import httpx

from pulse.core.models import Client, Integration

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "providers"


def payload(name: str) -> dict:
    return json.loads((FIXTURES / name).read_text())


def ai_integration(
    client: Client,
    name: str,
    *,
    provider: str = "openai",
    model: str = "text-embedding-3-small",
    subtype: str = "embedding",
    base_url: str = "",
    api_key: str = "sk-test-key-0000000000000000",
    dimensions: int | None = 3,
    configuration: dict | None = None,
    performance: dict | None = None,
    fallback: Integration | None = None,
    **model_config,
) -> Integration:
    config = {"model_name": model, **model_config}
    if dimensions is not None:
        config["dimensions"] = dimensions
    return Integration.objects.create(
        client=client,
        integration_type="ai_model",
        integration_subtype=subtype,
        integration_name=name,
        base_url=base_url,
        credentials={"api_key": api_key} if api_key else {},
        configuration={"provider": provider, **(configuration or {})},
        model_config=config,
        performance_config=performance or {},
        fallback_integration=fallback,
    )


def openai_embeddings_reply(request: httpx.Request) -> httpx.Response:
    """An embeddings response with one vector per input, in OpenAI's documented shape."""
    texts = json.loads(request.content)["input"]
    base = payload("openai_embeddings.json")
    vectors = [item["embedding"] for item in base["data"]]
    base["data"] = [
        {"object": "embedding", "index": i, "embedding": vectors[i % len(vectors)]} for i in range(len(texts))
    ]
    base["usage"] = {"prompt_tokens": 6 * len(texts), "total_tokens": 6 * len(texts)}
    return httpx.Response(200, json=base)


def local_embedding(client: Client) -> Integration:
    """The offline MiniLM model, pinned as the tenant's embedding model."""
    from ai.models import ClientAIConfiguration

    integration = ai_integration(
        client, "Local MiniLM", provider="sentence_transformers", model="all-MiniLM-L6-v2", api_key="", dimensions=None
    )
    ClientAIConfiguration.objects.update_or_create(
        client=client, config_category="models", defaults={"configuration": {"embedding": integration.pk}}
    )
    return integration


def fake_embeddings(request: httpx.Request, *, fail: bool) -> httpx.Response:
    """An OpenAI-shaped embeddings reply with a deterministic 384-d vector per text, or a 503."""
    if fail:
        return httpx.Response(503, json={"error": {"message": "overloaded"}})
    texts = json.loads(request.content)["input"]
    data = []
    for i, text in enumerate(texts):
        seed = hashlib.sha256(text.encode()).digest()
        vector = [((seed[j % 32] + j) % 17 - 8) / 8 + 0.01 for j in range(384)]
        data.append({"object": "embedding", "index": i, "embedding": vector})
    return httpx.Response(
        200,
        json={
            "object": "list",
            "data": data,
            "model": "text-embedding-3-small",
            "usage": {"prompt_tokens": 5 * len(texts), "total_tokens": 5 * len(texts)},
        },
    )


def ledger_row(
    client: Client, when=None, *, provider: str, cost, tokens: int, latency=None, success=True, unpriced=False
):
    """A usage ledger row as the execution path writes it, dated `when` (default: now)."""
    from ai.models import AIUsageTracking

    row = AIUsageTracking.objects.create(
        client=client,
        provider=provider,
        operation="embedding",
        model_name="m",
        input_tokens=tokens,
        total_tokens=tokens,
        cost=None if unpriced else Decimal(cost),
        cost_unpriced=unpriced,
        latency_ms=latency,
        success=success,
    )
    if when is not None:
        AIUsageTracking.objects.filter(pk=row.pk).update(created_at=when)
    return row
