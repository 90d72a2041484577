import math

import numpy as np
import pytest

from mbrl_lessons.analysis.intervals import mean_ci, t975


def test_t_interval_known_values():
    m, lo, hi = mean_ci([1.0, 2.0, 3.0, 4.0, 5.0])  # sd = sqrt(2.5), n = 5
    half = 2.776 * math.sqrt(2.5) / math.sqrt(5)
    assert m == 3.0 and lo == pytest.approx(3 - half) and hi == pytest.approx(3 + half)
    assert t975(1) == 12.706 and t975(100) == pytest.approx(1.984)


def test_coverage_of_normal_means():
    rng = np.random.default_rng(0)
    hits = [lo <= 0 <= hi for lo, hi in
            (mean_ci(rng.normal(size=5))[1:] for _ in range(4000))]
    assert 0.94 < np.mean(hits) < 0.96


def test_single_seed_and_bad_input():
    assert mean_ci([2.0])[1:] == (-math.inf, math.inf)
    with pytest.raises(ValueError):
        mean_ci([])
    with pytest.raises(ValueError):
        mean_ci([1.0, float("nan")])
