"""The text-to-SQL agent on real data: pallets/flask (commits with the pull requests derived from
their merges, and tags) and apache/groovy (commits), imported into one tenant on PostgreSQL.

    .venv/bin/python bench/sql_agent.py                     # pairs only: no model at all
    .venv/bin/python bench/sql_agent.py --llm-questions 12  # plus llama.cpp + SmolLM2-135M (toy)

For each question of bench/sql_questions.py (gold SQL, or none for an unanswerable question) it
prints execution accuracy (the answer's rows equal the gold query's rows as multisets, each row's
values compared as a set of rounded values, so row and column order do not matter; an
unanswerable question is right when refused), per kind and per route; latency p50/p95 per route
beside the same run's baseline (the gold query alone through the same guarded, scoped executor);
and the cache's hit ratio on a replayed log (each answered question again as typed, in lower case
and without its question mark), with wrong-answer hits counted. The llama.cpp run asks the
generation path only (the pair threshold set above 1): SmolLM2-135M is a toy model, it measures
the protocol, the guard and the correction rounds, not SQL quality.

Uses BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/pulse_sql_bench).
"""

import argparse
import os
import time
from collections import Counter, defaultdict

from common import SHARED_DATA, local_tenant, percentiles, setup_django
from sql_questions import QUESTIONS

FLASK = SHARED_DATA / "delivery"
GROOVY = SHARED_DATA / "commits" / "apache-groovy.commits.jsonl.gz"


def _load(client) -> None:
    from etl.models import Commit
    from etl.services.imports import commits_import_file
    from etl.services.tags import tags_import_file

    if Commit.objects.for_client(client).exists():
        return
    started = time.perf_counter()
    commits_import_file(client=client, path=FLASK / "pallets-flask.commits.jsonl.gz", vectorize=False)
    tags_import_file(client=client, path=FLASK / "pallets-flask.tags.jsonl", repository_name="pallets/flask")
    commits_import_file(client=client, path=GROOVY, vectorize=False)
    print(f"imported flask and groovy in {time.perf_counter() - started:.0f} s")


def _value(value):
    if isinstance(value, int | float) and not isinstance(value, bool):
        return round(float(value), 1)
    return value


def _rows(rows) -> Counter:
    return Counter(tuple(sorted(repr(_value(v)) for v in row)) for row in rows)


def _gold(client) -> dict[str, Counter | None]:
    from analytics.sql.execute import Caps, run_query

    gold, elapsed = {}, []
    for _kind, question, sql in QUESTIONS:
        if sql is None:
            gold[question] = None
            continue
        began = time.perf_counter()
        gold[question] = _rows(run_query(client=client, sql=sql, caps=Caps(5000, 10_000_000, 30_000)).rows)
        elapsed.append((time.perf_counter() - began) * 1000)
    p50, p95 = percentiles(elapsed)
    print(f"baseline, the gold queries alone through the guarded executor: p50 {p50:.0f} ms, p95 {p95:.0f} ms")
    return gold


def _correct(answer: dict, expected: Counter | None) -> bool:
    if expected is None:
        return answer["route"] == "refused"
    return answer["route"] != "refused" and _rows(answer["rows"]) == expected


def _run(client, gold: dict, questions) -> dict:
    from analytics.sql.services import sql_answer

    by_kind, by_route, latency, answers = defaultdict(list), Counter(), defaultdict(list), {}
    for kind, question, _sql in questions:
        answer = sql_answer(client=client, question=question)
        ok = _correct(answer, gold[question])
        by_kind[kind].append(ok)
        by_route[(answer["route"], ok)] += 1
        latency[answer["route"]].append(answer["latency_ms"])
        answers[question] = answer
    return {"by_kind": by_kind, "by_route": by_route, "latency": latency, "answers": answers}


def _report(label: str, result: dict) -> None:
    every = [ok for oks in result["by_kind"].values() for ok in oks]
    print(f"\n{label}: execution accuracy {sum(every)}/{len(every)} ({sum(every) / len(every):.1%})")
    for kind, oks in result["by_kind"].items():
        print(f"  {kind}: {sum(oks)}/{len(oks)}")
    routes = sorted({route for route, _ in result["by_route"]})
    for route in routes:
        right, wrong = result["by_route"][(route, True)], result["by_route"][(route, False)]
        p50, p95 = percentiles(result["latency"][route])
        print(f"  route {route}: {right + wrong} answers ({right} right); p50 {p50:.0f} ms, p95 {p95:.0f} ms")


def _misses(answers: dict, gold: dict) -> None:
    for question, answer in answers.items():
        if not _correct(answer, gold[question]):
            pair = (answer.get("pair") or {}).get("question", "-")
            print(f"  miss [{answer['route']}] {question!r} -> pair {pair!r} params {answer['parameters']}")


def _replay(client, answers: dict) -> None:
    from analytics.sql.services import sql_answer

    log = [
        (question, variant)
        for question, answer in answers.items()
        if answer["route"] != "refused"
        for variant in (question, question.lower(), question.rstrip("?"))
    ]
    hits, wrong, latency = 0, 0, []
    for question, variant in log:
        answer = sql_answer(client=client, question=variant)
        if answer["route"] == "cache":
            hits += 1
            latency.append(answer["latency_ms"])
            wrong += _rows(answer["rows"]) != _rows(answers[question]["rows"])
    p50, p95 = percentiles(latency or [0])
    print(
        f"\ncache replay: {hits}/{len(log)} hits ({hits / len(log):.1%}), wrong-answer hits {wrong}; "
        f"hit latency p50 {p50:.0f} ms, p95 {p95:.0f} ms"
    )


def _with_llama(client, gold: dict, count: int) -> None:
    from django.test import override_settings

    from analytics.qa.models import QACacheEntry
    from pulse.core.models import Integration
    from tests.llama import running_llama_server

    QACacheEntry.objects.filter(client=client).delete()
    with running_llama_server(start_seconds=240, n_ctx=4096) as base:
        Integration.objects.update_or_create(
            client=client,
            integration_name="SmolLM2 (llama.cpp)",
            defaults={
                "integration_type": "ai_model", "integration_subtype": "llm", "base_url": base,
                "configuration": {"provider": "local_openai"}, "model_config": {"model_name": "smollm2"},
                "performance_config": {"timeout_seconds": 120, "max_retries": 0}, "active": True,
            },
        )  # fmt: skip
        questions = [q for q in QUESTIONS if q[0] != "unanswerable"][:count] + [
            q for q in QUESTIONS if q[0] == "unanswerable"
        ][: max(1, count // 4)]
        # Generation only; a 135M model on 2 shared cores needs more than a web request's 20 s.
        with override_settings(PULSE_SQL_PAIR_THRESHOLD=1.01, AI_REQUEST_MAX_SECONDS=180):
            result = _run(client, gold, questions)
        Integration.objects.filter(client=client, integration_name="SmolLM2 (llama.cpp)").update(active=False)
    _report("generation only, llama.cpp SmolLM2-135M-Instruct Q4_1 (toy model)", result)
    attempts = [len(a["attempts"]) for a in result["answers"].values()]
    print(f"  queries written per question: {sum(attempts) / len(attempts):.2f} (max 3)")
    why = Counter(a["notes"][0][:90] for a in result["answers"].values() if a["route"] == "refused" and a["notes"])
    print(f"  refusals: {dict(why)}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--llm-questions", type=int, default=0, help="also run generation on this many questions")
    parser.add_argument("--show-misses", action="store_true", help="print each wrong answer's route and pair")
    args = parser.parse_args()
    setup_django(
        database_url=os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/pulse_sql_bench")
    )
    from analytics.qa.models import QACacheEntry
    from pulse.core.models import Integration

    client, _ = local_tenant("sql-bench", "SQL bench")
    Integration.objects.filter(client=client, integration_subtype="llm").update(active=False)
    _load(client)
    QACacheEntry.objects.filter(client=client).delete()
    kinds = Counter(kind for kind, _, _ in QUESTIONS)
    print(f"{len(QUESTIONS)} questions: {dict(kinds)}")
    gold = _gold(client)
    result = _run(client, gold, QUESTIONS)
    _report("pairs only (no model; local MiniLM embeddings)", result)
    if args.show_misses:
        _misses(result["answers"], gold)
    _replay(client, result["answers"])
    if args.llm_questions:
        _with_llama(client, gold, args.llm_questions)


if __name__ == "__main__":
    main()
