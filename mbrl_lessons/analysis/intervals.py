"""Confidence intervals over seeds for the tables that list one method's mean
(chapter 7's MuJoCo comparisons).

There is one interval in the package: the percentile bootstrap of
:func:`mbrl_lessons.core.results.bootstrap_ci` (``scipy.stats.bootstrap``),
which :meth:`~mbrl_lessons.core.results.Target.over_seeds` also stores with
every target, so a table's interval and a target's interval over the same
seeds are the same numbers.
"""

from __future__ import annotations

import math

import numpy as np

from mbrl_lessons.core.results import bootstrap_ci


def mean_ci(x, confidence: float = 0.95) -> tuple[float, float, float]:
    """``(mean, low, high)``: the mean of ``x`` (one value per seed) and its
    ``confidence`` percentile-bootstrap interval over seeds.

    One value gives an unbounded interval (``-inf, inf``): a single seed
    supports no claim.  With five seeds the percentile bootstrap is narrower
    than a Student-t interval (it cannot reach past the seeds' own range), so
    read it as the spread the seeds showed, not as a guarantee.
    """
    x = np.asarray(x, dtype=float).ravel()
    if len(x) == 0 or not np.isfinite(x).all():
        raise ValueError(f"mean_ci needs finite values, one per seed, got {x}")
    m = float(x.mean())
    if len(x) == 1:
        return m, -math.inf, math.inf
    lo, hi = bootstrap_ci([x], "mean", confidence)
    return m, lo, hi
