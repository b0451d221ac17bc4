"""The batch quality check: identical vectors for distinct texts are refused, whatever the batch."""

import numpy as np
import pytest

from ai.vectors.quality import EmbeddingQualityError, assess, validate_batch


def _unit_rows(count: int, seed: int = 0) -> list[list[float]]:
    rows = np.random.default_rng(seed).normal(size=(count, 384))
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).tolist()


def test_distinct_vectors_pass_and_a_single_query_vector_has_no_duplicates():
    assert validate_batch(_unit_rows(8)).duplicate_rate == 0.0
    assert assess(_unit_rows(1)).duplicate_rate == 0.0


def test_a_batch_of_mostly_identical_vectors_is_refused():
    rows = _unit_rows(8)
    rows[1:7] = [rows[0]] * 6

    with pytest.raises(EmbeddingQualityError, match="identical"):
        validate_batch(rows)


def test_vectors_equal_after_rounding_count_as_duplicates_even_with_a_negative_zero():
    row = _unit_rows(1)[0]
    row[0] = 0.0
    twin = list(row)
    twin[0] = -0.0
    near = [value + 1e-9 for value in row]

    assert assess([row, twin, near, _unit_rows(1, seed=1)[0]]).duplicate_rate == 0.5
