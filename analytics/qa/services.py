"""Ask a question: the router picks the agent, the cache answers repeats, and a search answer is
written by the tenant's Q&A model (generative) or, without one, quoted from the sources
(extractive). Each question is kept with its answer for the history and feedback."""

import time
from datetime import UTC, datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import Http404

from ai.execution.budgets import BudgetExceededError
from ai.execution.calls import execute_generation, token_counter
from ai.execution.routing import NoProviderError
from ai.providers.base import TextSink
from ai.providers.errors import AIError
from analytics.metrics.selectors import window_parse
from analytics.qa import generative
from analytics.qa.cache import cache_lookup, cache_store, scope_of
from analytics.qa.choice import answer_models, qa_settings
from analytics.qa.extractive import extract
from analytics.qa.metrics_answer import metrics_answer
from analytics.qa.models import QAInteraction
from analytics.qa.retrieval import Source, retrieve
from analytics.qa.router import Route, route_question, window_of
from analytics.qa.text import words
from analytics.sql.services import sql_answer, sql_as_qa
from etl.models import Repository
from pulse.core.models import Client, Integration, User

NOT_FOUND = "Not found in your data."
DEFAULT_SOURCE_TOKENS = 1000  # when the model's context size is unknown


def _citations(sources: list[Source], cited: list[int]) -> list[dict]:
    chosen = [s for s in sources if s.n in cited] or sources
    return [
        {
            "n": s.n,
            "table": s.table,
            "record_id": s.record_id,
            "title": s.title,
            "url": s.url,
            "snippet": s.snippet,
            "score": round(s.score, 3),
        }
        for s in chosen
    ]


def _follow_ups(question: str, sources: list[Source]) -> list[str]:
    asks = []
    for source in sources[:3]:
        fields = source.fields
        if fields.get("key"):
            asks.append(f"What else changed for {fields['key']}?")
        elif fields.get("number"):
            asks.append(f"Who reviewed pull request #{fields['number']}?")
        elif fields.get("sha"):
            asks.append(
                f"What else did {fields.get('author') or 'the author'} change around commit {fields['sha'][:10]}?"
            )
    if "lead time" not in question.lower():
        asks.append("What is our lead time for changes over the last 12 weeks?")
    return list(dict.fromkeys(asks))[:3]


def _generate(
    client: Client, question: str, sources: list[Source], models: list[Integration], style: str, on_text=None
):
    """(Generated, outcome) from the first model that answers; BudgetExceededError and the last
    AIError propagate so the caller can fall back to the extractive answer and say why."""
    error: AIError | None = None
    for model in models:
        try:
            outcome = execute_generation(
                client=client,
                integration=model,
                messages=generative.messages_for(question, sources, style),
                params=generative.params_for(model.provider),
                metadata={"purpose": "qa"},
                max_seconds=settings.AI_REQUEST_MAX_SECONDS,
                on_text=on_text,
            )
        except BudgetExceededError:
            raise
        except AIError as exc:
            error = exc
            continue
        return generative.parse(outcome.text, sources), outcome
    raise error or NoProviderError("No model can write answers for this tenant.")


def _search_answer(client: Client, question: str, context: dict, chosen: dict, on_text=None) -> dict:
    models = answer_models(client, chosen)
    counter, context_tokens = token_counter(models[0]) if models else (None, None)
    budget = max(500, min(context_tokens - 1000, 6000)) if context_tokens else DEFAULT_SOURCE_TOKENS
    sources = retrieve(
        client=client,
        question=question,
        tables=context.get("tables"),
        repository=context.get("repository"),
        window=context.get("window_span"),
        count_tokens=counter,
        budget_tokens=budget if models else None,
    )
    if not sources:
        return {"answer": NOT_FOUND, "found": False, "mode": "extractive", "citations": [], "confidence": 0.0}
    notes: list[str] = []
    if models:
        try:
            generated, outcome = _generate(client, question, sources, models, chosen["response_style"], on_text)
            return _generated_response(generated, outcome, sources, question)
        except BudgetExceededError as exc:
            notes.append(f"{exc} Answered from the sources without a model.")
        except AIError as exc:
            notes.append(f"The model could not answer ({exc}); quoted from the sources instead.")
    quoted = extract(question, sources)
    return {
        "answer": quoted.answer,
        "found": True,
        "mode": "extractive",
        "citations": _citations(sources, quoted.cited),
        "confidence": confidence_of(question, [s for s in sources if s.n in quoted.cited], quoted.coverage),
        "notes": notes,
        "follow_up_questions": _follow_ups(question, sources),
        "data_sources": sorted({s.table for s in sources}),
    }


def confidence_of(question: str, sources: list[Source], coverage: float) -> float:
    """0..1 from the evidence, never a constant: how strongly retrieval ranked the sources (an exact
    identifier counts fully), how much of the question's wording they contain, and how much of the
    answer cites them."""
    if not sources:
        return 0.0
    strength = sum(s.score for s in sources) / len(sources)
    asked = set(words(question))
    support = len(asked & {w for s in sources for w in words(s.text)}) / len(asked) if asked else 0.0
    return round(0.4 * strength + 0.3 * support + 0.3 * coverage, 3)


def _generated_response(generated: generative.Generated, outcome, sources: list[Source], question: str) -> dict:
    cited = [s for s in sources if s.n in generated.cited]
    usage = {"tokens": outcome.usage.total_tokens, "cost": None if outcome.cost is None else str(outcome.cost)}
    if not generated.found:
        return {
            "answer": NOT_FOUND,
            "found": False,
            "mode": "generative",
            "citations": _citations(sources[:3], []),
            "confidence": confidence_of(question, sources[:3], 0.0),
            "usage": usage,
            "model": outcome.model,
        }
    return {
        "answer": generated.answer,
        "found": True,
        "mode": "generative",
        "citations": _citations(sources, generated.cited),
        "confidence": confidence_of(question, cited, generated.coverage),
        "usage": usage,
        "model": outcome.model,
        "follow_up_questions": _follow_ups("", cited),
        "data_sources": sorted({s.table for s in cited}),
    }


def _answer(client: Client, question: str, context: dict, chosen: dict, route: Route, on_text=None) -> dict:
    if route.kind == "metrics":
        return {
            **metrics_answer(client=client, question=question, window=context.get("window") or window_of(question)),
            "mode": "metrics",
        }
    refusal = None
    if route.kind == "sql":
        answer = sql_answer(client=client, question=question)
        if answer["route"] != "refused":
            return sql_as_qa(answer)
        refusal = answer
    response = _search_answer(client, question, context, chosen, on_text)
    if refusal is not None:
        closest = "; ".join(refusal["suggestions"])
        response.setdefault("notes", []).append(
            "The SQL agent could not answer this counting question, so these are the closest records. "
            f"Questions it can answer: {closest}."
        )
    return response


def _resolved_context(client: Client, context: dict) -> dict:
    """The context with the repository named by its tenant-scoped id and the window as dates."""
    resolved = {key: context[key] for key in ("tables", "window") if context.get(key)}
    if context.get("repository"):
        repository = Repository.objects.for_client(client).filter(pk=context["repository"]).first()
        if repository is None:  # another tenant's id reads exactly like a missing one
            raise ValidationError({"context": f"repository: no repository {context['repository']} in your tenant."})
        resolved["repository"] = repository.full_name
    if resolved.get("window"):
        try:
            span = window_parse(value=resolved["window"], end=datetime.now(UTC))
        except ValueError as exc:
            raise ValidationError({"context": f"window: {exc}"}) from None
        resolved["window_span"] = (span.start or datetime.min.replace(tzinfo=UTC), span.end)
    return resolved


def qa_ask(
    *, client: Client, user: User | None, question: str, context: dict | None = None, on_text: TextSink | None = None
) -> dict:
    """The answer to `question` from the tenant's own data, with its evidence, kept in the history.
    `on_text` receives a generative answer's raw text as the model streams it; the returned answer
    is the checked one."""
    started = time.perf_counter()
    question = " ".join(question.split())
    context = _resolved_context(client, context or {})
    chosen = qa_settings(client=client)
    route = route_question(question)
    scope = scope_of(client, {k: v for k, v in context.items() if k != "window_span"}, chosen)
    hit = cache_lookup(client=client, scope=scope, question=question)
    if hit is not None:
        response = {
            **hit[0],
            "cached": True,
            "cache": hit[1],
            "cached_from": hit[2],
            "usage": {"tokens": 0, "cost": "0"},
        }
    else:
        response = {"notes": [], "follow_up_questions": [], "data_sources": [], "usage": {"tokens": 0, "cost": "0"}}
        response |= _answer(client, question, context, chosen, route, on_text) | {
            "cached": False,
            "cache": None,
            "cached_from": None,
        }
        if response["found"]:
            cache_store(client=client, scope=scope, question=question, response=response)
    response |= {
        "question": question,
        "route": {"kind": route.kind, "reason": route.reason},
        "unsure": response["found"] and response["confidence"] < chosen["confidence_threshold"],
        "latency_ms": round((time.perf_counter() - started) * 1000),
    }
    response["id"] = _remember(client, user, question, response).pk
    return response


def _remember(client: Client, user: User | None, question: str, response: dict) -> QAInteraction:
    cost = response["usage"].get("cost")
    return QAInteraction.objects.create(
        client=client,
        user=user,
        question=question,
        response=response,
        mode=response["mode"],
        cached=response["cached"],
        latency_ms=response["latency_ms"],
        tokens=response["usage"].get("tokens") or 0,
        cost=None if cost is None else Decimal(cost),
    )


def qa_interaction_get(*, client: Client, user: User, interaction_id) -> QAInteraction:
    """One of the asker's own answers; another user's, or another tenant's, is a 404."""
    interaction = QAInteraction.objects.for_client(client).filter(pk=interaction_id, user=user).first()
    if interaction is None:
        raise Http404("No such answer.")
    return interaction


def qa_feedback(*, interaction: QAInteraction, helpful: bool) -> QAInteraction:
    """Thumbs up or down on an answer."""
    interaction.helpful = helpful
    interaction.save(update_fields=["helpful"])
    return interaction


def qa_history(*, client: Client, user: User, limit: int = 20) -> list[QAInteraction]:
    return list(QAInteraction.objects.for_client(client).filter(user=user).order_by("-pk")[:limit])
