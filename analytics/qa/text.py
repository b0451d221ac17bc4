"""Words for matching questions to sentences: lower-cased, identifiers split into their parts
(camelCase, snake_case, paths) and kept whole too, common words dropped."""

import re

WORD = re.compile(r"[A-Za-z][A-Za-z0-9_./-]*|\d+")
CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_STOPWORDS = (
    "a an and are as at be been by can did do does for from had has have how i in is it its of on or our "
    "the their them there these this to was we were what when where which who why will with you your "
    "about any all into not no than that then they also"
)
STOPWORDS = frozenset(_STOPWORDS.split())


def words(text: str) -> list[str]:
    out = []
    for token in WORD.findall(text):
        parts = [token, *CAMEL.split(token), *re.split(r"[_./-]+", token)]
        out.extend(p.lower() for p in parts if p and p.lower() not in STOPWORDS and len(p) > 1)
    return out


def sentences(text: str) -> list[str]:
    """Lines and sentences of a record's text, without empty or one-word fragments."""
    parts = re.split(r"\n+|(?<=[.!?])\s+(?=[A-Z])", text)
    return [p.strip(" -*") for p in parts if len(p.split()) >= 3]
