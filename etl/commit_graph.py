"""A repository's commit graph in memory, and the walks delivery data needs from it.

Built once from every commit's (sha, parents), read in bulk, so reachability questions ("which
commits does this merge bring in?", "which commits does this tag release first?") never cost a
query per commit. Parents that were never imported are left out: the walks answer for the commits
Pulse holds. Plain data in and out; no models.
"""

import heapq
from collections.abc import Iterable
from dataclasses import dataclass

INCLUDED, EXCLUDED = 1, 2


@dataclass(frozen=True)
class CommitGraph:
    shas: list[str]
    index: dict[str, int]  # sha -> node
    parents: list[tuple[int, ...]]  # nodes of the parents Pulse holds, in git's order
    generation: list[int]  # 1 + the largest generation among the parents: children always rank higher

    def node(self, sha: str) -> int | None:
        return self.index.get(sha)


def build_graph(rows: Iterable[tuple[str, list[str]]]) -> CommitGraph:
    """A graph from (sha, parent shas) pairs in any order."""
    shas, raw_parents = [], []
    for sha, parents in rows:
        shas.append(sha)
        raw_parents.append(parents or [])
    index = {sha: node for node, sha in enumerate(shas)}
    parents = [tuple(index[p] for p in ps if p in index) for ps in raw_parents]
    return CommitGraph(shas=shas, index=index, parents=parents, generation=_generations(parents))


def _generations(parents: list[tuple[int, ...]]) -> list[int]:
    """Generation numbers by an iterative depth-first walk (histories are deeper than Python's
    recursion limit)."""
    generation = [0] * len(parents)
    for start in range(len(parents)):
        if generation[start]:
            continue
        stack = [start]
        while stack:
            node = stack[-1]
            pending = [p for p in parents[node] if not generation[p]]
            if pending:
                stack.extend(pending)
                continue
            stack.pop()
            if not generation[node]:
                generation[node] = 1 + max((generation[p] for p in parents[node]), default=0)
    return generation


def reachable_only_from(graph: CommitGraph, include: int, exclude: int | None) -> list[int]:
    """Commits reachable from `include` and not from `exclude` (git's `exclude..include`).

    Walks both sides at once, highest generation first, painting each commit with the sides that
    reach it. A commit's paint is final when it is taken off the queue (every child in the walk has
    a higher generation, so it went first), and the walk stops as soon as no queued commit is
    reached from `include` alone: everything older is reached from `exclude` too. The cost is the
    size of the answer plus the band of history between the two sides, not the whole history."""
    paint = {include: INCLUDED}
    queue = [(-graph.generation[include], include)]
    if exclude is not None:
        paint[exclude] = paint.get(exclude, 0) | EXCLUDED
        if exclude != include:
            queue.append((-graph.generation[exclude], exclude))
    heapq.heapify(queue)
    included_only = sum(1 for _, node in queue if paint[node] == INCLUDED)
    done: set[int] = set()
    found = []
    while queue and included_only:
        _, node = heapq.heappop(queue)
        if node in done:
            continue
        done.add(node)
        color = paint[node]
        if color == INCLUDED:
            included_only -= 1
            found.append(node)
        for parent in graph.parents[node]:
            before = paint.get(parent)
            after = (before or 0) | color
            if before == after:
                continue
            paint[parent] = after
            if before is None:
                heapq.heappush(queue, (-graph.generation[parent], parent))
                included_only += after == INCLUDED
            elif before == INCLUDED:
                included_only -= 1  # queued as included-only, now reached from `exclude` as well
    return found


def first_parent_chain(graph: CommitGraph, head: int) -> set[int]:
    """The head and its first parents, down to the root: the commits that were the branch's tip."""
    chain = set()
    node: int | None = head
    while node is not None and node not in chain:
        chain.add(node)
        node = graph.parents[node][0] if graph.parents[node] else None
    return chain


def claim_reachable(graph: CommitGraph, starts: list[int], claimed: dict[int, int], owner: int) -> list[int]:
    """Give `owner` every commit reachable from `starts` that no earlier owner holds, and return them.

    Called once per release in release order, this puts each commit in the first release that
    contains it. The walk stops at claimed commits: whatever they reach was claimed with them."""
    found = []
    stack = [node for node in starts if node not in claimed]
    while stack:
        node = stack.pop()
        if node in claimed:
            continue
        claimed[node] = owner
        found.append(node)
        stack.extend(p for p in graph.parents[node] if p not in claimed)
    return found
