"""Ask the SQL agent: cache, then a close question/SQL pair (no model), then the tenant's model with
correction rounds, else a refusal that lists the closest questions it can answer. Pairs: an admin
adds one, or saves a helpful answer as one; each is checked by the guard and the database first."""

import time
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404
from sqlglot.errors import SqlglotError

from analytics.qa.cache import cache_lookup, cache_store, scope_of
from analytics.qa.choice import answer_models, qa_settings
from analytics.qa.models import QAInteraction
from analytics.sql.execute import Caps, ExecutionError, Result, dialect, run_query
from analytics.sql.generate import EXAMPLES, generate, messages_for, pruned_views
from analytics.sql.guard import GuardError
from analytics.sql.layer import VIEWS_BY_NAME
from analytics.sql.models import SQLPair
from analytics.sql.pairs import PARAMETERS, Parameters, Ranking, bind, parameters_of, placeholders, rank, shape_of
from analytics.sql.shape import chart_of, summary_of
from pulse.core.models import Client, User

REFUSAL = "I cannot answer that from the data I can see."
SUGGESTIONS = 3
MAX_QUESTION = 1000


def _shown(result: Result) -> dict:
    chart = chart_of(result.columns, result.rows)
    return {
        "sql": result.sql,
        "columns": result.columns,
        "rows": result.rows,
        "row_count": result.row_count,
        "truncated": result.truncated,
        "chart": chart,
        "summary": summary_of(result.columns, result.rows, chart, result.truncated),
        "notes": list(result.notes),
    }


def _refused(ranking: Ranking, notes: list[str], attempts: list[dict]) -> dict:
    return {
        "sql": "", "columns": [], "rows": [], "row_count": 0, "truncated": False, "chart": "table",
        "summary": REFUSAL, "route": "refused", "attempts": attempts, "notes": notes,
        "suggestions": [m.pair.question for m in ranking.matches[:SUGGESTIONS]],
    }  # fmt: skip


def _from_pair(client: Client, ranking: Ranking, threshold: float, params: Parameters, sql_dialect: str) -> dict | None:
    match = ranking.close(threshold)
    if match is None:
        return None
    try:
        result = run_query(client=client, sql=bind(match.pair.sql_for(sql_dialect), params, sql_dialect))
    except (GuardError, ExecutionError):
        return None  # a tenant pair the data no longer fits: let the model try
    pair = {"question": match.pair.question, "similarity": match.similarity, "source": match.pair.source}
    return {**_shown(result), "route": "pair", "pair": pair, "attempts": [], "confidence": match.similarity}


def _from_model(client: Client, question: str, ranking: Ranking, params: Parameters, sql_dialect: str) -> dict:
    models = answer_models(client, qa_settings(client=client))
    if not models:
        return _refused(ranking, ["No text-generation model is set up, and no known question fits."], [])
    examples = ranking.matches[:EXAMPLES]
    views = pruned_views(shape_of(question), examples, sql_dialect)
    messages = messages_for(question, views, examples, params, sql_dialect)
    generated = generate(client=client, model=models[0], messages=messages)
    attempts = [a.as_dict() for a in generated.attempts]
    usage = {"tokens": generated.tokens, "cost": str(Decimal(str(generated.cost)))}
    if generated.result is None:
        why = generated.error or (
            "The model says the views cannot answer this." if generated.declined else "No attempt passed the checks."
        )
        return {**_refused(ranking, [why], attempts), "usage": usage, "model": generated.model}
    confidence = round(1.0 - 0.2 * (len(attempts) - 1), 2)
    shown = _shown(generated.result)
    return {**shown, "route": "generated", "attempts": attempts, "usage": usage, "model": generated.model,
            "confidence": confidence}  # fmt: skip


def sql_answer(*, client: Client, question: str) -> dict:
    """The SQL agent's answer to `question` over the tenant's views (nothing is recorded)."""
    started = time.perf_counter()
    question = " ".join(question.split())
    sql_dialect = dialect()
    params = parameters_of(client=client, question=question)
    context = {"agent": "sql", "shape": sorted(shape_of(question)), "params": params.as_dict()}
    scope = scope_of(client, context, {"dialect": sql_dialect})
    hit = cache_lookup(client=client, scope=scope, question=question)
    if hit is not None:
        response = {**hit[0], "cached": True, "route": "cache", "cached_from": hit[2], "cache": hit[1]}
        response["usage"] = {"tokens": 0, "cost": "0"}
    else:
        ranking, threshold = rank(client=client, question=question, params=params, dialect=sql_dialect)
        response = {"usage": {"tokens": 0, "cost": "0"}, "pair": None, "suggestions": [], "confidence": 0.0}
        response |= _from_pair(client, ranking, threshold, params, sql_dialect) or _from_model(
            client, question, ranking, params, sql_dialect
        )
        response |= {"cached": False, "cache": None, "cached_from": None}
        if response["route"] != "refused":
            cache_store(client=client, scope=scope, question=question, response={**response, "answered_by": "sql"})
    response |= {
        "question": question,
        "parameters": params.as_dict(),
        "latency_ms": round((time.perf_counter() - started) * 1000),
    }
    return response


def sql_as_qa(answer: dict) -> dict:
    """A SQL answer in the Q&A shape (mode "sql"): the table and the SQL are the evidence."""
    return {
        "answer": answer["summary"],
        "found": answer["route"] != "refused",
        "mode": "sql",
        "citations": [],
        "confidence": answer.get("confidence") or 0.0,
        "notes": answer.get("notes") or [],
        "usage": answer.get("usage") or {"tokens": 0, "cost": "0"},
        "data_sources": sorted(v for v in VIEWS_BY_NAME if v in answer["sql"]),
        "sql": answer["sql"],
        "table": {
            key: answer[key] for key in ("columns", "rows", "row_count", "truncated", "chart", "route", "attempts")
        },
        "sql_pair": answer.get("pair"),
    }


def sql_ask(*, client: Client, user: User | None, question: str) -> dict:
    """`sql_answer`, kept in the asker's history so it can be rated and saved as a pair."""
    response = sql_answer(client=client, question=question)
    cost = response["usage"].get("cost")
    interaction = QAInteraction.objects.create(
        client=client,
        user=user,
        question=response["question"],
        response={
            **response,
            **sql_as_qa(response),
            "route": {"kind": "sql", "reason": "asked the SQL agent directly"},
            "suggestions": response.get("suggestions") or [],
        },
        mode="sql",
        cached=response["cached"],
        latency_ms=response["latency_ms"],
        tokens=response["usage"].get("tokens") or 0,
        cost=None if cost is None else Decimal(cost),
    )
    return {**response, "id": interaction.pk}


def sql_pair_check(*, client: Client, sql: str) -> str:
    """The dialect the pair's SQL is written in, once the guard and the database accepted it with
    every parameter unbound (NULL); ValidationError on `sql` otherwise."""
    sql_dialect = dialect()
    try:
        unknown = placeholders(sql, sql_dialect) - set(PARAMETERS)
        if unknown:
            raise GuardError(f"Unknown parameter :{sorted(unknown)[0]}; use :since, :repository or :person.")
        bound = bind(sql, Parameters(), sql_dialect)
        run_query(client=client, sql=bound, caps=Caps(rows=1, bytes=100_000, timeout_ms=3000))
    except (GuardError, ExecutionError) as exc:
        raise ValidationError({"sql": str(exc)}) from None
    except SqlglotError as exc:  # a parse error in placeholders() comes before the guard
        raise ValidationError({"sql": f"The query does not parse: {str(exc).splitlines()[0]}"}) from None
    return sql_dialect


def sql_pair_create(*, client: Client, user: User | None, question: str, sql: str, source: str = "admin") -> SQLPair:
    question = " ".join((question or "").split())
    if not question or len(question) > MAX_QUESTION:
        raise ValidationError({"question": f"Give a question of 1 to {MAX_QUESTION} characters."})
    sql_dialect = sql_pair_check(client=client, sql=sql)
    if SQLPair.objects.for_client(client).filter(question=question).exists():
        raise ValidationError({"question": "A pair with this question exists; delete it first."})
    return SQLPair.objects.create(
        client=client, question=question, sql=sql.strip(), dialect=sql_dialect, source=source, created_by=user
    )


@transaction.atomic
def sql_pair_from_answer(*, client: Client, user: User, interaction_id: int) -> SQLPair:
    """Save one of the asker's SQL answers as a pair; saving marks the answer helpful."""
    interaction = QAInteraction.objects.for_client(client).filter(pk=interaction_id, user=user).first()
    if interaction is None:  # another tenant's or another user's answer reads exactly like a missing one
        raise ValidationError({"interaction_id": "No such answer of yours."})
    sql = (interaction.response or {}).get("sql")
    if not sql:
        raise ValidationError({"interaction_id": "This answer has no SQL to save."})
    pair = sql_pair_create(client=client, user=user, question=interaction.question, sql=sql, source="answer")
    interaction.helpful = True
    interaction.save(update_fields=["helpful"])
    return pair


def sql_pair_delete(*, client: Client, pair_id: int) -> None:
    deleted, _ = SQLPair.objects.for_client(client).filter(pk=pair_id).delete()
    if not deleted:
        raise Http404("No such pair.")
