"""The sentence-transformers adapter with the real offline model (all-MiniLM-L6-v2)."""

import math

import pytest

from ai.providers.base import ProviderConfig
from ai.providers.errors import PermanentProviderError
from ai.providers.local import SentenceTransformersProvider


@pytest.fixture(scope="module")
def local():
    return SentenceTransformersProvider(ProviderConfig(provider="sentence_transformers", model="all-MiniLM-L6-v2"))


def _cos(a, b):
    return sum(x * y for x, y in zip(a, b, strict=True))


def test_vectors_have_384_dimensions_and_unit_norm(local):
    result = local.embed(["Fix NPE in the static type checker", "Bump gradle to 8.5"])

    assert [len(v) for v in result.vectors] == [384, 384]
    assert all(math.isclose(math.sqrt(sum(x * x for x in v)), 1.0, rel_tol=1e-5) for v in result.vectors)
    assert result.usage.input_tokens > 0 and result.usage.output_tokens == 0


def test_embedding_is_deterministic_and_batch_independent(local):
    texts = ["GROOVY-1234: closure coercion fails for SAM types", "docs: typo", "x" * 50]
    alone = [local.embed([text]).vectors[0] for text in texts]
    together = local.embed(texts).vectors

    for a, b in zip(alone, together, strict=True):
        assert _cos(a, b) > 0.99999


def test_similar_texts_are_closer_than_unrelated_ones(local):
    a, b, c = local.embed(
        ["NullPointerException when parsing JSON", "JSON parser throws NPE", "Upgrade the release pipeline"]
    ).vectors

    assert _cos(a, b) > _cos(a, c) + 0.2


def test_empty_and_very_long_inputs_still_embed(local):
    long_text = "The build fails on Windows because of path separators. " * 2000
    result = local.embed(["", long_text])

    assert all(len(v) == 384 and sum(x * x for x in v) > 0.99 for v in result.vectors)
    # Usage counts at most the tokens the model actually read.
    assert result.usage.input_tokens <= local.max_seq_length


def test_count_and_truncate_use_the_models_tokenizer(local):
    text = "refactor: extract method " * 100
    assert local.count_tokens(text) > 256
    shortened = local.truncate(text, 20)
    assert local.count_tokens(shortened) <= 20


def test_a_missing_model_folder_is_a_clear_permanent_error(tmp_path):
    provider = SentenceTransformersProvider(
        ProviderConfig(provider="sentence_transformers", model="nope", extra={"model_path": str(tmp_path / "nope")})
    )

    with pytest.raises(PermanentProviderError, match="never downloads"):
        provider.embed(["x"])
    assert provider.check_credentials().ok is False


def test_check_credentials_loads_the_model(local):
    check = local.check_credentials()
    assert check.ok and "384" in check.reason
