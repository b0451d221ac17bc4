"""Hybrid search's fusion of the vector and keyword rankings: reciprocal rank fusion (Cormack et
al., 2009): score = sum of 1 / (60 + rank) over the lists a record appears in. It needs no
calibration between cosine similarity and BM25 scores."""

from ai.vectors.stores.base import SearchHit

RRF_K = 60


def reciprocal_rank_fusion(*rankings: list, k: int = RRF_K) -> dict:
    """{item: fused score} from ranked lists of hashable items (best first)."""
    fused: dict = {}
    for ranking in rankings:
        for rank, item in enumerate(ranking, start=1):
            fused[item] = fused.get(item, 0.0) + 1.0 / (k + rank)
    return fused


def fuse_hits(vector_hits: list[SearchHit], keyword_hits: list[SearchHit], limit: int) -> list[SearchHit]:
    """The best `limit` records of both rankings; score = the fused rank score."""

    def key(hit: SearchHit) -> tuple[str, int]:
        return hit.table_name, hit.record_id

    fused = reciprocal_rank_fusion([key(h) for h in vector_hits], [key(h) for h in keyword_hits])
    payloads = {key(h): h.payload for h in keyword_hits} | {key(h): h.payload for h in vector_hits}
    best = sorted(fused.items(), key=lambda kv: kv[1], reverse=True)[:limit]
    return [
        SearchHit(record_id=record_id, table_name=table, score=score, payload=payloads[(table, record_id)])
        for (table, record_id), score in best
    ]
