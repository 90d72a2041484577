"""CMA-ES on a small controller: the controller's arithmetic, errors, and that
it balances CartPole in a few generations while minimising the return fails."""

import gymnasium as gym
import numpy as np
import pytest

from mbrl_lessons.algorithms import cma_es

pytestmark = pytest.mark.timeout(300)


def test_linear_controller_by_hand():
    ctrl = cma_es.Controller(2, gym.spaces.Discrete(3), hidden=0)
    assert ctrl.n_params == 2 * 3 + 3
    theta = np.array([1, 0, 0, 1, -1, -1, 0, 0, 0.5], float)  # W rows, then b
    assert ctrl.act(theta, np.array([2.0, 0.0])) == 0   # y = (2, 0, -1.5)
    assert ctrl.act(theta, np.array([0.0, 3.0])) == 1   # y = (0, 3, -2.5)
    box = cma_es.Controller(1, gym.spaces.Box(0.0, 4.0, (1,)), hidden=0)
    a = box.act(np.array([0.0, 0.0]), np.array([5.0]))  # tanh(0) -> the middle
    np.testing.assert_allclose(a, [2.0])
    mlp = cma_es.Controller(3, gym.spaces.Box(-1.0, 1.0, (2,)), hidden=4)
    assert mlp.n_params == 3 * 4 + 4 + 4 * 2 + 2


def test_rejects_bad_input():
    with pytest.raises(ValueError, match="popsize"):
        cma_es.CMAESConfig(popsize=0)
    with pytest.raises(TypeError, match="observation"):
        cma_es.train("FrozenLake-v1", cma_es.CMAESConfig(generations=1))


def test_same_seed_same_result():
    cfg = cma_es.CMAESConfig(generations=2, popsize=4, seed=3)
    a, b = (cma_es.train("CartPole-v1", cfg) for _ in range(2))
    np.testing.assert_array_equal(a.theta, b.theta)
    assert a.mean_returns == b.mean_returns and a.episodes == 2 * 4 * 3


def test_cma_es_balances_cartpole_and_minimising_does_not(monkeypatch):
    cfg = cma_es.CMAESConfig(generations=10, seed=0)
    good = cma_es.train("CartPole-v1", cfg)
    assert good.mean_returns[-1] >= 400, good.mean_returns  # random play: ~22
    real = cma_es.cma.CMAEvolutionStrategy

    class Flipped(real):  # "cma minimises" forgotten: it is told +return
        def tell(self, xs, losses):
            return super().tell(xs, [-v for v in losses])

    monkeypatch.setattr(cma_es.cma, "CMAEvolutionStrategy", Flipped)
    broken = cma_es.train("CartPole-v1", cfg)
    assert max(broken.mean_returns) < 60, broken.mean_returns
