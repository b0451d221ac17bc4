"""Encodings started ahead of the call that takes them.

Hybrid search needs the query's vector and a keyword ranking. Done one after the other, the
request waits for the model (~10-20 ms on this hardware) and then for PostgreSQL. So the search
asks the local provider to start encoding the query first (`prefetch`, through
`ai.vectors.embedding.embed_ahead`), ranks the keywords meanwhile, and the provider's `embed` of
that same list of texts takes the running encoding instead of starting one. The embedding call
still goes through the execution path (ledger row, fallback) as any other; its latency there is
the wait that was left. Only an exact list
matches: the tokens counted and the vectors returned are those of the texts asked for.

An encoding started and never taken (its call fell back to another provider, or failed first) is
dropped, oldest first, once MAX_PENDING are waiting, and cancelled if it has not begun.
"""

import threading
from collections import OrderedDict
from concurrent.futures import Future

MAX_PENDING = 4
_pending: OrderedDict[tuple, Future] = OrderedDict()
_lock = threading.Lock()
stats = {"started": 0, "taken": 0, "dropped": 0}


def put(key: tuple, texts: list[str], future: Future) -> None:
    with _lock:
        _pending[(key, tuple(texts))] = future
        stats["started"] += 1
        while len(_pending) > MAX_PENDING:
            _, oldest = _pending.popitem(last=False)
            oldest.cancel()
            stats["dropped"] += 1


def take(key: tuple, texts: list[str]) -> Future | None:
    """The encoding started for exactly `texts` by the model `key`, once; None when there is none."""
    with _lock:
        future = _pending.pop((key, tuple(texts)), None)
        if future is not None:
            stats["taken"] += 1
        return future


def clear() -> None:
    with _lock:
        for future in _pending.values():
            future.cancel()
        _pending.clear()
