import math

import numpy as np
import pytest

from mbrl_lessons.analysis.intervals import mean_ci
from mbrl_lessons.core.results import Target


def test_same_interval_as_the_results_contract():
    """A table's interval and a target's interval over the same seeds agree:
    there is one bootstrap in the package."""
    x = [1.0, 2.0, 3.0, 4.0, 10.0]
    m, lo, hi = mean_ci(x)
    target = Target.over_seeds("t", "", x, ">", 0.0)
    assert m == pytest.approx(4.0) and target.measured == pytest.approx(m)
    assert (lo, hi) == pytest.approx(tuple(target.ci))
    # a percentile bootstrap of the mean stays inside the seeds' range and
    # around the mean; the outlying seed pulls the upper end further out
    assert 1.0 <= lo < m < hi <= 10.0 and hi - m > m - lo
    assert mean_ci([3.0, 3.0, 3.0]) == (3.0, 3.0, 3.0)


def test_coverage_of_normal_means():
    """At 20 seeds the percentile bootstrap covers the true mean about 93% of
    the time (it undercovers slightly at small n, as documented)."""
    rng = np.random.default_rng(0)
    hits = [lo <= 0 <= hi for lo, hi in
            (mean_ci(rng.normal(size=20))[1:] for _ in range(250))]
    assert 0.88 < np.mean(hits) < 0.98
    # more seeds, a narrower interval
    wide = mean_ci(rng.normal(size=5))
    narrow = mean_ci(rng.normal(size=500))
    assert narrow[2] - narrow[1] < wide[2] - wide[1]


def test_single_seed_and_bad_input():
    assert mean_ci([2.0])[1:] == (-math.inf, math.inf)
    with pytest.raises(ValueError, match="finite"):
        mean_ci([])
    with pytest.raises(ValueError, match="finite"):
        mean_ci([1.0, float("nan")])
