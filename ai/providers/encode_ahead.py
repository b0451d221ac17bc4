"""Encodings started ahead of the call that takes them.

A store call embeds its records in batches and writes each batch's vectors, bridge rows and search
documents before asking for the next. Run one after the other, the model idles while the database
works (issue 15 goal 4). So the store asks the local provider to start the next batch first
(`prefetch`), and the provider's `embed` of that same list of texts takes the running encoding
instead of starting one. Only an exact list matches: the tokens counted and the vectors returned
are those of the texts asked for, nothing is re-used across different inputs.

A batch started ahead and never taken (its call fell back to another provider, or failed before)
is dropped, oldest first, once MAX_PENDING are waiting, and cancelled if it has not begun.
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
