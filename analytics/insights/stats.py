"""The statistics behind insights, in plain Python and numpy (no scipy).

- Modified z-score (Iglewicz & Hoaglin): M = 0.6745 (x - median) / MAD; |M| > 3.5 is an outlier.
  A flat baseline has MAD 0, which would make any change infinitely surprising, so the MAD is
  floored at a tenth of the median's size or the metric's smallest meaningful step.
- Poisson tail: for low counts (deployments, failures) the chance of a count this low (or this
  high) if the baseline rate held.
- Theil-Sen slope (median of pairwise slopes) with the Mann-Kendall test (normal approximation,
  tie-corrected) for monotonic trends.
"""

import math
from dataclasses import dataclass

import numpy as np

OUTLIER_M = 3.5
M_SCALE = 0.6745  # makes M comparable to a standard normal z for normal data


@dataclass(frozen=True)
class Outlier:
    m: float
    median: float
    mad: float  # after the floor
    p_value: float  # two-sided normal tail of M
    is_outlier: bool


@dataclass(frozen=True)
class Trend:
    slope: float  # per step (week)
    s: int
    z: float
    p_value: float


def normal_two_sided(z: float) -> float:
    return math.erfc(abs(z) / math.sqrt(2))


def modified_z(baseline: list[float], value: float, *, step: float) -> Outlier:
    """How unusual `value` is against `baseline` (see the module). `step` is the smallest change
    that matters for the metric (1 deployment, 1 hour), the floor of a flat baseline's MAD."""
    values = np.asarray(baseline, dtype=float)
    center = float(np.median(values))
    mad = float(np.median(np.abs(values - center)))
    floored = max(mad, 0.1 * abs(center), step)
    m = M_SCALE * (value - center) / floored
    return Outlier(m=m, median=center, mad=floored, p_value=normal_two_sided(m), is_outlier=abs(m) > OUTLIER_M)


def poisson_tail(rate: float, count: int, *, lower: bool) -> float:
    """P(X ≤ count) when `lower`, else P(X ≥ count), for X ~ Poisson(rate)."""
    if rate <= 0:
        return 1.0 if lower or count <= 0 else 0.0
    term = math.exp(-rate)  # P(X = 0)
    below = 0.0  # P(X < k) as k grows
    for k in range(count):
        below += term
        term *= rate / (k + 1)
    return min(1.0, below + term) if lower else max(0.0, 1.0 - below)


def theil_sen(values: list[float]) -> float:
    """Median of the slopes between every pair of points (x = 0, 1, 2, ...)."""
    slopes = [(values[j] - values[i]) / (j - i) for i in range(len(values)) for j in range(i + 1, len(values))]
    return float(np.median(slopes)) if slopes else 0.0


def mann_kendall(values: list[float]) -> Trend:
    """Mann-Kendall S, its tie-corrected normal approximation and the two-sided p-value, with the
    Theil-Sen slope."""
    n = len(values)
    s = sum((values[j] > values[i]) - (values[j] < values[i]) for i in range(n) for j in range(i + 1, n))
    ties: dict[float, int] = {}
    for value in values:
        ties[value] = ties.get(value, 0) + 1
    variance = (n * (n - 1) * (2 * n + 5) - sum(t * (t - 1) * (2 * t + 5) for t in ties.values())) / 18
    # The continuity correction moves S one step toward 0 before scaling.
    z = 0.0 if variance <= 0 or s == 0 else (s - 1 if s > 0 else s + 1) / math.sqrt(variance)
    return Trend(slope=theil_sen(values), s=s, z=z, p_value=normal_two_sided(z) if z else 1.0)


def binomial_upper_tail(trials: int, successes: int, p: float) -> float:
    """P(X ≥ successes) for X ~ Binomial(trials, p)."""
    return sum(math.comb(trials, k) * p**k * (1 - p) ** (trials - k) for k in range(successes, trials + 1))
