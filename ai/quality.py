"""Batch quality checks for embeddings (the design notes' vector quality assurance).

A batch that fails is refused as a whole: nothing of it reaches the store.
"""

from dataclasses import dataclass

import numpy as np

MAX_DUPLICATE_RATE = 0.5  # of vectors for *distinct* texts; a healthy model yields ~0


class EmbeddingQualityError(Exception):
    """The provider returned a batch Pulse will not store."""

    http_status = 502


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
    unique = len(np.unique(np.round(matrix[finite], 6), axis=0)) if finite.any() else 0
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


def validate_batch(vectors: list[list[float]], *, expected_dimensions: int | None = None) -> QualityReport:
    """Assess and refuse: mixed or unexpected dimensions, any zero or non-finite vector, or a
    duplicate rate that means the provider is not encoding the texts it was given."""
    report = assess(vectors)
    problems = []
    if not report.dimension_consistency:
        problems.append("vectors of different dimensions in one batch")
    elif expected_dimensions and report.dimensions != expected_dimensions:
        problems.append(f"{report.dimensions} dimensions, expected {expected_dimensions}")
    if report.zero_vectors:
        problems.append(f"{report.zero_vectors} zero vectors")
    if report.non_finite_vectors:
        problems.append(f"{report.non_finite_vectors} vectors with NaN or infinity")
    if report.total >= 4 and report.duplicate_rate > MAX_DUPLICATE_RATE:
        problems.append(f"{report.duplicate_rate:.0%} of vectors for distinct texts are identical")
    if problems:
        raise EmbeddingQualityError("embedding batch refused: " + "; ".join(problems))
    return report
