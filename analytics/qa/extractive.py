"""An answer without a model: the sentences of the top sources that share the most (and rarest)
words with the question, each with its source's number, and a one-line summary of what was found.
Useful offline, under a budget block, or when no model can generate text; never canned text."""

import math
from collections import Counter
from dataclasses import dataclass

from analytics.qa.retrieval import Source
from analytics.qa.text import sentences, words

MAX_SENTENCES = 4
TABLE_NAMES = {"commits": ("commit", "commits"), "pull_requests": ("pull request", "pull requests")}


@dataclass(frozen=True)
class Extract:
    answer: str
    cited: list[int]
    coverage: float  # share of the quoted sentences that share a word with the question


def _summary(sources: list[Source]) -> str:
    counts = Counter(s.table for s in sources)
    parts = []
    for table, count in counts.most_common():
        one, many = TABLE_NAMES.get(table, ("work item", "work items"))
        parts.append(f"{count} {one if count == 1 else many}")
    dates = sorted({s.date.date() for s in sources if s.date})
    span = f", from {dates[0]} to {dates[-1]}" if len(dates) > 1 else (f", on {dates[0]}" if dates else "")
    return f"Found {', '.join(parts)}{span}."


def extract(question: str, sources: list[Source]) -> Extract:
    asked = set(words(question))
    # A record too short to hold a sentence (a one-line title) is quoted whole rather than dropped.
    candidates = [
        (source, sentence)
        for source in sources
        if source.text.strip()
        for sentence in (sentences(source.text)[:20] or [source.text.strip().splitlines()[0][:300]])
    ]
    document_frequency = Counter(word for _, sentence in candidates for word in set(words(sentence)))
    total = max(len(candidates), 1)

    def score(sentence: str) -> float:
        shared = asked & set(words(sentence))
        return sum(math.log(1 + total / document_frequency[w]) for w in shared)

    best: dict[int, tuple[float, str]] = {}
    for source, sentence in candidates:
        value = score(sentence)
        if source.n not in best or value > best[source.n][0]:
            best[source.n] = (value, sentence)
    chosen = sorted(best.items(), key=lambda item: (-item[1][0], item[0]))[:MAX_SENTENCES]
    chosen.sort()  # in source order, so [1] comes first
    lines = [f"- {sentence} [{n}]" for n, (_, sentence) in chosen]
    matched = sum(1 for _, (value, _) in chosen if value > 0)
    return Extract(
        answer="\n".join([_summary(sources), *lines]),
        cited=[n for n, _ in chosen],
        coverage=matched / len(chosen) if chosen else 0.0,
    )
