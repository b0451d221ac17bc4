"""Which agent answers a question: the delivery metrics, the text-to-SQL agent, or search.

Numbers come from code, never from a model, so a question about how the team delivers (deploys,
lead time, failure rate, restore time) goes to the computed delivery metrics, and a counting or
trend question about records ("how many", "per week", "which ... most") to the SQL agent. Anything
else is answered from retrieved records. One small, rule-based function: cheap, predictable, tested.
"""

import re
from dataclasses import dataclass

METRICS = re.compile(
    r"\b(deploy\w*|release (?:frequency|cadence)|lead time|cycle time|change failure|failure rate|"
    r"\bcfr\b|mttr|time to (?:restore|recover)|dora|how often do we (?:ship|release|deploy))",
    re.IGNORECASE,
)
COUNTING = re.compile(
    r"\b(how many|number of|count of|count the|per (?:day|week|month|year|author|repository|person)|"
    r"(?:which|who|what)(?: \w+){1,3} (?:most|least|fewest)|top \d+|on average|average|compare|trend|"
    r"over time|distribution of|breakdown)\b",
    re.IGNORECASE,
)
WINDOW = re.compile(r"\b(?:last|past|previous)\s+(\d{1,3})\s*(day|week|month)s?\b", re.IGNORECASE)
NAMED_WINDOWS = {"last year": "12m", "past year": "12m", "this quarter": "90d", "last quarter": "90d"}


@dataclass(frozen=True)
class Route:
    kind: str  # metrics | sql | search
    reason: str


def route_question(question: str) -> Route:
    if METRICS.search(question):
        return Route("metrics", "asks about delivery (deployments, lead time, failures, restore time)")
    if COUNTING.search(question):
        return Route("sql", "asks to count, compare or trend records")
    return Route("search", "asks about the content of records")


def window_of(question: str, default: str = "90d") -> str:
    """The time window a question names ("last 6 weeks" → 6w), else `default`."""
    lowered = question.lower()
    for phrase, window in NAMED_WINDOWS.items():
        if phrase in lowered:
            return window
    if matched := WINDOW.search(question):
        return f"{int(matched.group(1))}{matched.group(2)[0].lower()}"
    return default
