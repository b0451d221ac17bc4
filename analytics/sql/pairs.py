"""Question/SQL pairs: which known question is the asked one, and its SQL with the asked
question's parameters bound.

A pair answers without any model only when it fits: the same shape (the things counted and how
they are grouped or ranked, read by rules, so "commits" never answers "pull requests" and "per
week" never answers "per month"), every parameter the question names is one the pair's SQL takes,
and the question is close in meaning (cosine of the tenant's embeddings, through `ai`'s embedding
service; word overlap when no embedding model answers). Parameters are bound as SQL literals by
sqlglot, and the bound SQL goes through the guard like any other.
"""

import functools
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import sqlglot
from django.conf import settings
from sqlglot import exp

from ai.providers.errors import AIError
from ai.vectors.embedding import embed_texts, embedding_provider
from analytics.metrics.selectors import window_parse
from analytics.qa.router import window_of
from analytics.qa.text import words
from analytics.sql.curated import PAIRS, Pair
from analytics.sql.models import SQLPair
from etl.models import Commit, PullRequest, PullRequestReview, Repository, WorkItem
from pulse.core.models import Client

WORD_THRESHOLD = 0.5  # word overlap (Jaccard) stands in for cosine when no embedding model answers
MAX_PEOPLE = 3000
PARAMETERS = ("since", "repository", "person")
SHAPES = {
    "commit": r"\bcommit\w*",
    "pull_request": r"\bpull requests?\b|\bprs?\b|\bmerge requests?\b",
    "review": r"\breview\w*",
    "issue": r"\bissues?\b|\btickets?\b|\bwork items?\b|\bbugs?\b|\bstor(?:y|ies)\b",
    "release": r"\breleases?\b|\btags?\b|\btagged\b|\bversions?\b",
    "file": r"\bfiles?\b|\bpaths?\b",
    "lines": r"\blines?\b|\badditions?\b|\bdeletions?\b|\bchurn\b",
    # "author" alone is often the verb ("did Paul King author?") or one record's author ("other
    # than their author"): it asks about people only after a word that picks among them.
    "people": r"\bwho\b|\bpeople\b|\bauthors\b|\b(?:which|what|top|an?)\s+author\b|\bcontributors?\b"
    r"|\bdevelopers?\b|\breviewers?\b|\bassignees?\b",
    # A count for every person is a grouping no pair holds ("How many commits did each author make?").
    "each_person": r"\b(?:each|per|every|by)\s+(?:author|person|contributor|developer|reviewer|assignee|committer)s?\b",
    # An exclusion no pair expresses: such a question must not fall back to the plain count.
    "contrast": r"\bother than\b|\bexcept\b|\bexcluding\b|\bbesides\b|\bapart from\b",
    "week": r"\bweeks?\b|\bweekly\b",
    "month": r"\bmonths?\b|\bmonthly\b",
    "status": r"\bstatus(?:es)?\b",
    "each_repository": r"\b(?:each|per|every|by) (?:repo|repository)\b|\brepositories\b",
    "top": r"\bmost\b|\btop\b|\bbusiest\b|\bbiggest\b|\blargest\b|\blongest\b|\bslowest\b|\bhighest\b",
    "bottom": r"\bleast\b|\bfewest\b|\bshortest\b|\bfastest\b|\blowest\b",
    "average": r"\baverage\b|\bmean\b|\btypical\b",
    "open": r"\bopen\b|\bunresolved\b|\bpending\b",
    "merged": r"\bmerged?\b|\bmerging\b",
    "resolved": r"\bresolved\b|\bclosed\b|\bfixed\b",
    "recent": r"\brecent\w*|\blatest\b|\bnewest\b",
}
WINDOW_WORDS = re.compile(r"\b(?:last|past|previous)\s+\d{1,3}\s*(?:day|week|month)s?\b", re.IGNORECASE)


@dataclass
class Parameters:
    since: str | None = None
    repository: str | None = None
    person: str | None = None
    window: str | None = None
    repository_words: list[str] = field(default_factory=list)  # how the question named the repository

    def named(self) -> set[str]:
        return {name for name in PARAMETERS if getattr(self, name) is not None}

    def as_dict(self) -> dict:
        return {"window": self.window, "repository": self.repository, "person": self.person}


@dataclass
class Match:
    pair: Pair
    similarity: float
    fits: bool  # same shape and takes every parameter the question names


@dataclass
class Ranking:
    matches: list[Match] = field(default_factory=list)

    def close(self, threshold: float) -> Match | None:
        best = next((m for m in self.matches if m.fits), None)
        return best if best is not None and best.similarity >= threshold else None


def shape_of(question: str) -> frozenset[str]:
    """What a question counts and how it groups or ranks, by rules (the window's words aside)."""
    text = WINDOW_WORDS.sub(" ", question.lower())
    return frozenset(name for name, pattern in SHAPES.items() if re.search(pattern, text))


def _people(client: Client) -> set[str]:
    names = set()
    for model, column in (
        (Commit, "author_name"), (PullRequest, "author"), (PullRequestReview, "author"), (WorkItem, "assignee"),
    ):  # fmt: skip
        names.update(model.objects.for_client(client).values_list(column, flat=True).distinct()[:MAX_PEOPLE])
    return {n for n in names if n and len(n) >= 3}


def _named(question: str, candidates) -> str | None:
    lowered = question.lower()
    for name in sorted(candidates, key=len, reverse=True):
        if re.search(rf"(?<![\w/-]){re.escape(name.lower())}(?![\w/-])", lowered):
            return name
    return None


def parameters_of(*, client: Client, question: str, now: datetime | None = None) -> Parameters:
    """The window, repository and person a question names (each None when it names none)."""
    params = Parameters()
    window = window_of(question, default="")
    if window:
        params.window = window
        start = window_parse(value=window, end=now or datetime.now(UTC)).start
        params.since = start.strftime("%Y-%m-%d %H:%M:%S") if start else None
    repositories = dict(Repository.objects.for_client(client).values_list("full_name", "full_name"))
    for full_name in list(repositories):
        repositories.setdefault(full_name.rsplit("/", 1)[-1], full_name)
    named = _named(question, repositories)
    params.repository = repositories[named] if named else None
    params.repository_words = [named] if named else []
    params.person = _named(question, _people(client))
    return params


def skeleton(question: str, params: Parameters) -> str:
    """The question with its parameters taken out ("... did Paul King make in the last 6 weeks?" ->
    "... did someone make?"), so a name or a window does not pull it away from the pair it fits."""
    text = WINDOW_WORDS.sub(" ", question)
    text = re.sub(r"\b(?:in|over|during|for) the\s+(?=[?.!,]|$)", " ", text.strip())
    for name in params.repository_words:
        text = re.sub(rf"(?:\b(?:in|for|of|on)\s+)?(?<![\w/-]){re.escape(name)}(?![\w/-])", " ", text, flags=re.I)
    if params.person:
        text = re.sub(rf"(?<![\w/-]){re.escape(params.person)}(?![\w/-])", "someone", text, flags=re.I)
    return re.sub(r"\s+([?.!,])", r"\1", re.sub(r"\s+", " ", text)).strip()


@functools.lru_cache(maxsize=1024)
def placeholders(sql: str, dialect: str) -> frozenset[str]:
    # Cached: every question not answered from the cache ranks all pairs, whose SQL never changes,
    # and parsing them all again took 22-30 ms a question.
    return frozenset(p.name for p in sqlglot.parse_one(sql, read=dialect).find_all(exp.Placeholder))


def bind(sql: str, params: Parameters, dialect: str) -> str:
    """The pair's SQL with each :name replaced by a quoted literal (or NULL)."""

    def literal(node):
        if isinstance(node, exp.Placeholder) and node.name in PARAMETERS:
            value = getattr(params, node.name)
            if node.name == "since" and value is not None and dialect == "postgres":
                value += "+00:00"
            return exp.null() if value is None else exp.Literal.string(value)
        return node

    return sqlglot.parse_one(sql, read=dialect).transform(literal).sql(dialect=dialect)


def pairs_for(client: Client, dialect: str) -> list[Pair]:
    own = SQLPair.objects.for_client(client).filter(dialect=dialect).order_by("pk")
    return [*PAIRS, *(Pair(p.question, p.sql, p.sql, source=p.source, pk=p.pk) for p in own)]


def _similarities(client: Client, question: str, texts: list[str]) -> tuple[np.ndarray, bool]:
    try:
        run = embed_texts(client=client, texts=[question, *texts], provider=embedding_provider(client))
    except AIError:
        asked = set(words(question))
        overlap = [len(asked & set(words(t))) / (len(asked | set(words(t))) or 1) for t in texts]
        return np.asarray(overlap), False
    matrix = np.asarray([item.vector for item in run.items], dtype=np.float64)
    matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix[1:] @ matrix[0], True


def rank(*, client: Client, question: str, params: Parameters, dialect: str) -> tuple[Ranking, float]:
    """Every pair by similarity to `question`, and the threshold a close match must reach."""
    pairs = pairs_for(client, dialect)
    asked = skeleton(question, params)
    similarity, embedded = _similarities(client, asked, [p.question for p in pairs])
    shape, named = shape_of(asked), params.named()
    matches = [
        Match(
            pair,
            round(float(score), 4),
            shape_of(pair.question) == shape and named <= placeholders(pair.sql_for(dialect), dialect),
        )
        for pair, score in zip(pairs, similarity, strict=True)
    ]
    matches.sort(key=lambda m: -m.similarity)
    return Ranking(matches), settings.PULSE_SQL_PAIR_THRESHOLD if embedded else WORD_THRESHOLD
