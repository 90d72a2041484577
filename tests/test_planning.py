"""CEM and random shooting: a hand-checkable update, bounds, and the true-model
MPC swing-up that separates planner bugs from model bugs."""

import gymnasium as gym
import numpy as np
import torch

from mbrl_lessons.envs.pendulum import pendulum_reward, pendulum_step
from mbrl_lessons.models import ModelEnv, TrueModel
from mbrl_lessons.planning import (
    CEMPlanner,
    MPCAgent,
    PlannerConfig,
    RandomShootingPlanner,
    cem_update,
    run_episode,
)


def test_one_cem_update_by_hand():
    samples = torch.tensor([[[0.0]], [[1.0]], [[2.0]], [[3.0]]])
    returns = torch.tensor([0.0, 1.0, 3.0, 2.0])
    mean, std = cem_update(samples, returns, 2, torch.zeros(1, 1), torch.ones(1, 1))
    assert mean.item() == 2.5 and std.item() == 0.5  # elites {2, 3}
    mean, _ = cem_update(samples, returns, 2, torch.zeros(1, 1), torch.ones(1, 1),
                         alpha=0.5)
    assert mean.item() == 1.25  # smoothed half-way from the old mean 0


def test_cem_iterations_find_the_optimum_of_a_quadratic():
    """Broken elite selection (bottom instead of top) would walk away from 3."""
    gen = torch.Generator().manual_seed(0)
    mean, std = torch.zeros(4, 2), torch.full((4, 2), 2.0)
    for _ in range(20):
        x = mean + std * torch.randn((200, 4, 2), generator=gen)
        returns = -((x - 3.0) ** 2).sum((1, 2))
        mean, std = cem_update(x, returns, 20, mean, std)
    assert torch.allclose(mean, torch.full((4, 2), 3.0), atol=0.05)


class _Quadratic:
    """A 'model' whose reward is -(a - 1.5)^2: the best plan is constant 1.5."""

    def predict(self, obs, act):
        return obs


def test_planners_respect_bounds_and_find_the_best_constant_plan():
    menv = ModelEnv(_Quadratic(), lambda obs, act, nxt: -((act[..., 0] - 1.5) ** 2))
    cfg = PlannerConfig(horizon=5, n_candidates=200, n_iterations=5, n_elites=20)
    cem = CEMPlanner(menv, -1.0, 2.0, cfg, seed=0).plan(np.zeros(2, np.float32))
    rs = RandomShootingPlanner(menv, -1.0, 2.0, cfg, seed=0).plan(np.zeros(2))
    for plan in (cem, rs):
        assert plan.shape == (5, 1) and (plan >= -1).all() and (plan <= 2).all()
    assert np.abs(cem - 1.5).max() < 0.1


def test_mpc_with_the_true_pendulum_swings_up():
    torch.set_num_threads(1)
    menv = ModelEnv(TrueModel(pendulum_step), pendulum_reward)
    agent = MPCAgent(CEMPlanner(menv, -2.0, 2.0, PlannerConfig(
        horizon=30, n_candidates=200, n_iterations=4, n_elites=20), seed=0))
    ret, obs, _ = run_episode(gym.make("Pendulum-v1"), agent.act, seed=0)
    assert ret >= -200
    assert obs[-20:, 0].min() > 0.95  # upright (cos th ~ 1) at the end
