"""Tune hybrid search's fusion on the TUNING half of the labelled queries only.

    .venv/bin/python bench/retrieval_tune.py [--database-url ...] [--tune 250]

Run bench/retrieval.py first (it imports the commits). For each of the first `--tune` queries
this fetches Pulse's own vector and keyword candidate lists once (depth 50, the query's commit
excluded), then grid-searches the fusion weights and the link-graph parameters with the same
functions hybrid search uses (ai.vectors.fusion), and prints Recall@10 / MRR per setting, best
first. `--presence` scores the keyword side as before the postings engine (a term's presence,
no subject weight) instead, to compare the two scorings on the same candidates. The other queries
are never read here: bench/retrieval.py reports on them.
"""

import argparse
import itertools
import json
import statistics

from common import local_tenant, setup_django
from retrieval import QUERIES


def _candidates(client, queries, ids):
    from ai.vectors.search import FUSION_DEPTH, _keyword_hits, _vector_hits
    from ai.vectors.sources import vector_source

    source = [vector_source("commits")]
    rows = []
    for query in queries:
        relevant = {ids[s] for s in query["relevant_shas"] if s in ids}
        if query["query_sha"] not in ids or not relevant:
            continue
        exclude = [ids[query["query_sha"]]]
        vector = _vector_hits(client, query["query_text"], source, FUSION_DEPTH, exclude_record_ids=exclude)
        keyword = _keyword_hits(client, query["query_text"], source, FUSION_DEPTH, exclude)
        rows.append(
            (
                {h.record_id: h.score for h in vector},
                {h.record_id: h.score for h in keyword},
                relevant,
                exclude[0],
            )
        )
    return rows


def _score(rows, keys, naming, weight, anchors, share):
    from ai.vectors.fusion import link_boost, weighted_fusion

    recalls, ranks = [], []
    for vector, keyword, relevant, excluded in rows:
        fused = weighted_fusion(vector, keyword, keyword_weight=weight, vector_weight=1 - weight)
        if anchors:
            linked = {k: [r for r in naming.get(k, ()) if r != excluded] for r in fused for k in keys.get(r, ())}
            fused = link_boost(fused, keys, linked, anchors=anchors, share=share)
        top = [r for r, _ in sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))[:10]]
        recalls.append(len(relevant & set(top)) / len(relevant))
        ranks.append(next((1 / (i + 1) for i, r in enumerate(top) if r in relevant), 0.0))
    return statistics.mean(recalls), statistics.mean(ranks)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/pulse_retrieval")
    parser.add_argument("--store", default="pgvector", choices=["pgvector", "qdrant"])
    parser.add_argument("--tune", type=int, default=250)
    parser.add_argument("--presence", action="store_true", help="keyword side: term presence, no subject weight")
    args = parser.parse_args()
    setup_django(database_url=args.database_url, vector_store=args.store)
    if args.presence:
        from ai.vectors import postings

        scored = postings._term_score
        postings._term_score = lambda idf, tf, doc_len, average: scored(idf, "1", doc_len, average)
    from ai.models import SearchDocument
    from ai.vectors.terms import ticket_keys
    from etl.models import Commit

    client, _ = local_tenant(f"retrieval-{args.store}", "retrieval bench")
    ids = dict(Commit.objects.filter(client=client).values_list("sha", "pk"))
    queries = [json.loads(line) for line in QUERIES.read_text().splitlines()][: args.tune]
    keys, naming = {}, {}
    for record_id, text in SearchDocument.objects.for_client(client).values_list("record_id", "text"):
        keys[record_id] = ticket_keys(text)
        for key in keys[record_id]:
            naming.setdefault(key, []).append(record_id)
    rows = _candidates(client, queries, ids)
    scoring = "term presence" if args.presence else "tf, subject line counted twice"
    print(f"tuning on the first {args.tune} queries ({len(rows)} answerable); keyword scoring: {scoring}")
    results = []
    for weight, anchors, share in itertools.product(
        [0.0, 0.5, 0.6, 0.7, 0.8, 1.0], [0, 1, 2, 3, 4, 5, 7, 10], [0.8, 0.9, 1.0]
    ):
        if anchors == 0 and share != 0.9:
            continue
        results.append((*_score(rows, keys, naming, weight, anchors, share), weight, anchors, share))
    print(f"{'keyword weight':>15}{'anchors':>8}{'share':>7}{'Recall@10':>10}{'MRR':>7}")
    for recall, mrr, weight, anchors, share in sorted(results, reverse=True)[:15]:
        print(f"{weight:>15.2f}{anchors:>8}{share:>7.2f}{recall:>10.3f}{mrr:>7.3f}")
    for recall, mrr, weight, anchors, _share in results:
        if anchors == 0:  # fusion alone, without the link graph
            print(f"no link graph, keyword weight {weight:.2f}: {recall:.3f} / {mrr:.3f}")


if __name__ == "__main__":
    main()
