"""Batch quality checks for embeddings (the design notes' vector quality assurance).

Each vector was already checked by the execution path (count, one size, no zero, NaN or infinite
vector); what only a whole batch shows is checked here: a provider returning the same vector for
distinct texts is not encoding them. A batch that fails is refused as a whole: nothing of it
reaches the store. `assess` reports the batch's statistics.
"""

from dataclasses import dataclass

import numpy as np

from ai.providers.errors import AIError

MAX_DUPLICATE_RATE = 0.5  # of vectors for *distinct* texts; a healthy model yields ~0


class EmbeddingQualityError(AIError):
    """The provider returned a batch Pulse will not store."""


@dataclass(frozen=True)
class QualityReport:
    total: int
    dimensions: int
    dimension_consistency: bool
    zero_vectors: int
    non_finite_vectors: int
    avg_magnitude: float
    magnitude_std: float
    duplicate_rate: float
    quality_score: float


def assess(vectors: list[list[float]]) -> QualityReport:
    if not vectors:
        raise EmbeddingQualityError("no embeddings to assess")
    sizes = {len(v) for v in vectors}
    if len(sizes) != 1:
        return QualityReport(len(vectors), 0, False, 0, 0, 0.0, 0.0, 0.0, 0.0)
    matrix = np.asarray(vectors, dtype=np.float64)
    finite = np.isfinite(matrix).all(axis=1)
    norms = np.linalg.norm(np.where(np.isfinite(matrix), matrix, 0.0), axis=1)
    zero = int(np.sum(norms == 0.0))
    # Rows as bytes in a set: np.unique(axis=0) sorted them and cost 1.5 ms even for the one vector
    # of a search query. `+ 0.0` makes -0.0 and 0.0 the same bytes, as they compare equal.
    unique = len({row.tobytes() for row in np.round(matrix[finite], 6) + 0.0})
    duplicate_rate = 1.0 - unique / max(int(finite.sum()), 1)
    bad = (zero + int((~finite).sum())) / len(vectors)
    return QualityReport(
        total=len(vectors),
        dimensions=sizes.pop(),
        dimension_consistency=True,
        zero_vectors=zero,
        non_finite_vectors=int((~finite).sum()),
        avg_magnitude=float(norms.mean()),
        magnitude_std=float(norms.std()),
        duplicate_rate=float(duplicate_rate),
        quality_score=float(max(0.0, 1.0 - bad - duplicate_rate)),
    )


def validate_batch(vectors: list[list[float]]) -> QualityReport:
    """Assess and refuse a batch in which most vectors for distinct texts are identical."""
    report = assess(vectors)
    if report.total >= 4 and report.duplicate_rate > MAX_DUPLICATE_RATE:
        raise EmbeddingQualityError(
            f"embedding batch refused: {report.duplicate_rate:.0%} of vectors for distinct texts are identical"
        )
    return report
