"""Testing & Analytics: embed a text, search the tenant's records, provider latency and errors."""

import math
import time

from django.conf import settings
from django.contrib import messages
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from ai.execution.calls import execute_embedding
from ai.execution.usage import provider_latency_stats
from ai.providers.errors import AIError
from ai.vectors.search import vectors_search
from ai.vectors.sources import vector_sources
from hub.forms import EmbedTestForm, RangeForm, SearchForm
from hub.views.common import tenant_page


def _embed(request, form: EmbedTestForm) -> dict | None:
    started = time.perf_counter()
    try:
        outcome = execute_embedding(
            client=request.client, texts=[form.cleaned_data["text"]], max_seconds=settings.AI_REQUEST_MAX_SECONDS
        )
    except AIError as exc:
        messages.error(request, f"Embedding failed: {exc}")
        return None
    vector = outcome.vectors[0]
    return {
        "dimensions": len(vector),
        "norm": math.sqrt(sum(x * x for x in vector)),
        "latency_ms": (time.perf_counter() - started) * 1000,
        "provider": outcome.integration.integration_name,
        "provider_type": outcome.integration.provider,
        "model": outcome.model,
        "head": [round(x, 4) for x in vector[:8]],
        "attempts": outcome.attempts,
    }


def _search(request, form: SearchForm) -> dict | None:
    tables = form.cleaned_data["tables"] or [s.table_name for s in vector_sources()]
    floor = settings.PULSE_SEARCH_MIN_SIMILARITY
    started = time.perf_counter()
    try:
        hits = vectors_search(
            client=request.client,
            query_text=form.cleaned_data["q"],
            table_names=tables,
            limit=form.cleaned_data["limit"] or 10,
            mode=form.cleaned_data["mode"],
            score_threshold=floor,
        )
    except AIError as exc:
        messages.error(request, f"Search failed: {exc}")
        return None
    rows = [
        {
            "hit": hit,
            "title": next(
                (hit.fields[k] for k in ("title", "summary", "key", "sha") if hit.fields.get(k)), hit.preview
            ),
        }
        for hit in hits
    ]
    return {
        "hits": rows,
        "latency_ms": (time.perf_counter() - started) * 1000,
        "tables": tables,
        "mode": form.cleaned_data["mode"],
        "floor": floor,
        "query": form.cleaned_data["q"],
    }


@tenant_page
@require_http_methods(["GET", "POST"])
def testing_page(request):
    # Embedding a text and searching change no setting: members may use both, as in the API.
    embed_form = EmbedTestForm(request.POST or None)
    embedding = _embed(request, embed_form) if request.method == "POST" and embed_form.is_valid() else None
    search_form = SearchForm(request.GET if "q" in request.GET else None)
    search = _search(request, search_form) if search_form.is_bound and search_form.is_valid() else None
    range_form = RangeForm(request.GET)
    range_key = (range_form.cleaned_data.get("range") if range_form.is_valid() else None) or "7d"
    status = (
        400 if (embed_form.is_bound and embed_form.errors) or (search_form.is_bound and search_form.errors) else 200
    )
    return render(
        request,
        "hub/testing.html",
        {
            "section": "testing",
            "embed_form": embed_form,
            "embedding": embedding,
            "search_form": search_form if search_form.is_bound else SearchForm(),
            "search": search,
            "range": range_key,
            "ranges": list(RangeForm.base_fields["range"].choices),
            "stats": provider_latency_stats(client=request.client, range_key=range_key),
        },
        status=status,
    )
