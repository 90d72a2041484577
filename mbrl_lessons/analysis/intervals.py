"""Confidence intervals over seeds (Student t), for benchmarks that compare
algorithms on a handful of seeds."""

from __future__ import annotations

import math

import numpy as np

# two-sided 95% Student-t critical values t_{0.975, df}, df = 1..30
_T975 = (12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
         2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
         2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042)


def t975(df: int) -> float:
    """The 97.5% quantile of Student's t with ``df`` degrees of freedom (table
    to 30; beyond it the normal 1.96 plus the first-order correction)."""
    if df < 1:
        raise ValueError(f"need df >= 1 (at least two values), got {df}")
    return _T975[df - 1] if df <= 30 else 1.96 + 2.4 / df


def mean_ci(x) -> tuple[float, float, float]:
    """``(mean, low, high)``: the mean of ``x`` (one value per seed) and its 95%
    t-interval ``mean -+ t975(n - 1) sd / sqrt(n)``.  One value gives an
    unbounded interval (``-inf, inf``): a single seed supports no claim."""
    x = np.asarray(x, dtype=float).ravel()
    if len(x) == 0 or not np.isfinite(x).all():
        raise ValueError(f"mean_ci needs finite values, got {x}")
    m = float(x.mean())
    if len(x) == 1:
        return m, -math.inf, math.inf
    half = t975(len(x) - 1) * float(x.std(ddof=1)) / math.sqrt(len(x))
    return m, m - half, m + half
