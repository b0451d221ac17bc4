"""Answers reused for the same data: an exact cache (the normalised question) and a semantic one
(a question whose embedding is within a cosine threshold of a cached one). Both are scoped to the
tenant, the question's context, the answering settings and the tenant's data version, so a sync
invalidates every answer and no tenant ever sees another's. A paraphrase must also name the same
identifiers and numbers ("GROOVY-12" is not "GROOVY-13"; "last 3 weeks" is not "last 4 weeks")."""

import hashlib
import json
import re

import numpy as np
from django.conf import settings
from django.db.models import F, Max

from ai.providers.errors import AIError
from ai.vectors.embedding import embed_texts, embedding_provider
from analytics.qa.identifiers import identifiers_in
from analytics.qa.models import QACacheEntry
from analytics.qa.text import words
from etl.models import EtlRun
from pulse.core.models import Client

MAX_SEMANTIC_CANDIDATES = 500
NUMBER = re.compile(r"\d+")


def data_version(client: Client) -> str:
    """Changes whenever a sync or import has run for the tenant."""
    latest = EtlRun.objects.for_client(client).aggregate(last=Max("pk"), finished=Max("finished_at"))
    return f"{latest['last'] or 0}:{latest['finished'] or ''}"


def normalized(question: str) -> str:
    """Case, punctuation, stop words and word order do not change the question."""
    return " ".join(sorted(set(words(question))))


def _digest(*parts) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def scope_of(client: Client, context: dict, answer_settings: dict) -> str:
    return _digest(client.pk, context, answer_settings, data_version(client))


def _signature(question: str) -> tuple:
    return identifiers_in(question), sorted(NUMBER.findall(question))


def _embedding(client: Client, question: str) -> tuple[np.ndarray, str] | None:
    try:
        provider = embedding_provider(client)
        item = embed_texts(client=client, texts=[question], provider=provider).items[0]
    except AIError:
        return None  # no embedding model now: the exact cache still works
    vector = np.asarray(item.vector, dtype="<f4")
    return vector / (np.linalg.norm(vector) or 1.0), item.model.key


def cache_lookup(*, client: Client, scope: str, question: str) -> tuple[dict, str, str] | None:
    """(the cached response, "exact" or "semantic", the question it answered), or None."""
    key = _digest(normalized(question), scope)
    entry = QACacheEntry.objects.for_client(client).filter(key=key).first()
    kind = "exact"
    if entry is None and (found := _embedding(client, question)) is not None:
        vector, model = found
        entry, kind = _nearest(client, scope, question, vector, model), "semantic"
    if entry is None:
        return None
    QACacheEntry.objects.filter(pk=entry.pk).update(hits=F("hits") + 1)
    return entry.response, kind, entry.question


def _nearest(client: Client, scope: str, question: str, vector: np.ndarray, model: str) -> QACacheEntry | None:
    candidates = list(
        QACacheEntry.objects.for_client(client)
        .filter(scope=scope, embedding_model=model, embedding__isnull=False)
        .order_by("-pk")[:MAX_SEMANTIC_CANDIDATES]
    )
    if not candidates:
        return None
    matrix = np.stack([np.frombuffer(bytes(c.embedding), dtype="<f4") for c in candidates])
    similarity = matrix @ vector
    signature = _signature(question)
    for index in np.argsort(-similarity):
        if similarity[index] < settings.QA_SEMANTIC_CACHE_THRESHOLD:
            return None
        if _signature(candidates[index].question) == signature:
            return candidates[index]
    return None


def cache_store(*, client: Client, scope: str, question: str, response: dict) -> None:
    found = _embedding(client, question)
    QACacheEntry.objects.update_or_create(
        client=client,
        key=_digest(normalized(question), scope),
        defaults={
            "scope": scope,
            "question": question,
            "embedding": found[0].tobytes() if found else None,
            "embedding_model": found[1] if found else "",
            "response": response,
        },
    )
