"""Hybrid search's fusion of the vector and keyword rankings, and the link-graph signal.

Weighted z-score fusion: each list's scores are standardised (mean 0, deviation 1 within the
list), a record missing from a list gets that list's lowest standard score, and the fused score is
KEYWORD_WEIGHT·z(BM25) + VECTOR_WEIGHT·z(cosine). Unlike reciprocal rank fusion (kept below for
comparison), it keeps how far ahead a hit is, so a decisive keyword match is not levelled with a
near-tie. The weights were tuned on the first 250 public commit queries and reported on the other
250 (bench/README.md).

Link graph: records that name the same work item (`GROOVY-11542` in two commits) are about the
same change. Records sharing a key with the best few hits are lifted to just behind that hit.
"""

import statistics

from ai.vectors.stores.base import SearchHit

RRF_K = 60
# Tuned on the first 250 public queries (bench/retrieval_tune.py): 0.7 / 0.3 with 3 anchors gave
# Recall@10 0.537 there; 0.6 / 0.4 0.533; more anchors (up to 10) at most +0.001.
KEYWORD_WEIGHT = 0.7
VECTOR_WEIGHT = 0.3
LINK_ANCHORS = 3  # the best hits whose work-item keys pull in their linked records
LINK_SHARE = 0.9  # a linked record's score: this share of its anchor's (above the floor)


def reciprocal_rank_fusion(*rankings: list, k: int = RRF_K) -> dict:
    """{item: fused score} from ranked lists of hashable items (best first)."""
    fused: dict = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            fused[item] = fused.get(item, 0.0) + 1.0 / (k + rank)
    return fused


def standard_scores(scores: dict) -> dict:
    """{item: z-score} within one list; a list of one (or of equal scores) scores 1 each."""
    values = list(scores.values())
    if len(values) < 2:
        return dict.fromkeys(scores, 1.0)
    mean, deviation = statistics.fmean(values), statistics.pstdev(values)
    if deviation == 0:
        return dict.fromkeys(scores, 1.0)
    return {item: (score - mean) / deviation for item, score in scores.items()}


def weighted_fusion(
    vector_scores: dict,
    keyword_scores: dict,
    *,
    keyword_weight: float = KEYWORD_WEIGHT,
    vector_weight: float = VECTOR_WEIGHT,
) -> dict:
    """{item: fused score}: weighted z-scores, a list's lowest z for an item it lacks."""
    fused: dict = {}
    for scores, weight in ((vector_scores, vector_weight), (keyword_scores, keyword_weight)):
        if not scores:
            continue
        z = standard_scores(scores)
        floor = min(z.values())
        for item in set(vector_scores) | set(keyword_scores):
            fused[item] = fused.get(item, 0.0) + weight * z.get(item, floor)
    return fused


def link_boost(
    fused: dict, keys: dict, linked: dict, *, anchors: int = LINK_ANCHORS, share: float = LINK_SHARE
) -> dict:
    """Fused scores with linked records lifted. `keys`: {item: its work-item keys};
    `linked`: {key: items naming it} (candidates or not). A linked record scores at least `share`
    of its anchor's lead over the lowest fused score, so it lands just behind the anchor."""
    if not fused:
        return fused
    floor = min(fused.values())
    out = dict(fused)
    for anchor in sorted(fused, key=fused.get, reverse=True)[:anchors]:
        lifted = floor + share * (fused[anchor] - floor)
        for key in keys.get(anchor, ()):
            for item in linked.get(key, ()):
                if item != anchor and out.get(item, floor) < lifted:
                    out[item] = lifted
    return out


def ranked_hits(scores: dict, payloads: dict, limit: int) -> list[SearchHit]:
    """{(table, record id): score} → the best `limit` hits, best first (ties by id, so stable)."""
    best = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
    return [
        SearchHit(record_id=record_id, table_name=table, score=score, payload=payloads.get((table, record_id), {}))
        for (table, record_id), score in best
    ]
