"""Ask Pulse on real commits: the labelled search queries of ../shared/data/commits asked as
questions. Prints, per mode, the share of answers whose citations include a relevant commit (the
query's own commit excluded from the count, not from the sources), latency p50/p95 through the
service, and the cache's hit ratio on a replayed log of small variations of the questions
(case, punctuation, word order, a synonym), with wrong-answer hits counted.

    .venv/bin/python bench/qa.py --commits 20000 --llm-questions 30

The extractive mode needs no model; the generative mode starts llama.cpp's server with the test
model SmolLM2-135M (toy quality: it measures the protocol and the citation checks, not answer
quality). Runs without ../shared/data on generated commits.
"""

import argparse
import json
import random
import statistics
import time

from common import local_tenant, percentiles, setup_django
from retrieval import COMMITS, QUERIES, _import, generated

SYNONYMS = {
    "fix": "repair",
    "add": "introduce",
    "remove": "delete",
    "error": "failure",
    "support": "handle",
    "update": "change",
    "improve": "enhance",
    "use": "utilise",
    "wrong": "incorrect",
    "missing": "absent",
}


def _variants(question: str, rng: random.Random) -> list[tuple[str, str]]:
    words = question.split()
    swapped = words[:]
    if len(words) > 3:
        i = rng.randrange(len(words) - 1)
        swapped[i], swapped[i + 1] = swapped[i + 1], swapped[i]
    synonym = next(
        (question.replace(w, s, 1) for w, s in SYNONYMS.items() if f" {w} " in f" {question.lower()} "), None
    )
    out = [("case", question.upper()), ("punctuation", question.rstrip("?.!") + "?"), ("word order", " ".join(swapped))]
    return out + ([("synonym", synonym)] if synonym else [])


def _ask(client, question: str) -> tuple[dict, float]:
    from analytics.qa.services import qa_ask

    began = time.perf_counter()
    answer = qa_ask(client=client, user=None, question=question, context={"tables": ["commits"]})
    return answer, (time.perf_counter() - began) * 1000


def _grounded(answer: dict, query: dict, shas: dict[int, str]) -> bool:
    cited = {shas.get(c["record_id"]) for c in answer["citations"]}
    return bool(cited & set(query["relevant_shas"]))


def _run_mode(client, queries, shas) -> dict:
    hits, times, found, modes = 0, [], 0, {}
    for query in queries:
        answer, ms = _ask(client, query["query_text"])
        times.append(ms)
        hits += _grounded(answer, query, shas)
        found += answer["found"]
        modes[answer["mode"]] = modes.get(answer["mode"], 0) + 1
    p50, p95 = percentiles(times)
    n = len(queries)
    return {"questions": n, "grounded": hits / n, "found": found / n, "p50": p50, "p95": p95, "modes": modes}


def _replay(client, queries, rng) -> dict:
    """Ask each question once, then its variations: how many are served from the cache, and how
    many of those were written for another question of the log (a wrong-answer hit)."""
    originals = {q["query_text"] for q in queries}
    counts = {"asked": 0, "hits": 0, "wrong": 0, "by_kind": {}}
    times = []
    for query in queries:
        for kind, variant in _variants(query["query_text"], rng):
            answer, ms = _ask(client, variant)
            counts["asked"] += 1
            if answer["cached"]:
                times.append(ms)
                counts["hits"] += 1
                counts["by_kind"][kind] = counts["by_kind"].get(kind, 0) + 1
                counts["wrong"] += answer["cached_from"] in originals and answer["cached_from"] != query["query_text"]
    counts["hit_p50"], counts["hit_p95"] = percentiles(times) if times else (None, None)
    return counts


def _with_llama(client, queries, shas) -> dict:
    from pulse.core.models import Integration
    from tests.llama import running_llama_server

    with running_llama_server(start_seconds=240) as base:
        llm, _ = Integration.objects.update_or_create(
            client=client,
            integration_name="SmolLM2 (llama.cpp)",
            defaults={
                "integration_type": "ai_model",
                "integration_subtype": "llm",
                "base_url": base,
                "configuration": {"provider": "local_openai"},
                "model_config": {"model_name": "smollm2", "max_tokens": 2048},
            },
        )
        result = _run_mode(client, queries, shas)
        llm.delete()  # the extractive runs of the next invocation must not find it
        return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--commits", type=int, default=20000)
    parser.add_argument("--questions", type=int, default=500)
    parser.add_argument("--replay", type=int, default=100, help="questions whose variations are replayed")
    parser.add_argument("--llm-questions", type=int, default=30)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/pulse_qa_bench")
    args = parser.parse_args()
    setup_django(database_url=args.database_url, vector_store="pgvector")
    from django.conf import settings

    from analytics.qa.models import QACacheEntry, QAInteraction
    from etl.models import Commit

    settings.AI_REQUEST_MAX_SECONDS = 120
    if COMMITS.exists():
        path, queries = COMMITS, [json.loads(line) for line in QUERIES.read_text().splitlines()]
    else:
        path, queries = generated(args.commits)
    client, _ = local_tenant("qa-bench", "Q&A bench")
    _import(client, path, args.commits, "pgvector")
    QACacheEntry.objects.filter(client=client).delete()
    QAInteraction.objects.filter(client=client).delete()
    ids = dict(Commit.objects.filter(client=client).values_list("sha", "pk"))
    shas = {pk: sha for sha, pk in ids.items()}
    usable = [q for q in queries if q["query_sha"] in ids and any(s in ids for s in q["relevant_shas"])][
        : args.questions
    ]
    print(f"{len(ids)} commits; {len(usable)} answerable questions; extractive (no model), local MiniLM, hybrid search")
    result = _run_mode(client, usable, shas)
    print(
        f"extractive: grounded {result['grounded']:.3f}, found {result['found']:.3f}, "
        f"p50 {result['p50']:.0f} ms, p95 {result['p95']:.0f} ms, modes {result['modes']}"
    )
    replay = _replay(client, usable[: args.replay], random.Random(20261202))
    print(
        f"cache replay: {replay['hits']}/{replay['asked']} hits ({replay['hits'] / replay['asked']:.1%}), "
        f"wrong-answer hits {replay['wrong']}, by kind {replay['by_kind']}"
    )
    print(f"cache hits: p50 {replay['hit_p50']:.0f} ms, p95 {replay['hit_p95']:.0f} ms")
    if args.llm_questions:
        QACacheEntry.objects.filter(client=client).delete()
        llm = _with_llama(client, usable[: args.llm_questions], shas)
        print(
            f"generative (SmolLM2-135M, llama.cpp): grounded {llm['grounded']:.3f}, found {llm['found']:.3f}, "
            f"p50 {llm['p50']:.0f} ms, p95 {llm['p95']:.0f} ms over {llm['questions']} questions, modes {llm['modes']}"
        )
    latencies = [row.latency_ms for row in QAInteraction.objects.filter(client=client)]
    print(f"median latency of every question asked: {statistics.median(latencies):.0f} ms")


if __name__ == "__main__":
    main()
