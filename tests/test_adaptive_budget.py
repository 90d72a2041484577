"""The confidence-driven planning budget of §6.2."""

import numpy as np
import pytest

from mbrl_lessons.analysis.adaptive_budget import adaptive_dyna, model_confidence
from mbrl_lessons.dyna import DynaConfig, DynaQ


def test_confidence_by_hand():
    agent = DynaQ(4, 2, DynaConfig(model="stochastic"), np.random.default_rng(0))
    assert model_confidence(agent, 4) == 0.0
    for _ in range(2):
        agent.observe(0, 0, 0.0, 1, False)   # pair (0, 0) seen twice
    for _ in range(6):
        agent.observe(1, 1, 0.0, 2, False)   # pair (1, 1) seen six times
    assert np.isclose(model_confidence(agent, 4), (2 / 4 + 1.0) / 2)
    with pytest.raises(ValueError, match="k must be"):
        model_confidence(agent, 0)


def test_adaptive_budget_plans_less_than_the_fixed_one():
    fixed = adaptive_dyna(0, n_max=20, k=None, n_episodes=5)
    adaptive = adaptive_dyna(0, n_max=20, k=20, n_episodes=5)
    assert fixed["planning_backups"] == 20 * fixed["real_steps"]
    assert adaptive["planning_backups"] < 0.7 * 20 * adaptive["real_steps"]
    assert 0 < adaptive["value"] <= adaptive["v_star"] + 1e-9
