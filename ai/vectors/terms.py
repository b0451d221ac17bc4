"""Code-aware keyword text: what keyword search indexes and what a query is matched with.

Commit messages, issues and pull requests name code: `MetaClassRegistryImpl`, `parse_json_lax`,
`src/main/java/org/Foo.java`, `GROOVY-11542`. A plain english parser keeps `MetaClassRegistryImpl`
as one word, so a query for "meta class registry" misses it, and splits `GROOVY-11542` into
`groovi` and `11542`. Here an identifier is kept whole *and* split into its parts (camelCase,
snake_case, dotted names, path segments), a ticket key is kept whole as one term, and english stop
words go. The same function turns records and queries into terms, so both sides agree; the
database then stems the terms (PostgreSQL `english`, SQLite FTS5 `porter`).

Measured on the public commit set (bench/README.md): split identifiers and paths lifted BM25's
Recall@10 over the plain english parser.
"""

import re

# Jira-style keys (GROOVY-11542, ABC2-7): letters first, a dash, digits.
TICKET_RE = re.compile(r"\b([A-Z][A-Z0-9]{1,14})-(\d{1,9})\b")
_WORD_RE = re.compile(r"[A-Za-z0-9]+(?:[._$/\\-][A-Za-z0-9]+)*")
_CAMEL_RE = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
_SEPARATORS = re.compile(r"[._$/\\-]+")
MAX_TERM_CHARS = 60  # longer "words" are hashes, base64 or URLs' noise
MAX_QUERY_TERMS = 32

_STOPWORDS_TEXT = """a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further had
    has have having he her here hers herself him himself his how i if in into is it its itself just
    me more most my myself no nor not now of off on once only or other our ours ourselves out over
    own same she should so some such than that the their theirs them themselves then there these
    they this those through to too under until up very was we were what when where which while who
    whom why will with would you your yours yourself yourselves also via e g ie eg etc"""
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())


def ticket_keys(text: str) -> set[str]:
    """The work-item keys a text names (`GROOVY-11542`), upper case as written in trackers."""
    return {f"{project}-{number}" for project, number in TICKET_RE.findall(text or "")}


def ticket_term(key: str) -> str:
    """A key as one index term: letters and digits only, so no database parser splits it."""
    project, _, number = key.partition("-")
    return f"{project.lower()}{number}"


def _parts(word: str) -> list[str]:
    """An identifier's parts: path/dotted/snake segments, each split at camelCase humps."""
    parts = []
    for segment in _SEPARATORS.split(word):
        pieces = _CAMEL_RE.findall(segment)
        parts.extend(pieces if len(pieces) > 1 else [segment])
    return [p.lower() for p in parts if p]


def _word_terms(word: str) -> list[str]:
    parts = _parts(word)
    if len(parts) <= 1:
        return parts
    terms = list(parts)
    # The identifier whole as well (separators dropped), for exact matches on `MetaClassImpl`; of
    # a dotted or slashed path, only its camelCase segments (`ClassNode`, a file's class name).
    segments = [s for s in _SEPARATORS.split(word) if s]
    if len(segments) == 1 or not re.search(r"[./\\]", word):
        terms.append("".join(parts))
    else:
        terms.extend(s.lower() for s in segments if len(_CAMEL_RE.findall(s)) > 1)
    return terms


def keyword_terms(text: str) -> list[str]:
    """Index terms of `text`, in order (repeats kept: they are term frequency)."""
    text = text or ""
    terms: list[str] = []
    for match in TICKET_RE.finditer(text):
        terms.append(ticket_term(match.group(0)))
    text = TICKET_RE.sub(" ", text)
    for word in _WORD_RE.findall(text):
        terms.extend(t for t in _word_terms(word) if t not in STOPWORDS and len(t) <= MAX_TERM_CHARS)
    return terms


def keyword_text(text: str) -> str:
    """What the database indexes (and stems): the subject line's terms, then on a second line
    the terms of the rest. PostgreSQL weights the first line above the rest (migration 0010,
    `ai.vectors.postings`); to SQLite's FTS5 a newline is a space."""
    subject, _, rest = (text or "").strip().partition("\n")
    rest_terms = " ".join(keyword_terms(rest))
    return " ".join(keyword_terms(subject)) + (f"\n{rest_terms}" if rest_terms else "")


def query_terms(text: str) -> list[str]:
    """A query's distinct terms, first occurrence first, at most MAX_QUERY_TERMS."""
    return list(dict.fromkeys(keyword_terms(text)))[:MAX_QUERY_TERMS]
