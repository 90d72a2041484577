"""§6.3's equal-budget comparison of trajectory optimisers
(mbrl_lessons.analysis.trajopt): the seeding of starts and planners."""

import numpy as np

from mbrl_lessons.analysis import trajopt
from mbrl_lessons.core.seeding import stream_seed


def test_same_seed_same_plans_and_planners_have_their_own_streams():
    cem, grad = trajopt.equal_budget_configs(600, horizon=10)
    a = trajopt.plan_from_starts(cem, n_starts=2, seed=3)
    b = trajopt.plan_from_starts(cem, n_starts=2, seed=3)
    assert a["returns"] == b["returns"] and a["calls"] == b["calls"] > 0
    assert trajopt.plan_from_starts(cem, n_starts=2, seed=4)["returns"] != a["returns"]
    # both optimisers plan from the same starts (paired by seed), whatever
    # their own draws; another seed gives other starts
    starts = trajopt.start_states(4, 3)
    np.testing.assert_array_equal(starts, trajopt.start_states(4, 3))
    assert not np.allclose(trajopt.start_states(4, 3), trajopt.start_states(4, 4))
    g = trajopt.plan_from_starts(grad, n_starts=2, seed=3)
    assert len(g["returns"]) == 2 and g["calls"] == a["calls"]
    # the old offsets (seed * 1000 + i, starts from seed itself) made planner 0
    # of seed 0 draw the very numbers of the starts; the named streams do not
    seeds = {stream_seed(s, "planner", i) for s in range(3) for i in range(10)}
    assert len(seeds) == 30 and not seeds & {stream_seed(s, "starts") for s in range(3)}
